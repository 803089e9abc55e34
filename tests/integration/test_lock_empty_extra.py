"""An extra declared empty (`security = []`, as requests declares): no `uv export` of it, the same lock.

Real uv against the local index: the premise (uv exports an empty extra as the plain project, to the byte) and
the lock, against the one made with that export run (`[tool.uv] conflicts = []`, which changes no resolution,
turns the shortcut off: only the inputs-hash, which covers that setting, may differ).
"""

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

EMPTY_EXTRA = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["beta", "gamma; python_version < '3.13'"]

[project.optional-dependencies]
security = []
fast = ["gamma[fast]"]

[dependency-groups]
test = ["delta<1.2"]
"""


def test_uv_exports_an_empty_extra_as_the_plain_project(tmp_path: Path, indexed: str) -> None:
    """The premise, asked of the real uv: the same bytes with and without `--extra security`."""
    data = tomllib.loads(EMPTY_EXTRA)
    (tmp_path / "pyproject.toml").write_text(toml_document(uv_project(data, tmp_path, "0.1.0")), encoding="utf-8")
    uv = uvbin.uv_binary()
    subprocess.run([uv, "lock", "-q", "--project", str(tmp_path), "--index-url", indexed], check=True)
    export = [uv, "export", "--project", str(tmp_path), "--format", "pylock.toml", "--frozen", "--no-emit-project"]
    export.append("--no-header")  # as corral asks: the header names the command line
    plain = subprocess.run([*export, "--no-default-groups"], check=True, capture_output=True, text=True).stdout
    extra = [*export, "--extra", "security", "--no-default-groups"]
    assert subprocess.run(extra, check=True, capture_output=True, text=True).stdout == plain
    assert {p["name"] for p in tomllib.loads(plain)["packages"]} == {"alpha", "beta", "gamma"}


def test_the_empty_extra_is_not_exported_and_the_lock_is_the_same(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: uv behind a wrapper that writes down each export's selection flags
    log = tmp_path / "exports.log"
    wrapper = logging_uv(tmp_path, log)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: wrapper)
    root = make_project(tmp_path, EMPTY_EXTRA)
    (tmp_path / "other").mkdir()
    other = make_project(tmp_path / "other", EMPTY_EXTRA + "\n[tool.uv]\nconflicts = []\n")
    # when
    result = corral("lock", cwd=root)
    runs = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    compared = corral("lock", cwd=other)
    # then
    assert result.exit_code == 0, result.stderr
    assert compared.exit_code == 0, compared.stderr
    assert len(runs) == 3, runs  # the plain project's, the group's, the non-empty extra's
    assert not [r for r in runs if "security" in r]
    assert any("security" in r for r in log.read_text(encoding="utf-8").splitlines()), "exported there"

    def lines(folder: Path) -> list[str]:
        text = (folder / "pylock.toml").read_text(encoding="utf-8")
        return [line for line in text.splitlines() if not line.startswith("inputs-hash")]

    assert lines(root) == lines(other)
    assert tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))["extras"] == ["fast", "security"]
