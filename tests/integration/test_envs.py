"""`corral envs`: the inventory of real envs (corral's, venv's, virtualenv's, a conda-shaped one), gc and rm safety."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import corral_exe, pyenv_python
from corral.infra.paths import CorralPaths
from corral.inventory.record import register_env, touch
from corral.services.context import Context
from corral.services.create import create_env

pytestmark = pytest.mark.integration

DAY = 86400.0


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["data"]


def _listed(corral: Any, cwd: Path) -> dict[str, dict[str, Any]]:
    return {e["path"]: e for e in _json(corral("envs", "list", "--json", "--wait", cwd=cwd))["envs"]}


def _corral_venv(corral: Any, dest: Path, cwd: Path) -> Path:
    result = corral("venv", "--python", "3.12", "--no-seed", str(dest), cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return dest


def _plain_venv(dest: Path) -> Path:
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", "--without-pip", str(dest)], check=True)
    return dest


def _virtualenv(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "virtualenv", "-q", "--no-seed", "-p", str(pyenv_python("3.11")), str(dest)], check=True
    )
    return dest


def _fake_conda(dest: Path) -> Path:
    (dest / "conda-meta").mkdir(parents=True)
    (dest / "conda-meta" / "python-3.11.5-h955ad1f_0.json").write_text("{}", encoding="utf-8")
    (dest / "bin").mkdir()
    os.symlink(pyenv_python("3.11"), dest / "bin" / "python")
    return dest


def _paths() -> CorralPaths:
    return CorralPaths.from_environment()


def _age(path: Path, days: float) -> None:
    assert touch(_paths(), path, when=time.time() - days * DAY)


def test_corral_env_is_listed_after_create_then_moved_then_forgotten_when_deleted(
    corral: Any, project: Path, tmp_path: Path
) -> None:
    # given an env made by `corral venv` in a project
    env = _corral_venv(corral, project / ".venv", project)
    entry = _listed(corral, tmp_path)[str(env)]
    assert (entry["kind"], entry["project"], entry["creator"], entry["health"]) == (
        "project",
        str(project),
        "native",
        "ok",
    )
    assert entry["version"].startswith("3.12.")
    assert entry["size"] > 0
    assert entry["last_used"] is not None
    # when it is moved elsewhere
    moved = tmp_path / "elsewhere" / "env"
    moved.parent.mkdir()
    env.rename(moved)
    listing = corral("envs", "list", "--json", cwd=tmp_path)
    # then the old record is dropped, and a scan finds it again, marked moved
    assert f"forgot {env}" in listing.stderr
    assert json.loads(listing.stdout)["data"]["envs"] == []
    assert _json(corral("envs", "scan", str(moved.parent), "--json", cwd=tmp_path))["added"] == 1
    entry = _listed(corral, tmp_path)[str(moved)]
    assert entry["health"] == "moved"
    assert str(env) in entry["health_reason"]
    # when it is deleted, the inventory forgets it
    shutil.rmtree(moved)
    assert _listed(corral, tmp_path) == {}


def test_scan_finds_plain_venv_virtualenv_and_conda_env_read_only(corral: Any, tmp_path: Path) -> None:
    # given envs made by other tools
    area = tmp_path / "area"
    plain = _plain_venv(area / "plain")
    venv2 = _virtualenv(area / "nested" / "venv2")
    conda = _fake_conda(area / "miniconda3" / "envs" / "ds")
    _corral_venv(corral, area / "mine", tmp_path)
    cfg_before = (plain / "pyvenv.cfg").read_bytes()
    # when scanned
    found = {f["path"]: f for f in _json(corral("envs", "scan", str(area), "--json", cwd=tmp_path))["found"]}
    # then each is found with what made it
    assert found[str(plain)]["creator"] == "venv"
    assert found[str(venv2)]["creator"].startswith("virtualenv ")
    assert found[str(venv2)]["version"].startswith("3.11.")
    assert (found[str(conda)]["kind"], found[str(conda)]["version"]) == ("conda", "3.11.5")
    assert found[str(area / "mine")]["by_corral"] is True
    assert (plain / "pyvenv.cfg").read_bytes() == cfg_before
    assert not (plain / "corral-env.json").exists()
    # and listed with health and sizes (total = sum of the unique sizes)
    data = _json(corral("envs", "list", "--json", "--wait", "--sort", "size", cwd=tmp_path))
    by_path = {e["path"]: e for e in data["envs"]}
    assert {by_path[str(p)]["health"] for p in (plain, venv2, conda)} == {"ok"}
    assert by_path[str(area / "mine")]["source"] == "corral"  # the scan did not overwrite corral's record
    sizes = [e["size"] for e in data["envs"]]
    assert sizes == sorted(sizes, reverse=True)
    assert data["total"] == sum(sizes)


def test_list_table_is_readable_with_home_abbreviated_and_a_total(
    corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    _corral_venv(corral, tmp_path / "envs" / "one", tmp_path)
    result = corral("envs", "list", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PATH", "KIND", "PYTHON", "PROJECT", "SIZE", "LAST", "USED", "HEALTH"]
    assert lines[1].startswith("~/envs/one ")
    assert "just now" in lines[1]
    assert lines[1].endswith("ok")
    assert lines[-1].startswith("1 env, ")
    assert "B on disk (files shared by hard links counted once)" in lines[-1]


def _gc_world(corral: Any, tmp_path: Path) -> dict[str, Path]:
    """Envs gc must remove (old throwaway, orphaned, broken corral env) and envs it must keep."""
    ctx = Context(cwd=tmp_path)
    cache = tmp_path / "cache"
    old_script = create_env(ctx, cache / "old-script", python="3.12", seed=False, kind="script").path
    _age(old_script, 40)
    fresh_tool = create_env(ctx, cache / "fresh-tool", python="3.12", seed=False, kind="tool").path
    _age(fresh_tool, 2)
    gone_project = tmp_path / "gone-project"
    gone_project.mkdir()
    (gone_project / "pyproject.toml").write_text("[project]\nname='gone'\nversion='0'\n", encoding="utf-8")
    orphan = _corral_venv(corral, tmp_path / "central" / "orphan", gone_project)
    shutil.rmtree(gone_project)
    broken = _corral_venv(corral, tmp_path / "central" / "broken", tmp_path)
    (broken / "bin" / "python").unlink()
    os.symlink(tmp_path / "no-such-python", broken / "bin" / "python")
    live = tmp_path / "live"
    live.mkdir()
    (live / "pyproject.toml").write_text("[project]\nname='live'\nversion='0'\n", encoding="utf-8")
    kept_project = _corral_venv(corral, live / ".venv", live)
    foreign = _plain_venv(tmp_path / "foreign")
    register_env(_paths(), path=foreign, kind="script", project=None, interpreter=None, version="3.12", creator="venv")
    _age(foreign, 90)
    return {
        "old_script": old_script,
        "fresh_tool": fresh_tool,
        "orphan": orphan,
        "broken": broken,
        "kept_project": kept_project,
        "foreign": foreign,
    }


def test_gc_dry_run_changes_nothing_then_gc_removes_only_what_is_safe(corral: Any, tmp_path: Path) -> None:
    world = _gc_world(corral, tmp_path)
    doomed = [world["old_script"], world["orphan"], world["broken"]]
    # dry run: says what and how much, deletes nothing
    dry = corral("envs", "gc", "--dry-run", "--older-than", "30d", cwd=tmp_path)
    assert dry.exit_code == 0, dry.stderr
    assert sorted(line.split()[2] for line in dry.stdout.splitlines()) == sorted(str(p) for p in doomed)
    assert all(line.startswith("would remove ") and "B  (" in line for line in dry.stdout.splitlines())
    assert f"keeping {world['foreign']}: corral did not make it" in dry.stderr
    assert "(dry run: nothing changed)" in dry.stderr
    assert all(p.is_dir() for p in world.values())
    # without --yes and without a terminal: refuse, nothing deleted
    refused = corral("envs", "gc", cwd=tmp_path)
    assert refused.exit_code == 2  # a usage error, as for `recreate` without --yes (README: exit codes)
    assert "without --yes" in refused.stderr
    assert all(p.is_dir() for p in world.values())
    # for real
    done = corral("envs", "gc", "--yes", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert "removed 3 env(s), freed " in done.stderr
    assert [p for p in doomed if os.path.lexists(p)] == []
    assert all(world[k].is_dir() for k in ("fresh_tool", "kept_project", "foreign"))
    assert not [n for n in os.listdir(tmp_path / "central") if "corral-trash" in n]
    assert set(_listed(corral, tmp_path)) == {str(world[k]) for k in ("fresh_tool", "kept_project", "foreign")}
    # a shorter age now catches the fresh throwaway env too
    again = corral("envs", "gc", "--yes", "--older-than", "1d", cwd=tmp_path)
    assert again.exit_code == 0, again.stderr
    assert not world["fresh_tool"].exists()


def test_rm_removes_a_plain_venv_only_with_yes(corral: Any, tmp_path: Path) -> None:
    env = _plain_venv(tmp_path / "plain")
    asked = corral("envs", "rm", str(env), cwd=tmp_path)
    assert asked.exit_code == 2
    assert "without --yes" in asked.stderr
    assert env.is_dir()
    done = corral("envs", "rm", "plain", "--yes", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert not env.exists()
    assert os.listdir(tmp_path) == []


def test_bad_age_is_one_clear_error(corral: Any, tmp_path: Path) -> None:
    result = corral("envs", "gc", "--older-than", "soon", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: cannot read the age 'soon'; write a number and a unit: 30d, 12h, 2w, 90m")


# ---- the table of paths gc and rm must refuse -----------------------------------------------------------------


def _snapshot(path: Path) -> list[str]:
    return sorted(os.listdir(path)) if path.is_dir() else []


def _refusal_cases(corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, Path, str]]:
    """name -> (path as typed, folder that must survive, expected reason); cwd for the commands is tmp_path/work."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "pyvenv.cfg").write_text(f"home = {pyenv_python('3.12').parent}\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    proj = tmp_path / "work"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("[project]\nname='work'\nversion='0'\n", encoding="utf-8")
    (proj / "pyvenv.cfg").write_text(f"home = {pyenv_python('3.12').parent}\n", encoding="utf-8")
    real = _corral_venv(corral, tmp_path / "real-env", tmp_path)
    os.symlink(real, tmp_path / "link-env")
    gitty = _corral_venv(corral, tmp_path / "gitty", tmp_path)
    (gitty / ".git").mkdir()
    other = _plain_venv(tmp_path / "other-project-env")
    return {
        "root": ("/", Path("/"), "file system root"),
        "home": (str(home), home, "home folder"),
        "project root": (str(proj), proj, "current folder"),
        "symlink to an env": (str(tmp_path / "link-env"), real, "symlink"),
        "pyvenv.cfg and .git": (str(gitty), gitty, "contains .git"),
        "path with ..": (f"{proj}/../real-env", real, "'..'"),
        "not made by corral": (str(other), other, "corral did not make it"),
    }


