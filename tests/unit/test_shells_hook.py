"""The cd-hook's decisions and the trust store, on real folders (envs made of a pyvenv.cfg; for corral's, also an
entry in corral's own record, as `corral venv` writes it)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from corral.core.provenance import PROVENANCE_FILE
from corral.errors import EnvError
from corral.infra.paths import CorralPaths
from corral.services.activation import HOOK_VAR
from corral.services.hook import HookDecision, decide
from corral.services.trust import allow_env, check_trust, keeping_trust, record_created, revoke_env


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    home = tmp_path / "corral-home"
    return CorralPaths(data=home / "data", cache=home / "cache", config=home / "config")


def _project(root: Path, paths: CorralPaths | None = None, *, location: Path | None = None) -> Path:
    """A project with a `.venv`; with `paths`, recorded in corral's store as made by corral (as `corral venv` does)."""
    env = root / ".venv"
    (env / "bin").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', encoding="utf-8")
    (env / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.12.1\n", encoding="utf-8")
    record = {"location": str(location or env), "creator": "uv"}
    (env / PROVENANCE_FILE).write_text(json.dumps(record), encoding="utf-8")  # never evidence on its own
    if paths is not None:
        record_created(paths, env)
    return env


def _decide(cwd: Path, environ: dict[str, str], paths: CorralPaths) -> HookDecision:
    return decide(cwd, {"PATH": "/usr/bin", **environ}, lambda: paths)


def test_entering_a_corral_project_activates_and_marks_it_as_the_hooks(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    decision = _decide(tmp_path / "a", {}, paths)
    assert decision.change is not None
    assert decision.change.set_vars["VIRTUAL_ENV"] == str(env)
    assert decision.change.set_vars[HOOK_VAR] == str(env)
    assert decision.change.path[0] == str(env / "bin")


def test_a_subfolder_of_the_active_project_changes_nothing(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    (tmp_path / "a" / "src").mkdir()
    decision = _decide(tmp_path / "a" / "src", {"VIRTUAL_ENV": str(env), HOOK_VAR: str(env)}, paths)
    assert decision.change is None


def test_leaving_deactivates_and_switching_swaps_path(tmp_path: Path, paths: CorralPaths) -> None:
    a, b = _project(tmp_path / "a", paths), _project(tmp_path / "b", paths)
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
    _project(tmp_path / "a", paths)
    mine = _project(tmp_path / "mine", paths)
    decision = _decide(tmp_path / "a", {"VIRTUAL_ENV": str(mine)}, paths)
    assert decision.change is None
    assert decision.note is None


def test_a_foreign_env_is_refused_with_the_allow_command(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned")
    decision = _decide(tmp_path / "cloned", {}, paths)
    assert decision.change is None
    assert decision.note is not None
    assert f"corral allow {env}" in decision.note


def test_a_provenance_record_naming_another_place_is_not_trusted(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "copied", location=tmp_path / "original" / ".venv")
    assert not check_trust(paths, env).trusted


def test_allow_trusts_until_pyvenv_cfg_is_replaced_and_revoke_forgets(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned")
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


def test_allow_command_refuses_a_folder_that_is_not_an_env(corral: Any, tmp_path: Path) -> None:
    result = corral("allow", str(tmp_path))
    assert result.exit_code == 1
    assert "no environment at" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_record_inside_the_env_is_never_evidence(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned")  # its corral-env.json names exactly this place
    verdict = check_trust(paths, env)
    assert not verdict.trusted
    assert "no record of creating it" in verdict.reason
    assert verdict.can_allow


def test_revoke_also_forgets_that_corral_made_it(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    assert check_trust(paths, env).trusted
    assert revoke_env(paths, env)
    assert not check_trust(paths, env).trusted


def test_a_moved_env_keeps_corrals_record_only_through_keeping_trust(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    moved = tmp_path / "b" / ".venv"
    moved.parent.mkdir()
    os.rename(env, moved)
    assert not check_trust(paths, moved).trusted  # recorded under its old path
    with keeping_trust(paths, moved, was_at=env):
        cfg = moved / "pyvenv.cfg"
        (moved / "new.cfg").write_text(cfg.read_text(encoding="utf-8"), encoding="utf-8")
        os.replace(moved / "new.cfg", cfg)  # relocation rewrites pyvenv.cfg (a new file)
    assert check_trust(paths, moved).reason == "created here by corral"


def test_keeping_trust_does_not_vouch_for_a_stranger(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "cloned")
    with keeping_trust(paths, env):
        pass
    assert not check_trust(paths, env).trusted


def test_records_of_removed_envs_are_dropped(tmp_path: Path, paths: CorralPaths) -> None:
    gone = _project(tmp_path / "gone", paths)
    shutil.rmtree(gone)
    _project(tmp_path / "kept", paths)
    created = json.loads((paths.data / "trust.json").read_text(encoding="utf-8"))["created"]
    assert list(created) == [os.path.realpath(tmp_path / "kept" / ".venv")]


def test_a_symlinked_pyvenv_cfg_is_refused(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    (tmp_path / "elsewhere.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (env / "pyvenv.cfg").unlink()
    (env / "pyvenv.cfg").symlink_to(tmp_path / "elsewhere.cfg")
    verdict = check_trust(paths, env)
    assert not verdict.trusted
    assert verdict.reason == "its pyvenv.cfg is not a regular file"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")
def test_group_write_is_fine_for_the_users_own_group_only(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    env.chmod(0o775)
    assert check_trust(paths, env).trusted  # umask 002 with a private group
    if os.geteuid() != 0:
        return
    os.chown(env, -1, 65534)
    verdict = check_trust(paths, env)
    assert not verdict.trusted
    assert not verdict.can_allow
    assert "can be written by other users (mode 0775)" in verdict.reason
    with pytest.raises(EnvError, match="refusing to allow"):
        allow_env(paths, env)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_trust_store_owned_by_another_user_is_ignored(tmp_path: Path, paths: CorralPaths) -> None:
    env = _project(tmp_path / "a", paths)
    os.chown(paths.data / "trust.json", 65534, -1)
    assert not check_trust(paths, env).trusted
