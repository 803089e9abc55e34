from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from inventory_fakes import fake_env

from corral.inventory.safety import build_refusal, half_made, refusal


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "home"
    home.mkdir()
    cwd = tmp_path / "work"
    cwd.mkdir()
    return {"home": home, "cwd": cwd, "base": tmp_path}


def _refuse(path: str | Path, world: dict[str, Path], **kw: object) -> str | None:
    return refusal(path, home=world["home"], cwd=world["cwd"], **kw)  # type: ignore[arg-type]


def test_a_plain_env_may_be_removed_but_not_by_gc(world: dict[str, Path]) -> None:
    env = fake_env(world["base"] / "plain")
    assert _refuse(env, world) is None
    assert "corral did not make it" in (_refuse(env, world, require_corral=True) or "")


def test_a_corral_env_may_be_collected(world: dict[str, Path]) -> None:
    env = fake_env(world["base"] / "mine", provenance=True)
    assert _refuse(env, world, require_corral=True) is None


def test_a_copied_corral_env_is_not_collected(world: dict[str, Path]) -> None:
    env = fake_env(world["base"] / "copy", location=str(world["base"] / "original"))
    assert "made at" in (_refuse(env, world, require_corral=True) or "")


def _folder(base: Path, cfg: str | None = None) -> Path:
    target = base / "folder"
    target.mkdir()
    if cfg is not None:
        (target / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    return target


def _env_with(base: Path, name: str) -> Path:
    target = fake_env(base / "e")
    (target / name).mkdir() if name == ".git" else (target / name).write_text("", encoding="utf-8")
    return target


def _home_with_cfg(w: dict[str, Path]) -> Path:
    (w["home"] / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    return w["home"]


def _env_holding_cwd(w: dict[str, Path]) -> Path:
    target = fake_env(w["base"] / "env")
    w["cwd"] = target / "bin"
    return target


def _symlink(w: dict[str, Path]) -> Path:
    os.symlink(fake_env(w["base"] / "real"), w["base"] / "link")
    return w["base"] / "link"


def _dotdot(w: dict[str, Path]) -> str:
    fake_env(w["base"] / "env")
    return f"{w['cwd']}/../env"


def _cfg_link(w: dict[str, Path]) -> Path:
    target = _folder(w["base"])
    os.symlink(fake_env(w["base"] / "other") / "pyvenv.cfg", target / "pyvenv.cfg")
    return target


def _file(w: dict[str, Path]) -> Path:
    (w["base"] / "file").write_text("x", encoding="utf-8")
    return w["base"] / "file"


CASES: dict[str, tuple[Callable[[dict[str, Path]], str | Path], str]] = {
    "root": (lambda _w: "/", "file system root"),
    "home": (_home_with_cfg, "home folder"),
    "parent-of-home": (lambda w: w["base"], "holds your home folder"),
    "cwd": (lambda w: w["cwd"], "current folder"),
    "parent-of-cwd": (_env_holding_cwd, "holds the current folder"),
    "symlink": (_symlink, "symlink"),
    "dotdot": (_dotdot, "'..'"),
    "git": (lambda w: _env_with(w["base"], ".git"), "contains .git"),
    "pyproject": (lambda w: _env_with(w["base"], "pyproject.toml"), "contains pyproject.toml"),
    "requirements": (lambda w: _env_with(w["base"], "requirements.txt"), "contains requirements.txt"),
    "no-cfg": (lambda w: _folder(w["base"]), "no pyvenv.cfg"),
    "empty-cfg": (lambda w: _folder(w["base"], "# nothing\n"), "no `home` key"),
    "cfg-is-link": (_cfg_link, "not a regular file"),
    "missing": (lambda w: w["base"] / "nothing-here", "does not exist"),
    "file": (_file, "not a folder"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refusals(case: str, world: dict[str, Path]) -> None:
    make, expected = CASES[case]
    target = make(world)
    reason = _refuse(target, world)
    assert reason is not None
    assert expected in reason


def test_the_current_project_root_is_refused(world: dict[str, Path]) -> None:
    env = fake_env(world["base"] / "proj")
    assert "current project" in (_refuse(env, world, project_root=env) or "")
    assert "current project" in (_refuse(env, world, project_root=env / "sub") or "")


def test_home_reached_through_a_symlink_is_still_home(world: dict[str, Path]) -> None:
    (world["home"] / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    alias = world["base"] / "alias"
    os.symlink(world["base"], alias)
    assert "home folder" in (_refuse(alias / "home", world) or "")


def test_a_half_made_env_holds_only_what_a_creator_makes(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "lib" / "python3.12").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (env / ".pyvenv.cfg.corral-1a2b.tmp").write_text("", encoding="utf-8")  # a killed atomic write
    assert half_made(env)
    (env / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert not half_made(env)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    assert not half_made(link)
    assert not half_made(tmp_path / "missing")


def test_only_a_recreate_build_named_with_its_token_may_go(tmp_path: Path) -> None:
    token = "0123abcd" * 2
    assert build_refusal(tmp_path / f".venv.corral-new-{token}", token) is None
    assert build_refusal(tmp_path / f".venv.corral-old-{token}", token) is None
    assert build_refusal(tmp_path / ".venv", token) is not None
    assert build_refusal(tmp_path / f"venv.corral-new-{token}", token) is not None  # not a hidden sibling
    assert build_refusal(tmp_path / ".venv.corral-new-", "") is not None  # no token, no deletion
    assert build_refusal(tmp_path / ".x-../..", "../..") is not None
