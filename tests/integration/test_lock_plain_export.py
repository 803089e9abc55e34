"""A project without dependencies of its own: no `uv export` of its plain selection, which uv would answer empty."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the local index

from corral.core.pylock_write import toml_document
from corral.infra import uvbin
from corral.resolvers.uv_project import uv_project
from support.toml import tomllib
from support.uv_wrapper import logging_uv

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used

GROUPS_ONLY = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"

[project.optional-dependencies]
fast = ["gamma[fast]"]

[dependency-groups]
test = ["delta<1.2"]

[tool.uv]
constraint-dependencies = ["delta>=1.0"]
override-dependencies = ["alpha>=1.0"]
"""


def test_uv_exports_nothing_for_the_plain_selection_of_a_project_without_dependencies(
    tmp_path: Path, indexed: str
) -> None:
    """The premise, asked of the real uv: the temporary project corral makes, exported plain, is empty."""
    data = tomllib.loads(GROUPS_ONLY)
    (tmp_path / "pyproject.toml").write_text(toml_document(uv_project(data, tmp_path, "0.1.0")), encoding="utf-8")
    uv = uvbin.uv_binary()
    subprocess.run([uv, "lock", "-q", "--project", str(tmp_path), "--index-url", indexed], check=True)
    export = [uv, "export", "--project", str(tmp_path), "--format", "pylock.toml", "--frozen", "--no-emit-project"]
    plain = subprocess.run([*export, "--no-default-groups"], check=True, capture_output=True, text=True).stdout
    grouped = subprocess.run([*export, "--only-group", "test"], check=True, capture_output=True, text=True).stdout
    assert tomllib.loads(plain)["packages"] == []
    assert [p["name"] for p in tomllib.loads(grouped)["packages"]] == ["delta"]


def test_the_plain_export_is_not_run_and_the_lock_holds_every_selection(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: uv behind a wrapper that writes down each export's selection flags
    log = tmp_path / "exports.log"
    wrapper = logging_uv(tmp_path, log)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: wrapper)
    root = make_project(tmp_path, GROUPS_ONLY)
    # when
    result = corral("lock", cwd=root)
    # then
    assert result.exit_code == 0, result.stderr
    runs = log.read_text(encoding="utf-8").splitlines()
    assert len(runs) == 2  # the group's and the extra's
    assert not [r for r in runs if "--no-default-groups" in r and "--extra" not in r]
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    markers = {p["name"]: p.get("marker", "") for p in lock["packages"]}
    assert "'test' in dependency_groups" in markers["delta"]
    assert "'fast' in extras" in markers["gamma"]
