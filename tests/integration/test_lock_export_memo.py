"""A lock that resolves the project to the very uv.lock of its last lock recalls that lock's exports.

resolvers.uv_export_cache: real corral processes, real uv against the local index. The exports recalled give the
lock the processes give, to the byte; any other key (here: an environment variable uv would see), and a damaged or
foreign record, runs them again. With the record's graph, the whole lock is composed while uv runs (the same bytes);
without it, after uv exits from the recalled exports.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the local index

from corral.resolvers import uv_export_cache
from support.reliability import corral_cmd, subprocess_environ

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1.0"]

[project.optional-dependencies]
more = ["beta"]

[dependency-groups]
dev = ["alpha"]
"""


def _fresh_lock(root: Path, environ: dict[str, str], log: Path) -> tuple[bytes, int, bool]:
    """(pylock.toml's bytes, how many `uv export` processes ran, whether the recorded ones were parsed early)."""
    lock, ran, names = _fresh_lock_log(root, environ, log)
    return lock, ran, "lock-exports:preparsed" in names


def _fresh_lock_log(root: Path, environ: dict[str, str], log: Path) -> tuple[bytes, int, list[str]]:
    """(pylock.toml's bytes, how many `uv export` processes ran, the fault log's checkpoint names)."""
    (root / "pylock.toml").unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    done = subprocess.run(
        corral_cmd("lock", "-q"),
        cwd=root,
        env=environ | {"CORRAL_FAULT_LOG": str(log)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    return (root / "pylock.toml").read_bytes(), names.count("engine:uv export"), names


def _records(environ: dict[str, str]) -> list[Path]:
    from pathlib import Path

    return sorted(Path(environ["CORRAL_HOME"]).rglob(f"{uv_export_cache.FOLDER}/*.bin"))  # conftest's own home


def test_the_same_resolution_recalls_its_exports_and_writes_the_same_lock(tmp_path: Path, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT)
    environ = subprocess_environ(indexed)
    log = tmp_path / "faults.log"
    # when: locked afresh twice
    first, ran, early = _fresh_lock(root, environ, log)
    again, ran_again, early_again = _fresh_lock(root, environ, log)
    # then: the exports ran once (plain, the group, the extra), then were parsed while uv resolved; the same lock
    assert not early
    assert early_again
    assert ran == 3
    assert ran_again == 0
    assert again == first
    # when: uv would see another environment
    changed, ran_changed, _ = _fresh_lock(root, environ | {"UV_CONCURRENT_DOWNLOADS": "3"}, log)
    assert ran_changed == 3
    assert changed == first


@pytest.mark.parametrize("damage", ["garbage", "group-writable", "a link"])
def test_a_damaged_or_foreign_record_runs_the_exports(tmp_path: Path, indexed: str, damage: str) -> None:
    root = make_project(tmp_path, PYPROJECT)
    environ = subprocess_environ(indexed)
    log = tmp_path / "faults.log"
    first, _, _ = _fresh_lock(root, environ, log)
    (record,) = _records(environ)
    if damage == "garbage":
        record.write_bytes(b"not zlib")
    elif damage == "group-writable":
        record.chmod(0o664)
    else:
        target = tmp_path / "elsewhere.bin"
        target.write_bytes(record.read_bytes())
        record.unlink()
        record.symlink_to(target)
    again, ran, early = _fresh_lock(root, environ, log)
    assert not early
    assert ran == 3
    assert again == first


def _slow_uv(folder: Path) -> str:
    """A `folder/bin/uv` whose `uv lock` waits a second first (the helper thread composes meanwhile), then real uv."""
    import stat

    from corral.infra import uvbin

    wrapper = folder / "bin" / "uv"
    wrapper.parent.mkdir(exist_ok=True)
    real = uvbin.uv_binary()
    wrapper.write_text(f'#!/bin/sh\nif [ "$1" = "lock" ]; then sleep 1; fi\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


def _in_process_lock(corral: Corral, root: Path, log: Path) -> tuple[bytes, list[str]]:
    """(pylock.toml's bytes, the fault log's checkpoint names) of a fresh `corral lock` run in this process."""
    (root / "pylock.toml").unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    result = corral("lock", "-q", cwd=root)
    assert result.exit_code == 0, result.stderr
    names = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    return (root / "pylock.toml").read_bytes(), names


@pytest.mark.parametrize("way", ["an export per selection", "marker-only exports"])
def test_the_lock_composed_while_uv_runs_is_the_one_composed_after_it(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    import json

    from corral.infra import uvbin
    from corral.resolvers import uv_exports

    # given: uv that takes a second to start resolving; the lock the exports give, one per selection
    slow = _slow_uv(tmp_path)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: slow)
    log = tmp_path / "faults.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    root = make_project(tmp_path, PYPROJECT)
    monkeypatch.setattr(uv_exports, "MARKERS_ONLY_FROM", 10**6)
    expected, _ = _in_process_lock(corral, root, log)
    (root.parent / "corral-home-other").mkdir()
    monkeypatch.setenv("CORRAL_HOME", str(root.parent / "corral-home-other"))  # no record of that lock's
    if way == "marker-only exports":
        monkeypatch.setattr(uv_exports, "MARKERS_ONLY_FROM", 1)
    # when: locked afresh twice
    first, names = _in_process_lock(corral, root, log)
    again, names_again = _in_process_lock(corral, root, log)
    assert first == expected
    # then: the second lock was composed from the record (exports and graph) while uv resolved, to the same bytes
    assert "lock-exports:composed" not in names
    assert "lock-exports:composed" in names_again
    assert "engine:uv export" not in names_again
    assert again == first
    # when: the record holds the exports but no graph (its entry taken out, the sizes kept true)
    (record,) = _records(dict(os.environ))  # conftest's CORRAL_HOME
    head, _, body = record.read_bytes().partition(b"\n")
    data = json.loads(head)
    kept, texts, start = [], [], 0
    for name, size in data["sizes"]:
        if name != uv_export_cache.GRAPH:
            kept.append([name, size])
            texts.append(body[start : start + size])
        start += size
    assert len(kept) == len(data["sizes"]) - 1
    data["sizes"] = kept
    record.write_bytes(json.dumps(data).encode() + b"\n" + b"".join(texts))
    third, names_third = _in_process_lock(corral, root, log)
    # then: the recalled exports, composed after uv exited from uv.lock's own graph: the same lock again
    assert "lock-exports:preparsed" in names_third
    assert "lock-exports:composed" not in names_third
    assert "engine:uv export" not in names_third
    assert third == first
