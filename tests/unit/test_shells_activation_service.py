"""What activation and deactivation compute, and the CLI's choices (shell, env), without running a shell."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corral.plugins import load_shell, shell_names
from corral.services.activation import (
    HOOK_VAR,
    OLD_PYTHONHOME_VAR,
    activate_change,
    apply_change,
    deactivate_change,
    env_prompt,
)

if TYPE_CHECKING:
    from conftest import Corral


def _env(root: Path, cfg: str = "home = /usr/bin\n") -> Path:
    root.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    return root


def test_activation_replaces_a_previous_env_on_path(tmp_path: Path) -> None:
    old, new = _env(tmp_path / "old"), _env(tmp_path / "new")
    change = activate_change(new, {"VIRTUAL_ENV": str(old), "PATH": f"{old}/bin:/usr/bin:{new}/bin"}, windows=False)
    assert change.path == (f"{new}/bin", "/usr/bin")


def test_pythonhome_is_saved_and_restored(tmp_path: Path) -> None:
    env = _env(tmp_path / "e")
    on = activate_change(env, {"PATH": "/usr/bin", "PYTHONHOME": "/opt/py"}, windows=False)
    assert on.set_vars[OLD_PYTHONHOME_VAR] == "/opt/py"
    assert "PYTHONHOME" in on.unset_vars
    active = apply_change({"PATH": "/usr/bin", "PYTHONHOME": "/opt/py"}, on)
    assert "PYTHONHOME" not in active
    off = deactivate_change(active, windows=False)
    assert off is not None
    restored = apply_change(active, off)
    assert restored == {"PATH": "/usr/bin", "PYTHONHOME": "/opt/py"}


def test_hand_activation_drops_the_hook_marker(tmp_path: Path) -> None:
    env = _env(tmp_path / "e")
    change = activate_change(env, {"PATH": "", HOOK_VAR: "/other"}, windows=False)
    assert HOOK_VAR in change.unset_vars
    assert HOOK_VAR not in change.set_vars


def test_nothing_to_deactivate_without_virtual_env() -> None:
    assert deactivate_change({"PATH": "/usr/bin"}) is None


@pytest.mark.parametrize(
    ("cfg", "folder", "expected"),
    [
        ("prompt = demo\n", "x/.venv", "demo"),
        ("prompt = 'quoted'\n", "x/.venv", "quoted"),
        ("home = /usr\n", "my proj/.venv", "my proj"),
        ("home = /usr\n", "tools/special", "special"),
        ("prompt = $(rm -rf ~)`x`%n!\n", "x/.venv", "_(rm -rf _)_x__n_"),
    ],
)
def test_prompt_name_is_readable_and_inert(tmp_path: Path, cfg: str, folder: str, expected: str) -> None:
    assert env_prompt(_env(tmp_path / folder, cfg)) == expected


def test_every_registered_shell_loads_and_renders(tmp_path: Path) -> None:
    change = activate_change(_env(tmp_path / "e"), {"PATH": "/usr/bin"}, windows=False)
    for name in shell_names():
        text = load_shell(name).render(change)
        assert str(tmp_path) in text, name


def test_unknown_shell_names_the_supported_ones(corral: Corral, project: Path) -> None:
    result = corral("activate", "--shell", "dos", cwd=project)
    assert result.exit_code == 2
    assert "unknown shell 'dos'" in result.stderr
    assert "bash" in result.stderr
    assert "xonsh" in result.stderr


def test_activate_without_an_env_says_how_to_make_one(corral: Corral, project: Path) -> None:
    result = corral("activate", "--shell", "bash", cwd=project)
    assert result.exit_code == 1
    assert "corral venv" in result.stderr
    assert result.stdout == ""


def test_activate_with_env_option_renders_for_that_env(corral: Corral, tmp_path: Path) -> None:
    env = _env(tmp_path / "some env")
    result = corral("activate", "--env", str(env), "--shell", "fish")
    assert result.exit_code == 0, result.stderr
    assert f"set -gx VIRTUAL_ENV '{env}'" in result.stdout


def test_nested_corral_shell_is_refused(corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_SHELL", "/somewhere/.venv")
    result = corral("shell", "--env", str(_env(tmp_path / "e")), "--shell", "bash")
    assert result.exit_code == 2
    assert "already inside a corral shell for /somewhere/.venv" in result.stderr
    assert "exit" in result.stderr


def test_hook_snippet_calls_corral_and_compares_pwd_first(corral: Corral) -> None:
    result = corral("hook", "bash")
    assert result.exit_code == 0
    assert '"${_CORRAL_LAST_PWD-}" != "$PWD"' in result.stdout
    assert "hook-eval bash" in result.stdout
