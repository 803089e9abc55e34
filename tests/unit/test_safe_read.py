"""infra.safe_read: the one reader of small files a project or an env holds (never a hang, never unbounded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.infra.safe_read import UnreadableFile, read_small


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    assert read_small(tmp_path / "f", limit=3, what="file") == b"abc"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pyvenv.cfg")
    with pytest.raises(UnreadableFile, match=r"pyvenv\.cfg: a fifo, not a regular file; a pyvenv\.cfg must be"):
        read_small(tmp_path / "pyvenv.cfg", limit=100, what="pyvenv.cfg")


def test_a_link_to_a_device_is_refused_and_named(tmp_path: Path) -> None:
    (tmp_path / "corral-sync.json").symlink_to("/dev/zero")
    with pytest.raises(UnreadableFile, match="a symlink to /dev/zero, a character device"):
        read_small(tmp_path / "corral-sync.json", limit=100, what="sync stamp")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "METADATA").mkdir()
    with pytest.raises(UnreadableFile, match="a folder, not a regular file"):
        read_small(tmp_path / "METADATA", limit=100, what="METADATA file")


def test_a_file_over_the_limit_is_refused_or_cut_when_asked(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 2048)
    with pytest.raises(UnreadableFile, match=r"larger than 1 KiB, too big for a pyproject\.toml"):
        read_small(tmp_path / "big", limit=1024, what="pyproject.toml")
    assert read_small(tmp_path / "big", limit=10, what="script", truncate=True) == b"x" * 10


def test_follow_false_refuses_any_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}", encoding="utf-8")
    (tmp_path / "corral-env.json").symlink_to("real.json")
    with pytest.raises(UnreadableFile, match="a symlink, not a regular file"):
        read_small(tmp_path / "corral-env.json", limit=100, what="corral-env.json", follow=False)


def test_inside_follows_a_link_only_within_the_folder(tmp_path: Path) -> None:
    project, victim = tmp_path / "proj", tmp_path / "victim"
    project.mkdir()
    victim.mkdir()
    (victim / "secret.txt").write_text("TOPSECRET\n", encoding="utf-8")
    (project / "pin.txt").write_text("3.12\n", encoding="utf-8")
    (project / ".python-version").symlink_to("../victim/secret.txt")
    (project / "ok").symlink_to("pin.txt")
    (project / "sub").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnreadableFile, match=r"a symlink to .*secret\.txt, outside the project") as caught:
        read_small(project / ".python-version", limit=100, what=".python-version", inside=project)
    assert "TOPSECRET" not in str(caught.value)
    with pytest.raises(UnreadableFile, match=r"a path through a symlink to .*secret\.txt, outside the project"):
        read_small(project / "sub" / "secret.txt", limit=100, what="requirements file", inside=project)
    assert read_small(project / "ok", limit=100, what=".python-version", inside=project) == b"3.12\n"


def test_a_missing_file_is_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_small(tmp_path / "missing", limit=100, what="file")
    assert issubclass(UnreadableFile, OSError)  # callers that treat an unreadable file as missing keep doing so
