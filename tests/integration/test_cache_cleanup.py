"""Every command keeps working after `corral cache clean` and `corral cache prune`: they rebuild their caches.

A project corral locked (uv against the local index), synced, ran in and rebuilt, with every record of the cache
written (quick record, quick lock record, lock stamp, rebuild record and its uv input); the real CLI in a
subprocess (`python -m corral`, whose first module answers from the records).
"""

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

from conftest import pyenv_python
from support.projects import demo_pyproject

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # records are written only once every input is two seconds old


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def entries(cache: Path) -> dict[str, list[str]]:
    return {
        kind.name: sorted(p.name for p in kind.iterdir()) if kind.is_dir() else [] for kind in sorted(cache.iterdir())
    }


def cache_json(root: Path, *args: str) -> dict[str, Any]:
    data = json.loads(cli(root, "cache", *args, "--json").stdout)["data"]
    assert isinstance(data, dict)
    return data


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: Any) -> Path:
    """A project with every record written: locked, synced, run in, rebuilt once, each command's no-op recorded."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    cli(root, "lock")
    cli(root, "sync")
    time.sleep(_SETTLE)
    shutil.rmtree(root / ".venv")
    cli(root, "sync")  # the rebuild record
    time.sleep(_SETTLE)
    cli(root, "sync")  # the quick record
    cli(root, "lock")  # the quick lock record
    (root / "tool.py").write_text('# /// script\n# dependencies = ["alpha"]\n# ///\n', encoding="utf-8")
    cli(root, "lock", "--script", "tool.py")  # the script lock's stamp
    cli(root, "run", "tool.py")  # the quick path's record of the project's [tool.corral] (no python, no index)
    monkeypatch.setenv("CORRAL_LEGACY_NOTICE", "0")
    cli(root, "run", "tool.py")  # its record of the settings' variables found valid
    monkeypatch.delenv("CORRAL_LEGACY_NOTICE")
    cli(root, "doctor")  # doctor's records (its quick record, the files check's)
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    found = entries(cache)
    assert any(n.startswith("settings-") for n in found["script-projects"]), found
    assert any(not n.startswith("settings-") for n in found["script-projects"]), found
    assert any(n.endswith(".files.json") for n in found["doctor-records"]), found
    assert any(n.endswith(".rebuild.txt") for n in found["quick-records"]), found
    assert any(not n.endswith(".rebuild.txt") for n in found["quick-records"]), found
    assert found["quick-lock-records"], found
    assert found["lock-stamps"], found
    assert found["uv-input"], found
    assert found["script-lock-stamps"], found
    return root


def noop(root: Path, *, stamped: bool = True) -> None:
    """sync, run and lock change nothing and say so; `stamped`: lock answers from its stamp, without resolving."""
    lock = (root / "pylock.toml").read_bytes()
    assert "nothing to do" in cli(root, "sync").stderr
    assert cli(root, "run", "python", "-c", "import alpha; print('ran')").stdout == "ran\n"
    said = cli(root, "lock").stderr
    assert said.startswith("unchanged: ") if stamped else "\nunchanged: " in said, said
    assert (root / "pylock.toml").read_bytes() == lock


def test_info_knows_every_kind_of_entry_corral_wrote(recorded: Path) -> None:
    data = cache_json(recorded, "info")
    assert data["other"] == [], "a folder corral writes that services.cache.KINDS does not name"
    assert [k["kind"] for k in data["kinds"] if k["foreign"]] == []
    assert data["total"] >= sum(k["bytes"] for k in data["kinds"]) > 0


def test_prune_keeps_what_a_live_project_uses(recorded: Path) -> None:
    # given
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    before = entries(cache)
    # when
    data = cache_json(recorded, "prune")
    # then: the rebuild record and the uv input it replays stay; so does every record of the live project
    assert [r for r in data["removed"] if r["kind"] != "uv-input"] == []
    after = entries(cache)
    assert after["quick-records"] == before["quick-records"]
    assert after["lock-stamps"] == before["lock-stamps"]
    rebuild = next(cache / "quick-records" / n for n in after["quick-records"] if n.endswith(".rebuild.txt"))
    replayed = [
        bytes.fromhex(line.split(" ")[1]).decode()
        for line in rebuild.read_text(encoding="utf-8").splitlines()
        if line.startswith("input ")
    ]
    assert replayed
    assert all(Path(p).is_file() for p in replayed)
    noop(recorded)


def test_after_clean_every_command_works_and_rebuilds_its_caches(recorded: Path) -> None:
    # given
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    # when
    data = cache_json(recorded, "clean")
    # then: only lock files are left, and the throwaway envs (`corral envs gc` is theirs)
    assert data["freed"] > 0
    assert set(entries(cache)) <= {"project-locks", "env-locks", "envs"}
    noop(recorded, stamped=False)  # the lock stamp was the cache: the first lock resolves again, to the same lock
    noop(recorded)
    shutil.rmtree(recorded / ".venv")
    assert "alpha" in cli(recorded, "sync").stderr
    noop(recorded)
    time.sleep(_SETTLE)
    noop(recorded)  # the records written again
    assert entries(cache)["quick-records"]
    assert cache_json(recorded, "info")["total"] > 0


def test_prune_removes_the_records_of_a_project_that_moved(recorded: Path, tmp_path: Path) -> None:
    # given
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    before = entries(cache)
    moved = recorded.rename(tmp_path / "moved")
    # when
    data = cache_json(tmp_path, "prune")
    # then
    gone = {(r["kind"], Path(r["path"]).name) for r in data["removed"]}
    assert {("quick-records", n) for n in before["quick-records"]} <= gone
    assert {("quick-lock-records", n) for n in before["quick-lock-records"]} <= gone
    assert {("lock-stamps", n) for n in before["lock-stamps"]} <= gone
    assert not {("uv-input", n) for n in before["uv-input"]} & gone, "written within the hour: maybe in use"
    for name in before["uv-input"]:
        for path in (cache / "uv-input" / name / "pylock.toml", cache / "uv-input" / name):
            os.utime(path, (time.time() - 7200, time.time() - 7200))
    later = cache_json(tmp_path, "prune")
    assert {Path(r["path"]).name for r in later["removed"]} == set(before["uv-input"])
    shutil.rmtree(moved / ".venv")  # its env named the old path
    assert "alpha" in cli(moved, "sync").stderr
    noop(moved, stamped=False)  # a lock stamp is kept per project path: the moved project resolves once
    noop(moved)


def test_hostile_cache_contents_are_cleaned_and_the_commands_go_on(recorded: Path, tmp_path: Path) -> None:
    # given: files and fifos where corral keeps folders, links out of the cache, a fifo at a record's name
    cache = Path(os.environ["CORRAL_HOME"]) / "cache"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.json").write_text("keep", encoding="utf-8")
    for kind in ("lock-choices", "uv-input", "served-installs"):
        shutil.rmtree(cache / kind, ignore_errors=True)
    (cache / "lock-choices").write_text("a file where a folder belongs", encoding="utf-8")
    os.mkfifo(cache / "uv-input")
    (cache / "served-installs").symlink_to(outside)
    for record in (cache / "quick-records").iterdir():
        record.unlink()
        os.mkfifo(record)
    # when
    pruned = cache_json(recorded, "prune")
    cleaned = cache_json(recorded, "clean")
    # then: nothing outside was touched, and every command works, rebuilds and is a no-op again
    assert {Path(r["path"]).parent.name for r in pruned["removed"]} >= {"quick-records"}
    assert {Path(r["path"]).name for r in cleaned["removed"]} >= {"lock-choices", "uv-input", "served-installs"}
    assert (outside / "keep.json").read_text(encoding="utf-8") == "keep"
    noop(recorded, stamped=False)
    shutil.rmtree(recorded / ".venv")
    assert "alpha" in cli(recorded, "sync").stderr
    noop(recorded)