RM_CASES = ["root", "home", "project root", "symlink to an env", "pyvenv.cfg and .git", "path with .."]
GC_CASES = ["root", "home", "project root", "symlink to an env", "pyvenv.cfg and .git", "not made by corral"]


@pytest.mark.parametrize("case", RM_CASES)
def test_rm_refuses(case: str, corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typed, survivor, reason = _refusal_cases(corral, tmp_path, monkeypatch)[case]
    before = _snapshot(survivor)
    result = corral("envs", "rm", typed, "--yes", cwd=tmp_path / "work")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: refusing to delete {typed}: ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _snapshot(survivor) == before
    assert survivor.is_dir()


@pytest.mark.parametrize("case", GC_CASES)
def test_gc_refuses(case: str, corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given the path in the inventory as a long-unused throwaway env (the strongest reason gc has to remove it)
    typed, survivor, reason = _refusal_cases(corral, tmp_path, monkeypatch)[case]
    register_env(_paths(), path=typed, kind="script", project=None, interpreter=None, version="3.12", creator="uv")
    _age(Path(typed), 365)
    before = _snapshot(survivor)
    # when gc runs for real
    result = corral("envs", "gc", "--yes", "--older-than", "1d", cwd=tmp_path / "work")
    # then it keeps the folder and says why
    assert result.exit_code == 0, result.stderr
    assert f"keeping {typed}: " in result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith(f"keeping {typed}: "))
    assert reason in line
    assert f"remove {typed}" not in result.stdout
    assert _snapshot(survivor) == before
    assert survivor.is_dir()


def test_inventory_failure_is_a_warning_not_a_failed_creation(tmp_path: Path) -> None:
    # given corral's data folder cannot be created (a file stands where it should be)
    data = _paths().data
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("not a folder", encoding="utf-8")
    # when an env is created (a real process: the warning goes through logging, which pytest would capture)
    result = subprocess.run(
        [*corral_exe(), "venv", "--python", "3.12", "--no-seed", str(tmp_path / "env")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # then it exists and the user is warned once
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env" / "pyvenv.cfg").is_file()
    assert result.stderr.count("warning: could not record") == 1
    assert "`corral envs scan` will find it" in result.stderr
