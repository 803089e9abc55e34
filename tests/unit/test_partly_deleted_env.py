"""A folder left by a deletion stopped part-way is named as such, with what to do (services.inspection)."""

from __future__ import annotations

from pathlib import Path

from corral.services.inspection import partly_deleted_env


def test_an_env_without_pyvenv_cfg_is_a_partly_deleted_one(tmp_path: Path) -> None:
    env = tmp_path / ".venv"
    (env / "lib").mkdir(parents=True)
    (env / "corral-env.json").write_text("{}", encoding="utf-8")
    said = partly_deleted_env(env)
    assert said is not None
    assert "looks like a partly deleted environment" in said and "corral-env.json, lib" in said
    assert f"rm -rf {env}" in said


def test_anything_else_is_not(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "thesis.txt").write_text("three years of work\n", encoding="utf-8")
    assert partly_deleted_env(data) is None  # no env's files: the old message stands
    whole = tmp_path / "whole"
    (whole / "lib").mkdir(parents=True)
    (whole / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    assert partly_deleted_env(whole) is None  # an env
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "data")
    assert partly_deleted_env(link) is None
    assert partly_deleted_env(tmp_path / "absent") is None
