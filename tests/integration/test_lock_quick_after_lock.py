"""The no-op `corral lock` right after a lock is answered from the quick lock record, which that lock wrote.

Before, the first `corral lock` after a fresh lock took the stamp's way (56-131 ms on real projects against
`uv lock`'s 26-34 ms): pylock.toml and the lock stamp had just been written, younger than the settle margin, and only
that command could write the record. Now the lock runs the stamp's check itself and records it, taking those two
young on the bytes the check judged: the record holds their SHA-256, and pylock.toml's bytes are read on every
answer until a later answer writes the record again settled. Everything else must still have settled.

Real uv against the local index; "the same tick" is played by writing a changed file's new stat into the record,
which is what a same-tick rewrite leaves a stat check to see.
"""
# ruff: noqa: SLF001 - the record's lines are checked through the module's private names

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from corral.cli import lock_quick, quick
from corral.cli.lock_quick import lookup
from corral.infra.paths import CorralPaths
from corral.services.lock_stamp import stamp_path
from support.projects import demo_pyproject

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    """A project whose files have settled, locked just now (its lock and lock stamp young)."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    if os.stat(root / "pyproject.toml").st_ctime_ns % 1_000_000 == 0:
        pytest.skip("this file system rounds its stamps: every margin is 2 s")
    time.sleep(0.12)  # the user's files settle (50 ms)
    done = corral("lock", cwd=root)
    assert done.exit_code == 0, done.stderr
    return root


def record_file(root: Path) -> Path:
    dirs = quick.corral_dirs(os.environ)
    assert dirs is not None
    return Path(lock_quick._record_path(dirs[1], str(root)))


def restat(root: Path, label: str, path: Path) -> None:
    """Put `path`'s stat as it is now into the record: what a rewrite within the recorded tick leaves to see."""
    st = os.lstat(path) if label == "stamp" else os.stat(path)
    record = record_file(root)
    lines = record.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{label} ") and line.endswith(f" {path}"))
    lines[index] = quick._stat_line(label, st, str(path))
    record.write_text("\n".join(lines), encoding="utf-8")


def young_record(locked: Path) -> None:
    """pylock.toml and the lock stamp written again just now, and the record the lock's own check writes then."""
    record_file(locked).unlink(missing_ok=True)
    for young in (locked / "pylock.toml", stamp_path(CorralPaths.from_environment(), locked)):
        young.write_bytes(young.read_bytes())
    assert lock_quick.unchanged_report(locked, os.environ, time.monotonic()) is not None
    if f"\n{lock_quick._LOCK_BYTES}" not in record_file(locked).read_text(encoding="utf-8"):
        pytest.skip("the machine took longer than the margin: the record was written settled")


def test_the_no_op_lock_right_after_a_lock_is_answered_from_the_record(locked: Path) -> None:
    assert lookup(str(locked), os.environ) == (str(locked / "pylock.toml"), 1)


def test_a_lock_rewritten_within_the_tick_is_seen(locked: Path) -> None:
    young_record(locked)
    lock = locked / "pylock.toml"
    data = lock.read_bytes()
    lock.write_bytes(data.replace(b"alpha", b"alphb", 1))  # the same size, in place
    restat(locked, "lock", lock)
    assert lookup(str(locked), os.environ) is None


def test_a_lock_stamp_rewritten_within_the_tick_is_seen(locked: Path) -> None:
    young_record(locked)
    stamp = stamp_path(CorralPaths.from_environment(), locked)
    data = stamp.read_bytes()
    stamp.write_bytes(data.replace(b'"packages": 1', b'"packages": 7'))  # in place, as no corral writes it
    restat(locked, "stamp", stamp)
    assert lookup(str(locked), os.environ) is None


def test_once_settled_an_answer_writes_the_record_again_without_the_locks_bytes(locked: Path) -> None:
    young_record(locked)
    assert lookup(str(locked), os.environ) == (str(locked / "pylock.toml"), 1)
    time.sleep(0.12)
    assert lookup(str(locked), os.environ) == (str(locked / "pylock.toml"), 1)
    assert f"\n{lock_quick._LOCK_BYTES}" not in record_file(locked).read_text(encoding="utf-8")
    assert lookup(str(locked), os.environ) == (str(locked / "pylock.toml"), 1)
    lock = locked / "pylock.toml"
    lock.write_bytes(lock.read_bytes().replace(b"alpha", b"alphb", 1))
    assert lookup(str(locked), os.environ) is None


def test_bytes_other_than_those_observed_prove_nothing(locked: Path) -> None:
    """The check judged other bytes than the observation names (rewritten and back within the tick): no record."""
    record_file(locked).unlink()
    paths = CorralPaths.from_environment()
    from corral.services.lock_stamp import read_lock_stamp_bytes

    for young in (locked / "pylock.toml", stamp_path(paths, locked)):
        young.write_bytes(young.read_bytes())  # written again just now: young

    judged = read_lock_stamp_bytes(paths, locked)
    assert judged is not None
    record = lock_quick._record(paths, locked, locked / ".venv", {"local": [], "python": None}, os.environ)
    assert record is not None
    started = quick._now_ns()
    before = lock_quick._observe(record, os.environ, started, lock_bytes=True)
    assert before is not None
    if before[1].settled_by(started):
        pytest.skip("the machine took longer than the margin: nothing is young")
    from corral.infra.fingerprint import digest

    lock_digest = digest(locked / "pylock.toml")
    lock_quick._remember(record, before, os.environ, 1, started, judged=(judged + b" ", lock_digest))
    assert not record_file(locked).exists()
    lock_quick._remember(record, before, os.environ, 1, started, judged=(judged, "0" * 64))
    assert not record_file(locked).exists()
    lock_quick._remember(record, before, os.environ, 1, started, judged=(judged, lock_digest))
    assert record_file(locked).exists(), "the judged bytes are the observed ones: recorded young"


def test_a_young_pyproject_still_gives_no_record(locked: Path, corral: Corral) -> None:
    pyproject = locked / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    record_file(locked).unlink()
    done = corral("lock", cwd=locked)  # the stamp says unchanged (a comment), the pyproject is young
    assert done.exit_code == 0, done.stderr
    assert lookup(str(locked), os.environ) is None


def test_a_local_source_trees_folder_need_not_settle(tmp_path: Path) -> None:
    """The stamp judges a local source tree (the project itself, when a locked package depends on it) by its
    metadata files' bytes and by being a folder: every lock written into the project moves the folder's times, which
    must not keep the record from being written (click's lock named the project: no record after a lock)."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n', encoding="utf-8")
    time.sleep(0.12)  # the metadata file settles
    (root / "pylock.toml").write_text("", encoding="utf-8")  # a lock written just now: the folder is young
    dirs = quick.corral_dirs(os.environ)
    assert dirs is not None
    facts = [("local", str(root)), ("local", str(root / "pyproject.toml"))]
    seen = lock_quick._observe((str(root), str(root / ".venv"), dirs, facts), os.environ, time.time_ns())
    assert seen is not None
    assert any(line.startswith("local ") and line.endswith(f" {root}") for line in seen[0]), "still observed"
    started = time.time_ns()
    young = [label for label, when in seen[1].settled.items() if when > started]
    assert "fact-local" not in young, young
