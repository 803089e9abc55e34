"""`corral envs list` measures for a time budget; the sizes it had no time for are measured in the background.

Real venvs made by CPython's venv, the CLI in-process, the background process started and waited for for real
(each test that starts one waits for it, and kills it if it outlives the wait).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import pyenv_python
from corral.infra.locks import file_lock
from corral.infra.paths import CorralPaths
from corral.inventory import size_fill
from corral.inventory.size import SizeCounter
from corral.inventory.size_cache import CACHE_NAME
from corral.services.context import Context
from corral.services.envs import list_envs

pytestmark = pytest.mark.integration


def _cache() -> Path:
    return CorralPaths.from_environment().cache


def _venvs(corral: Any, area: Path, count: int) -> list[Path]:
    envs = [area / f"env{n}" for n in range(count)]
    for env in envs:
        subprocess.run([str(pyenv_python("3.12")), "-m", "venv", "--without-pip", str(env)], check=True)
    result = corral("envs", "scan", str(area), "--json", cwd=area)
    assert result.exit_code == 0, result.stderr
    return envs


def _listing(corral: Any, cwd: Path, *extra: str) -> dict[str, Any]:
    result = corral("envs", "list", "--json", *extra, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)["data"]
    return data


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (os.path.join(folder, name), os.lstat(os.path.join(folder, name)).st_mtime_ns)
        for folder, dirs, files in os.walk(root)
        for name in dirs + files
    )


def _wait(pid: int, timeout: float = 120.0) -> int:
    """The exit status of child `pid`, killed (and the test failed) if it still runs after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"the background measurement {pid} still ran after {timeout} s")


