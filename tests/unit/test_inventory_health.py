from __future__ import annotations

import os
import sys
from pathlib import Path

from inventory_fakes import fake_env

from corral.inventory.health import DRIFT_NOT_CHECKED, env_health


def test_fresh_env_is_ok_and_drift_not_checked_by_default(tmp_path: Path) -> None:
    health = env_health(fake_env(tmp_path / "e", provenance=True))
    assert (health.word, health.drift) == ("ok", DRIFT_NOT_CHECKED)


def test_dangling_python_link_is_broken(tmp_path: Path) -> None:
    health = env_health(fake_env(tmp_path / "e", python_target=str(tmp_path / "gone" / "python3")))
    assert health.word == "broken"
    assert "which is gone" in health.reason


def test_missing_python_is_broken(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    (env / "bin" / "python").unlink()
    assert env_health(env).word == "broken"


def test_base_home_gone_is_broken(tmp_path: Path) -> None:
    health = env_health(fake_env(tmp_path / "e", home=str(tmp_path / "old-python" / "bin")))
    assert health.word == "broken"
    assert "old-python" in health.reason


def test_provenance_location_elsewhere_is_moved(tmp_path: Path) -> None:
    health = env_health(fake_env(tmp_path / "e", location=str(tmp_path / "original")))
    assert health.word == "moved"
    assert str(tmp_path / "original") in health.reason


def test_activate_pointing_elsewhere_is_moved(tmp_path: Path) -> None:
    health = env_health(fake_env(tmp_path / "e", activate=str(tmp_path / "before")))
    assert (health.word, health.reason) == ("moved", f"activate sets VIRTUAL_ENV={tmp_path / 'before'}")


def test_console_script_shebang_pointing_elsewhere_is_moved(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    (env / "bin" / "tool").write_text(f"#!{tmp_path / 'old' / 'bin' / 'python'}\nimport tool\n", encoding="utf-8")
    health = env_health(env)
    assert health.word == "moved"
    assert health.reason.startswith("tool runs ")


def test_console_script_with_own_python_is_ok(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    (env / "bin" / "tool").write_text(f"#!{env / 'bin' / 'python'}\nimport tool\n", encoding="utf-8")
    assert env_health(env).word == "ok"


def test_long_path_exec_trampoline_is_read(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    other = tmp_path / "x" / "bin" / "python"
    (env / "bin" / "tool").write_text(f"#!/bin/sh\n'''exec' '{other}' \"$0\" \"$@\"\n' '''\n", encoding="utf-8")
    assert env_health(env).word == "moved"


def test_python_37_env_is_legacy(tmp_path: Path) -> None:
    assert env_health(fake_env(tmp_path / "e", version="3.7.16")).word == "legacy"


def test_drift_hook_decides_drift(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    seen: list[Path] = []

    def drifted(root: Path) -> bool:
        seen.append(root)
        return True

    assert env_health(env, drift_check=drifted).word == "drift"
    assert seen == [env]
    assert env_health(env, drift_check=lambda _root: False).drift == "in sync"
    assert env_health(env, drift_check=lambda _root: None).drift == DRIFT_NOT_CHECKED


def test_broken_wins_over_moved(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e", location=str(tmp_path / "elsewhere"), home=str(tmp_path / "nope"))
    assert env_health(env).word == "broken"


def test_conda_env_health_from_conda_meta(tmp_path: Path) -> None:
    env = tmp_path / "c"
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "python-3.7.12-h12345_0.json").write_text("{}", encoding="utf-8")
    assert env_health(env).word == "broken"
    (env / "bin").mkdir()
    os.symlink(os.path.realpath(sys.executable), env / "bin" / "python")
    assert env_health(env).word == "legacy"
