"""A pyproject.toml edit no lock reads (a comment, layout, key order, a description, a linter's table) leaves
`corral lock` a no-op that writes nothing in the project; an edit of anything a lock reads resolves again.

Whether uv resolved is read from infra.faults' checkpoint log, with real uv against the local index.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from test_lock_noop import PYPROJECT, lock_resolves
from test_lock_project import indexed, pluggy_like  # noqa: F401 - a fixture

from conftest import Corral, pyenv_python
from support.toml import tomllib

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

# (what, old text, new text): each leaves every value a lock reads as it was
NOT_READ = {
    "comment": ("[project]\n", "# the project\n[project]  # its table\n"),
    "layout": ('version = "0.1.0"\n', 'version   =   "0.1.0"\n\n\n'),
    "key-order": ('name = "demo"\nversion = "0.1.0"\n', 'version = "0.1.0"\nname = "demo"\n'),
    "description": ('name = "demo"\n', 'name = "demo"\ndescription = "a demo"\nreadme = "README.md"\n'),
    "authors": ('name = "demo"\n', 'name = "demo"\nauthors = [{ name = "A. Author" }]\nkeywords = ["x"]\n'),
    "scripts": ("[tool.corral]\n", '[project.scripts]\ndemo = "demo:main"\n\n[tool.corral]\n'),
    "tool-ruff": (
        "[tool.corral]\n",
        "[tool.ruff]\nline-length = 99\n\n[tool.ruff.lint]\nselect = ['ALL']\n\n[tool.corral]\n",
    ),
}
# (what, old text, new text): each changes something a lock reads (or a table corral refuses)
READ = {
    "name": ('name = "demo"\n', 'name = "demo2"\n'),
    "version": ('version = "0.1.0"\n', 'version = "0.2.0"\n'),
    "dynamic": ('version = "0.1.0"\n', 'version = "0.1.0"\ndynamic = []\n'),
    "optional-dependencies": (
        "[tool.corral]\n",
        '[project.optional-dependencies]\nfast = ["gamma"]\n\n[tool.corral]\n',
    ),
    "dependency-group": ('dev = ["delta<1.2"]', 'dev = ["delta<1.2"]\ntest = []'),
    "build-system": ("[tool.corral]\n", '[build-system]\nrequires = ["x"]\nbuild-backend = "x"\n\n[tool.corral]\n'),
    "tool-corral": ("seed = false\n", 'seed = false\ndefault-groups = ["dev"]\n'),
    "tool-uv-unknown": ("[tool.corral]\n", "[tool.uv]\nsome-future-setting = 1\n\n[tool.corral]\n"),
    "tool-uv-sources": ("[tool.corral]\n", '[tool.uv.sources]\nalpha = { index = "other" }\n\n[tool.corral]\n'),
}


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    first = corral("lock", cwd=root)
    assert first.exit_code == 0, first.stderr
    return root


def edit(root: Path, old: str, new: str) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in the test's pyproject"
    pyproject.write_text(text.replace(old, new), encoding="utf-8")
    tomllib.loads(pyproject.read_text(encoding="utf-8"))  # the edit is valid TOML


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file in the project (the env aside): its bytes, mtime and inode."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".venv"]
        for name in files:
            path = os.path.join(folder, name)
            st = os.stat(path)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = (handle.read(), st.st_mtime_ns, st.st_ino)
    return found


@pytest.mark.parametrize("what", sorted(NOT_READ))
def test_an_edit_no_lock_reads_is_a_no_op_that_writes_nothing(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    # given: a locked project, then an edit of pyproject.toml that changes nothing a lock reads
    edit(locked, *NOT_READ[what])
    before = snapshot(locked)
    # when
    resolved, report = lock_resolves(corral, locked, monkeypatch)
    # then: no resolution, nothing written in the project, and the next lock matches the new bytes at once
    assert not resolved, f"a {what} edit must not resolve again"
    assert report["written"] is False and report["packages"] == 2
    assert snapshot(locked) == before
    assert not lock_resolves(corral, locked, monkeypatch)[0]
    plain = corral("lock", cwd=locked)
    assert plain.exit_code == 0 and "unchanged:" in plain.stderr
    assert snapshot(locked) == before


@pytest.mark.parametrize("what", sorted(READ))
def test_an_edit_of_what_a_lock_reads_resolves_again(
    locked: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    edit(locked, *NOT_READ["comment"])
    assert not lock_resolves(corral, locked, monkeypatch)[0]  # the stamp now holds the edited bytes
    edit(locked, *READ[what])
    log = locked.parent / "faults.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = corral("lock", "--json", cwd=locked)
    monkeypatch.delenv("CORRAL_FAULT_LOG")
    if what == "tool-uv-sources":  # an index the project does not define: uv's error, never "unchanged"
        assert result.exit_code != 0 and "unchanged" not in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert "engine:uv lock" in log.read_text(encoding="utf-8"), f"a changed {what} must resolve again"
    data = tomllib.loads((locked / "pylock.toml").read_text(encoding="utf-8"))
    if what == "optional-dependencies":
        assert data["extras"] == ["fast"]
    elif what == "dependency-group":
        assert sorted(data["dependency-groups"]) == ["dev", "test"]
    assert not lock_resolves(corral, locked, monkeypatch)[0], "then it is unchanged again"


def test_a_table_corral_refuses_is_refused_not_unchanged(locked: Path, corral: Corral) -> None:
    edit(locked, "[tool.corral]\n", '[tool.pdm.dev-dependencies]\ntest = ["beta"]\n\n[tool.corral]\n')
    result = corral("lock", cwd=locked)
    assert result.exit_code != 0 and "[tool.pdm.dev-dependencies]" in result.stderr


def test_an_edit_that_breaks_the_toml_is_an_error_not_unchanged(locked: Path, corral: Corral) -> None:
    pyproject = locked / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n[broken\n", encoding="utf-8")
    result = corral("lock", cwd=locked)
    assert result.exit_code != 0 and "invalid TOML" in result.stderr


@pytest.mark.usefixtures("indexed")
def test_a_project_a_locked_package_depends_on_keeps_its_edits_no_ops(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-lite needs the project: the lock records it (a local tree '.'), its pyproject read by its lock view."""
    root = pluggy_like(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('dynamic = ["version"]', 'version = "1.6.0"'), encoding="utf-8"
    )
    assert lock_resolves(corral, root, monkeypatch)[0]
    assert "pluggy-like" in {p["name"] for p in tomllib.loads((root / "pylock.toml").read_text())["packages"]}
    edit(root, "[project]\n", "# a comment\n[project]\n")
    assert not lock_resolves(corral, root, monkeypatch)[0], "a comment in the project's own pyproject"
    edit(root, 'version = "1.6.0"', 'version = "1.7.0"')
    assert lock_resolves(corral, root, monkeypatch)[0]


@pytest.mark.usefixtures("indexed")
def test_with_a_dynamic_version_in_the_lock_a_linters_table_is_a_no_op_a_description_is_not(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build backend states the version from every [project] field; none reads [tool.ruff]."""
    root = pluggy_like(tmp_path)
    (root / "CHANGELOG").write_text("edited\n", encoding="utf-8")  # a dirty tree: git describe says so from now on
    assert lock_resolves(corral, root, monkeypatch)[0]
    edit(root, "[tool.setuptools_scm]", "[tool.ruff]\nline-length = 99\n\n[tool.setuptools_scm]")
    assert not lock_resolves(corral, root, monkeypatch)[0], "a linter's table"
    edit(root, "plugin and hook calling", "hooks")
    assert lock_resolves(corral, root, monkeypatch)[0], "a [project] field the build backend reads"