def test_sizes_not_measured_in_time_are_shown_as_missing_and_the_line_says_how_to_get_them(
    corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two envs in the inventory, none measured yet, and no time to measure any
    envs = _venvs(corral, tmp_path / "area", 2)
    monkeypatch.setenv("CORRAL_SIZE_BUDGET", "0")
    # when listed while a background measurement holds its lock (so none is started here)
    with file_lock(_cache() / size_fill.LOCK_NAME):
        data = _listing(corral, tmp_path)
        text = corral("envs", "list", cwd=tmp_path)
    # then every size is missing, out of the total, and the JSON says so
    assert {(e["size"], e["exclusive_size"], e["size_cached"], e["size_status"]) for e in data["envs"]} == {
        (None, None, None, "missing")
    }
    assert (data["total"], data["unmeasured"], data["measuring"]) == (0, 2, True)
    # and the table shows ? and one line says how many and how to get them
    assert text.exit_code == 0, text.stderr
    assert all(" ? " in line for line in text.stdout.splitlines()[1:3])
    assert text.stdout.splitlines()[-1] == "2 envs"  # no "0 B on disk in the 0 measured"
    assert "sizes of 2 envs not measured yet" in text.stderr
    assert "measuring them in the background" in text.stderr
    assert "--wait" in text.stderr
    # and the envs are on the background measurement's to-do list
    todo = json.loads((_cache() / size_fill.TODO_NAME).read_text(encoding="utf-8"))
    assert set(todo) == {os.path.realpath(env) for env in envs}
    # when listed with --wait, every size is measured now, as a walk finds it
    waited = _listing(corral, tmp_path, "--wait")
    rows = {e["path"]: e for e in waited["envs"]}
    assert {rows[str(env)]["size_status"] for env in envs} == {"measured"}
    assert (waited["unmeasured"], waited["measuring"]) == (0, False)
    assert waited["total"] == sum(SizeCounter().measure(env).bytes for env in envs)


def test_a_bad_budget_is_a_usage_error(corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_SIZE_BUDGET", "soon")
    result = corral("envs", "list", cwd=tmp_path)
    assert result.exit_code == 2
    assert "CORRAL_SIZE_BUDGET" in result.stderr


def test_the_background_measurement_fills_the_cache_for_the_next_listing(
    corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three envs in the inventory (settled: the cache trusts no stat identity newer than 2 s before a walk)
    envs = _venvs(corral, tmp_path / "area", 3)
    before = _tree(tmp_path / "area")
    time.sleep(2.1)
    # when a listing with no time to measure starts a background measurement, and it ends
    listing = list_envs(Context(cwd=tmp_path), budget=0, background=True)
    assert (listing.unmeasured, listing.measuring) == (3, True)
    assert listing.filler
    assert _wait(listing.filler) == 0
    # then the next listing, with no time to measure either, has every size from the cache, as a walk finds it
    monkeypatch.setenv("CORRAL_SIZE_BUDGET", "0")
    data = _listing(corral, tmp_path)
    rows = {e["path"]: e for e in data["envs"]}
    assert {rows[str(env)]["size_status"] for env in envs} == {"cached"}
    assert data["unmeasured"] == 0
    assert data["total"] == sum(SizeCounter().measure(env).bytes for env in envs)
    # and the measurement changed nothing in the envs, and left no to-do list behind
    assert _tree(tmp_path / "area") == before
    assert not (_cache() / size_fill.TODO_NAME).exists()


def test_the_background_measurement_walks_only_real_folders_and_never_follows_a_link(tmp_path: Path) -> None:
    # given an env holding a link to a big folder outside it, a link to the env, and junk on the to-do list
    tmp_path = Path(os.path.realpath(tmp_path))
    env = tmp_path / "env"
    (env / "lib").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"x" * 1_000_000)
    (env / "lib" / "out").symlink_to(outside)
    (tmp_path / "link").symlink_to(env)
    cache = _cache()
    cache.mkdir(parents=True, exist_ok=True)
    todo = [str(tmp_path / "link"), "relative/env", 7, str(outside / "big"), str(env), str(tmp_path / "link" / "lib")]
    (cache / size_fill.TODO_NAME).write_text(json.dumps(todo), encoding="utf-8")
    # when the measurement runs (here, in this process)
    size_fill.main(str(cache))
    # then only the real env was measured, without what its link points at
    entries = json.loads((cache / CACHE_NAME).read_text(encoding="utf-8"))["envs"]
    assert list(entries) == [str(env)]
    assert entries[str(env)]["private"] == SizeCounter().measure(env).bytes < 1_000_000


def test_a_second_measurement_exits_at_once_while_one_holds_the_lock(tmp_path: Path) -> None:
    cache = _cache()
    env = tmp_path / "env"
    env.mkdir()
    pid = size_fill.start(cache, [str(env)])  # the first one, started for real
    assert pid
    try:
        with file_lock(cache / size_fill.LOCK_NAME):  # waits for it to end (or it exits at once, finding it held)
            # while a measurement holds the lock, a listing starts none and a second one exits without measuring
            assert size_fill.start(cache, [str(env)]) == 0
            (cache / CACHE_NAME).unlink(missing_ok=True)
            size_fill.main(str(cache))
            assert not (cache / CACHE_NAME).exists()
    finally:
        assert _wait(pid) == 0


def test_a_record_turned_into_a_link_to_a_folder_that_is_no_env_is_not_walked(corral: Any, tmp_path: Path) -> None:
    """`.venv -> /usr` after the env was recorded: the listing does not measure /usr (nor hand it to the filler)."""
    area = tmp_path / "area"
    area.mkdir()
    (env,) = _venvs(corral, area, 1)
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "big.bin").write_bytes(b"x" * 300_000)
    subprocess.run(["rm", "-rf", str(env)], check=True)
    env.symlink_to(outside, target_is_directory=True)
    data = _listing(corral, tmp_path, "--wait")
    (row,) = [e for e in data["envs"] if e["path"] == str(env)]
    assert row["size"] is None
    assert row["size_status"] == "missing"
    assert data["measuring"] is False
    # the same folder with an env's marker in it is measured
    (outside / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    data = _listing(corral, tmp_path, "--wait")
    (row,) = [e for e in data["envs"] if e["path"] == str(env)]
    assert row["size"] is not None
    assert row["size"] >= 300_000
