"""The cd-hook's decisions and the trust store, on real folders (envs made of a pyvenv.cfg and, for corral's,
a provenance record)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from corral.core.provenance import PROVENANCE_FILE
from corral.infra.paths import CorralPaths
from corral.services.activation import HOOK_VAR
from corral.services.hook import decide
from corral.services.trust import allow_env, check_trust, revoke_env


def _project(root: Path, *, by_corral: bool = True, location: Path | None = None) -> Path:
    env = root / ".venv"
    (env / "bin").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', encoding="utf-8")
    (env / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.12.1\n", encoding="utf-8")
    if by_corral:
        record = {"location": str(location or env), "creator": "uv"}
        (env / PROVENANCE_FILE).write_text(json.dumps(record), encoding="utf-8")
    return env


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    home = tmp_path / "corral-home"
    return CorralPaths(data=home / "data", cache=home / "cache", config=home / "config")


def _decide(cwd: Path, environ: dict[str, str], paths: CorralPaths):
    return decide(cwd, {"PATH": "/usr/bin", **environ}, lambda: paths)


def test_entering_a_corral_project_activates_and_marks_it_as_the_hooks(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a")
    decision = _decide(tmp_path / "a", {}, paths)
    assert decision.change is not None
    assert decision.change.set_vars["VIRTUAL_ENV"] == str(env)
    assert decision.change.set_vars[HOOK_VAR] == str(env)
    assert decision.change.path[0] == str(env / "bin")


def test_a_subfolder_of_the_active_project_changes_nothing(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a")
    (tmp_path / "a" / "src").mkdir()
    decision = _decide(tmp_path / "a" / "src", {"VIRTUAL_ENV": str(env), HOOK_VAR: str(env)}, paths)
    assert decision.change is None


def test_leaving_deactivates_and_switching_swaps_path(tmp_path: Path, paths: CorralPaths) -> None:
    a, b = _project(tmp_path / "a"), _project(tmp_path / "b")
    active = {"VIRTUAL_ENV": str(a), HOOK_VAR: str(a), "PATH": f"{a}/bin:/usr/bin"}
    (tmp_path / "out").mkdir()
    left = decide(tmp_path / "out", active, lambda: paths)
    assert left.change is not None
    assert "VIRTUAL_ENV" in left.change.unset_vars
    assert left.change.path == ("/usr/bin",)
    switched = decide(tmp_path / "b", active, lambda: paths)
    assert switched.change is not None
    assert switched.change.path == (f"{b}/bin", "/usr/bin")


def test_a_hand_activated_env_is_left_alone(tmp_path: Path, paths: CorralPaths) -> None:
    _project(tmp_path / "a")
    mine = _project(tmp_path / "mine")
    decision = _decide(tmp_path / "a", {"VIRTUAL_ENV": str(mine)}, paths)
    assert decision.change is None
    assert decision.note is None


def test_a_foreign_env_is_refused_with_the_allow_command(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned", by_corral=False)
    decision = _decide(tmp_path / "cloned", {}, paths)
    assert decision.change is None
    assert decision.note is not None
    assert f"corral allow {env}" in decision.note


def test_a_provenance_record_naming_another_place_is_not_trusted(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "copied", location=tmp_path / "original" / ".venv")
    assert not check_trust(paths, env).trusted


def test_allow_trusts_until_pyvenv_cfg_is_replaced_and_revoke_forgets(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned", by_corral=False)
    allow_env(paths, env)
    assert check_trust(paths, env).trusted
    assert (paths.data / "trust.json").is_file()
    cfg = env / "pyvenv.cfg"
    replacement = env / "pyvenv.cfg.new"
    replacement.write_text("home = /elsewhere\n", encoding="utf-8")
    os.replace(replacement, cfg)  # a new file (new inode), as a re-clone or re-creation would leave
    verdict = check_trust(paths, env)
    assert not verdict.trusted
    assert "changed" in verdict.reason
    allow_env(paths, env)
    assert revoke_env(paths, env)
    assert not check_trust(paths, env).trusted
    assert not revoke_env(paths, env)


def test_a_broken_pyproject_does_not_break_the_prompt(tmp_path: Path, paths: CorralPaths) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    assert _decide(tmp_path, {}, paths).change is None


def test_allow_command_refuses_a_folder_that_is_not_an_env(corral, tmp_path: Path) -> None:
    result = corral("allow", str(tmp_path))
    assert result.exit_code == 1
    assert "no environment at" in result.stderr
    assert "Traceback" not in result.stderr
