"""Foreign declarations: Poetry constraints in PEP 440, what corral refuses, what init moves, `-e .` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.core.foreign import ignored_declarations
from corral.core.poetry import Unconvertible, convert_poetry, python_marker, to_specifier
from corral.errors import UsageError
from corral.services.add_remove import edit_pyproject
from corral.services.foreign import check_declarations, splice_tables
from corral.services.foreign.poetry import migrate_tables
from corral.services.requirements_io import parse_requirements_file
from support.toml import tomllib

RICH = Path(__file__).resolve().parents[1] / "data" / "projects" / "rich" / "pyproject.toml"


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^2.13.0", ">=2.13.0,<3.0.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1.0.0b1", ">=1.0.0b1,<2.0.0"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("1.2.3", "==1.2.3"),
        ("=1.0", "==1.0"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),
        ("!=1.5", "!=1.5"),
        (">=4.0.0, <5.0", ">=4.0.0,<5.0"),
        (">= 1.2 < 2.0", ">=1.2,<2.0"),
    ],
)
def test_poetry_constraints_become_the_ranges_poetry_core_means(poetry: str, pep440: str) -> None:
    assert to_specifier(poetry) == pep440


def test_an_either_or_version_cannot_be_a_specifier_but_a_python_one_is_a_marker() -> None:
    with pytest.raises(Unconvertible, match="either of two ranges"):
        to_specifier("^1.0 || ^2.0")
    assert python_marker("~2.7 || ^3.4") == (
        '(python_version >= "2.7" and python_version < "2.8") or (python_version >= "3.4" and python_version < "4.0")'
    )
    assert python_marker(">=3.8.1") == 'python_full_version >= "3.8.1"'


def test_convert_poetry_tables_markers_extras_groups_and_notes() -> None:
    converted = convert_poetry(
        {
            "dependencies": {
                "python": "^3.8",
                "a": {"version": "^1.2", "python": "<3.11", "extras": ["x"], "markers": "sys_platform == 'linux'"},
                "b": [{"version": "^1", "python": "<3.9"}, {"version": "^2", "python": ">=3.9"}],
                "c": {"version": "*", "optional": True},
                "d": {"git": "https://example.org/d.git", "tag": "v1", "source": "mirror"},
            },
            "extras": {"cee": ["c"]},
            "group": {
                "test": {"dependencies": {"pytest": "^8"}},
                "docs": {"optional": True, "dependencies": {"e": "~1"}},
            },
        }
    )
    assert converted.requires_python == ">=3.8,<4.0"
    assert converted.dependencies == [
        "a[x]>=1.2,<2.0; python_version < \"3.11\" and sys_platform == 'linux'",
        'b>=1,<2; python_version < "3.9"',
        'b>=2,<3; python_version >= "3.9"',
        "d @ git+https://example.org/d.git@v1",
    ]
    assert converted.optional == {"cee": ["c"]}
    assert converted.groups == {"test": ["pytest>=8,<9"], "docs": ["e>=1,<2"]}
    assert converted.optional_groups == ["docs"]
    assert any("source = 'mirror' dropped" in note for note in converted.notes)


def test_a_path_dependency_is_unconvertible_and_every_problem_is_named() -> None:
    with pytest.raises(Unconvertible) as info:
        convert_poetry({"dependencies": {"p": {"path": "../p"}, "q": "^1 || ^2"}})
    assert "p is a path dependency" in str(info.value) and "'^1 || ^2'" in str(info.value)


def test_ignored_declarations_name_the_tables_corral_would_miss() -> None:
    data = tomllib.loads(RICH.read_text())
    assert [i.where for i in ignored_declarations(data)] == [
        "[tool.poetry.dependencies]",
        "[tool.poetry.extras]",
        "[tool.poetry.dev-dependencies]",
    ]
    poetry2 = {
        "project": {"name": "x", "dependencies": ["a"]},
        "tool": {"poetry": {"dependencies": {"a": {"source": "s"}}, "group": {"dev": {"dependencies": {"b": "*"}}}}},
    }
    assert [i.where for i in ignored_declarations(poetry2)] == ["[tool.poetry.group.dev.dependencies]"]
    assert [i.where for i in ignored_declarations({"project": {"name": "x", "dynamic": ["dependencies"]}})] == [
        '[project] dynamic = ["dependencies"]'
    ]
    assert (
        ignored_declarations({"project": {"name": "x"}, "tool": {"poetry": {"dependencies": {"python": "^3.9"}}}}) == []
    )


def test_check_declarations_refuses_setup_py_without_project_table(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    with pytest.raises(UsageError, match=r"setup.py declares .* run `corral init --run-build-backend`"):
        check_declarations({"tool": {"black": {}}}, tmp_path)
    check_declarations({"project": {"name": "x"}}, tmp_path)  # a [project] table is read: fine


def test_edit_pyproject_never_creates_a_nameless_project_table() -> None:
    with pytest.raises(UsageError, match="no \\[project\\] table"):
        edit_pyproject("[tool.black]\nline-length = 88\n", ["alpha"], target="project")
    with pytest.raises(UsageError, match=r"\[tool.poetry.dependencies\]"):
        edit_pyproject(RICH.read_text(), ["alpha"], target="group:dev")
    assert 'dev = ["alpha"]' in edit_pyproject("[tool.black]\n", ["alpha"], target="group:dev")


def test_migrate_tables_moves_pdm_dev_dependencies_and_keeps_the_rest() -> None:
    text = (
        '[project]\nname = "x"\nversion = "1"\n\n[tool.pdm.dev-dependencies]\ntest = ["pytest>=8"]\n'
        '[tool.pdm.build]\nincludes = ["x"]\n'
    )
    new, changes = migrate_tables(text, source="pyproject.toml")
    data = tomllib.loads(new)
    assert data["dependency-groups"] == {"test": ["pytest>=8"]}
    assert data["tool"]["pdm"] == {"build": {"includes": ["x"]}}
    assert changes == ["[dependency-groups].test = ['pytest>=8'] (from [tool.pdm.dev-dependencies])"]


def test_migrate_tables_keeps_comments_and_puts_project_first() -> None:
    text = (
        '# my project\n[tool.poetry]\nname = "x"  # the name\nversion = "1"\ndescription = "d"\n'
        '[tool.poetry.dependencies]\npython = "^3.9"\n'
    )
    new, _ = migrate_tables(text, source="pyproject.toml")
    assert new.startswith('# my project\n[project]\nname = "x"')
    assert tomllib.loads(new)["tool"]["poetry"] == {"description": "d"}


def test_splice_tables_goes_above_the_first_header_and_its_comments() -> None:
    assert (
        splice_tables("key = 1\n# about tool\n[tool.x]\na = [\n  [1],\n]\n", '[project]\nname = "p"\n')
        == 'key = 1\n[project]\nname = "p"\n\n# about tool\n[tool.x]\na = [\n  [1],\n]\n'
    )


def test_parse_puts_lines_naming_the_project_itself_aside(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "dev.txt").write_text("-e ..[socks, http2]\n--editable=..\nalpha\n")
    (tmp_path / "requirements.txt").write_text("-e .[socks]\n.\n-r reqs/dev.txt\n")
    parsed = parse_requirements_file(tmp_path / "requirements.txt", project_root=tmp_path)
    assert parsed.requirements == ["alpha"]
    assert [(line, extras) for _, line, extras in parsed.itself] == [
        ("-e .[socks]", ("socks",)),
        (".", ()),
        ("-e ..[socks, http2]", ("socks", "http2")),
        ("--editable=..", ()),
    ]


def test_what_init_cannot_move_is_refused_with_the_next_step(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"flit's format before 3.2.*flit_core ≥ 3.2"):
        check_declarations({"tool": {"flit": {"metadata": {"module": "m", "requires": ["a"]}}}}, tmp_path)
    with pytest.raises(UsageError, match=r'dynamic = \["dependencies"\]: the build backend computes'):
        check_declarations({"project": {"name": "x", "dynamic": ["dependencies"]}}, tmp_path)
    with pytest.raises(UsageError, match="package-mode = false"):
        migrate_tables('[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\na = "^1"\n', source="p")


def test_init_runs_no_in_tree_backend_unless_told(tmp_path: Path) -> None:
    from corral.services.context import Context
    from corral.services.foreign import adopt

    text = RICH.read_text().replace(
        'build-backend = "poetry.core.masonry.api"', 'build-backend = "poetry.core.masonry.api"\nbackend-path = ["."]'
    )
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(UsageError, match=r"backend-path.*corral init --run-build-backend"):
        adopt(Context(cwd=tmp_path), tmp_path, python="python3")
    assert (tmp_path / "pyproject.toml").read_text() == text
