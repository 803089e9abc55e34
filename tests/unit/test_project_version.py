"""services.project_version: which version a project is resolved at, and what its cached answer is keyed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.services.context import Context
from corral.services.project_version import UNKNOWN_VERSION, resolution_version, version_files, version_key

if TYPE_CHECKING:
    from pathlib import Path

HATCH: dict[str, Any] = {
    "project": {"name": "demo", "dynamic": ["version"], "dependencies": ["alpha"]},
    "tool": {"hatch": {"version": {"path": "src/demo/__about__.py"}}},
}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__about__.py").write_text('__version__ = "1.0"\n', encoding="utf-8")
    return root


def test_static_version_is_used_without_asking_the_backend(tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path, environ={})
    data = {"project": {"name": "demo", "version": "2.5.1"}, "build-system": {"build-backend": "nowhere"}}
    assert resolution_version(ctx, tmp_path, data, python=None) == "2.5.1"


def test_project_stating_no_version_resolves_at_zero(tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path, environ={})
    assert resolution_version(ctx, tmp_path, {"project": {"name": "demo"}}, python=None) == UNKNOWN_VERSION
    assert resolution_version(ctx, tmp_path, {}, python=None) == UNKNOWN_VERSION


def test_key_ignores_requirements_but_not_the_version_file(tmp_path: Path) -> None:
    # given
    root = _project(tmp_path)
    before = version_key(root, HATCH, "/usr/bin/python3")
    # when: only requirements change, the answer still holds
    more = {
        **HATCH,
        "project": {**HATCH["project"], "dependencies": ["alpha", "beta"]},
        "dependency-groups": {"dev": ["gamma"]},
    }
    assert version_key(root, more, "/usr/bin/python3") == before
    # then: an edited version file, or another interpreter, asks again
    (root / "src" / "demo" / "__about__.py").write_text('__version__ = "1.1"\n', encoding="utf-8")
    assert version_key(root, HATCH, "/usr/bin/python3") != before
    assert version_key(root, HATCH, "/usr/bin/python3.13") != version_key(root, HATCH, "/usr/bin/python3")


def test_version_files_outside_the_project_are_not_read(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (tmp_path / "secret.py").write_text("x = 1\n", encoding="utf-8")
    data = {
        "project": {"name": "demo", "dynamic": ["version"]},
        "tool": {
            "pdm": {"version": {"source": "file", "path": "../secret.py"}},
            "setuptools": {"dynamic": {"version": {"attr": "demo.__about__.__version__"}}},
        },
    }
    found = [p.relative_to(root).as_posix() for p in version_files(root, data)]
    assert found == ["src/demo/__about__.py"]


def test_key_changes_with_a_version_plugins_variables(tmp_path: Path) -> None:
    """SETUPTOOLS_SCM_PRETEND_VERSION states the version (a cached 3.0 kept `lock --upgrade` from seeing 1.0)."""
    root = _project(tmp_path)
    plain = version_key(root, HATCH, "/usr/bin/python3", {"HOME": "/home/u"})
    assert version_key(root, HATCH, "/usr/bin/python3", {"HOME": "/elsewhere"}) == plain
    pretend = version_key(root, HATCH, "/usr/bin/python3", {"SETUPTOOLS_SCM_PRETEND_VERSION": "3.0"})
    assert pretend != plain
    assert version_key(root, HATCH, "/usr/bin/python3", {"PDM_BUILD_SCM_VERSION": "3.0"}) not in (plain, pretend)
