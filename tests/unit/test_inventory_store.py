from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral.errors import EnvError, UsageError
from corral.infra.paths import CorralPaths
from corral.inventory.record import forget, known, register_env, touch
from corral.inventory.store import DB_NAME, SCHEMA_VERSION, Store


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    return CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")


def test_register_touch_forget_round_trip(paths: CorralPaths, tmp_path: Path) -> None:
    env = tmp_path / "envs" / "one"
    record = register_env(
        paths,
        path=env,
        kind="script",
        project=None,
        interpreter="/usr/bin/python3",
        version="3.12.1",
        creator="uv",
        extra={"hash": "abc"},
    )
    assert record.path == str(env)
    stored = known(paths, env)
    assert stored is not None
    assert (stored.kind, stored.version, stored.creator, stored.extra) == ("script", "3.12.1", "uv", {"hash": "abc"})
    assert touch(paths, env, when=1000.0)
    assert known(paths, env).last_used == 1000.0  # type: ignore[union-attr]
    assert forget(paths, env)
    assert known(paths, env) is None
    assert not touch(paths, env)
    assert not forget(paths, env)


def test_paths_are_stored_normalised(paths: CorralPaths, tmp_path: Path) -> None:
    register_env(
        paths, path=f"{tmp_path}/a/./b/", kind="project", project=None, interpreter=None, version=None, creator=None
    )
    assert known(paths, tmp_path / "a" / "b") is not None


def test_unknown_kind_is_a_usage_error(paths: CorralPaths, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown env kind 'scratch'"):
        register_env(paths, path=tmp_path, kind="scratch", project=None, interpreter=None, version=None, creator=None)


def test_database_is_wal_with_schema_version_in_meta(paths: CorralPaths, tmp_path: Path) -> None:
    register_env(paths, path=tmp_path / "e", kind="tool", project=None, interpreter=None, version=None, creator=None)
    db = paths.data / DB_NAME
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    finally:
        conn.close()


def test_newer_schema_is_refused_not_rewritten(paths: CorralPaths) -> None:
    with Store.open(paths):
        pass
    db = paths.data / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(EnvError, match="schema 99, newer than this corral"):
        Store.open(paths)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "99"
    conn.close()


_WORKER = """
import sys, time
from pathlib import Path
from corral.infra.paths import CorralPaths
from corral.inventory.record import register_env, touch
base, n, start = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
paths = CorralPaths(data=base / "data", cache=base / "cache", config=base / "config")
while time.time() < start:
    time.sleep(0.001)
for i in range(25):
    env = base / "envs" / f"w{n}-{i}"
    register_env(paths, path=env, kind="script", project=None, interpreter=None, version="3.12", creator="uv")
    touch(paths, env)
"""


def test_eight_processes_register_at_once_without_losing_a_record(tmp_path: Path) -> None:
    # given a fresh folder (the first-time schema creation races too) and 8 processes released together
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tmp_path), str(n), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        for n in range(8)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    # then every process succeeded and all 200 records are there
    assert [code for code, _ in results] == [0] * 8, results
    paths = CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")
    with Store.open(paths) as store:
        records = store.all()
    assert len(records) == 200
    assert all(r.last_used is not None for r in records)
