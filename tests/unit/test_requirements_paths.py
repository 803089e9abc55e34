"""services.requirements_io: a requirements file inside a project names only files and packages inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import UsageError
from corral.services.requirements_io import parse_requirements_file


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    project, victim = tmp_path / "proj", tmp_path / "victim"
    (victim / "pkg").mkdir(parents=True)
    project.mkdir()
    (victim / "secret.txt").write_text("TOPSECRET\n", encoding="utf-8")
    (victim / "more.txt").write_text("alpha\n", encoding="utf-8")
    return project, victim


@pytest.mark.parametrize(
    "line",
    [
        "-r ../victim/secret.txt",
        "--requirement=../victim/secret.txt",
        "-c ../victim/secret.txt",
        "-e ../victim/pkg",
        "../victim/pkg",
        "pkg @ file://{victim}/pkg",
        "-r sub/secret.txt",
    ],
)
def test_what_leaves_the_project_is_refused_naming_the_line(world: tuple[Path, Path], line: str) -> None:
    project, victim = world
    (project / "sub").symlink_to(victim, target_is_directory=True)
    (project / "requirements.txt").write_text(f"beta\n{line.format(victim=victim)}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"requirements\.txt:2: .* outside the project") as caught:
        parse_requirements_file(project / "requirements.txt", project_root=project)
    assert "TOPSECRET" not in str(caught.value)


def test_a_link_leading_out_is_not_read(world: tuple[Path, Path]) -> None:
    project, _ = world
    (project / "requirements.txt").symlink_to("../victim/secret.txt")
    with pytest.raises(UsageError, match=r"a symlink to .* outside the project") as caught:
        parse_requirements_file(project / "requirements.txt", project_root=project)
    assert "TOPSECRET" not in str(caught.value)


def test_what_stays_inside_is_read(world: tuple[Path, Path]) -> None:
    project, _ = world
    (project / "pkgs" / "local").mkdir(parents=True)
    (project / "base.txt").write_text("alpha\n", encoding="utf-8")
    (project / "requirements.txt").write_text("-r base.txt\n-c base.txt\n./pkgs/local\n", encoding="utf-8")
    parsed = parse_requirements_file(project / "requirements.txt", project_root=project)
    assert parsed.requirements == ["alpha", "./pkgs/local"]


def test_a_file_the_user_names_outside_the_project_is_theirs(world: tuple[Path, Path]) -> None:
    project, victim = world
    (victim / "reqs.txt").write_text("-r more.txt\n", encoding="utf-8")
    parsed = parse_requirements_file(victim / "reqs.txt", project_root=project)
    assert parsed.requirements == ["alpha"]


def test_an_editable_folder_is_listed_editable_and_anything_else_said_not_to_be(world: tuple[Path, Path]) -> None:
    project, _ = world
    (project / "pkgs" / "local").mkdir(parents=True)
    lines = (
        "-e ./pkgs/local\n--editable=pkgs/local\n-e./pkgs/local\n-e git+https://g.example/r#egg=r\n-e ./pkgs/missing\n"
    )
    (project / "requirements.txt").write_text(lines, encoding="utf-8")
    parsed = parse_requirements_file(project / "requirements.txt", project_root=project)
    folder = str(project / "pkgs" / "local")
    assert parsed.requirements == [folder, "git+https://g.example/r#egg=r", "./pkgs/missing"]
    assert parsed.editable == [folder, folder, folder]
    assert [line.split(": ", 1)[1] for line in parsed.skipped] == [
        "-e git+https://g.example/r#egg=r (recorded as a plain requirement, not editable)",
        "-e ./pkgs/missing (recorded as a plain requirement, not editable)",
    ]
