"""`corral add REQ` begins its `uv lock` before the context is built, from the upcoming plan (resolvers.uv_headstart).

Real corral processes (the console script's entry), real uv against the local index, in a temporary folder of the
test's own (TMPDIR). The last lock, add or remove records what a lock of the project as it left it gives uv; a plain
`corral add` appends its requirements to that plan's temporary project and starts uv at once. The env's python is
started only while the quick lock record vouches for the env (`cli.lock_quick._vouched_python`), and the full path
takes the process only for its very command: the lock is the one it writes without a head start.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the local index

from corral.resolvers import uv_headstart
from corral.resolvers.uv_project import preferences
from corral.services.lock import _pins
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def _corral(root: Path, environ: dict[str, str], log: Path, *args: str) -> list[str]:
    """Run `corral ARGS` in `root`; the fault log's names (the checkpoints and head start marks it reached)."""
    log.unlink(missing_ok=True)
    done = subprocess.run(
        corral_cmd(*args),
        cwd=root,
        env=environ | {"CORRAL_FAULT_LOG": str(log)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def _synced(tmp_path: Path, indexed: str) -> tuple[Path, dict[str, str], Path, Path]:
    """A project locked and synced (its env's python then resolves its locks), beta added once and removed."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    root = make_project(tmp_path, demo_pyproject("alpha>=1.0", requires_python=">=3.11"))
    environ = subprocess_environ(indexed, TMPDIR=str(shared))
    log = tmp_path / "faults.log"
    _corral(root, environ, log, "sync", "-q")
    _corral(root, environ, log, "add", "-q", "beta")
    _corral(root, environ, log, "remove", "-q", "beta")
    return root, environ, shared, log


def test_an_add_takes_the_head_start_and_writes_the_same_lock(tmp_path: Path, indexed: str) -> None:
    # given: beta added and removed once (what the add wrote kept), so the upcoming plan is the project as it is
    root, environ, shared, log = _synced(tmp_path, indexed)
    _corral(root, environ, log, "add", "-q", "beta")
    added = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
    _corral(root, environ, log, "remove", "-q", "beta")
    # when
    names = _corral(root, environ, log, "add", "-q", "beta")
    # then: uv started once, before the full path, which took it; the same files, nothing left behind
    assert names.count("engine:uv lock") == 1
    assert names.index("engine:uv lock") < names.index("lock-headstart:adopted")
    assert {name: (root / name).read_bytes() for name in added} == added
    assert list(shared.iterdir()) == []


def test_the_upcoming_plan_holds_the_preferences_the_next_lock_gives_uv(tmp_path: Path, indexed: str) -> None:
    """`remember_upcoming` takes the pins from the lock text it composed: those `_pins` reads from the file."""
    root, _, _, _ = _synced(tmp_path, indexed)
    from corral.infra.paths import CorralPaths

    record = uv_headstart.record_path(str(CorralPaths.from_environment().cache), str(root), upcoming=True)
    with open(record, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    found = uv_headstart.parse(lines[1:-1], str(root))
    assert found is not None
    pins = _pins(root / "pylock.toml", None, "")
    assert pins  # alpha, from the index
    assert found[1] == uv_headstart.lock_state((root / "pylock.toml").read_bytes())
    assert found[3][1] == preferences(pins, set(), ">=3.11")
    assert found[3][2][found[3][2].index("--python") + 1] == str(root / ".venv" / "bin" / "python")


def test_an_env_the_quick_lock_record_does_not_vouch_for_starts_nothing_early(tmp_path: Path, indexed: str) -> None:
    """The env's python is a project file: a changed env (here a file dropped into site-packages) is not started."""
    root, environ, _, log = _synced(tmp_path, indexed)
    (site,) = (root / ".venv" / "lib").glob("python*/site-packages")
    (site / "dropped.pth").write_text("\n", encoding="utf-8")
    names = _corral(root, environ, log, "add", "-q", "beta")
    assert names.count("engine:uv lock") == 1  # the full path's own
    assert "lock-headstart:adopted" not in names


def test_an_add_into_a_group_or_of_a_declared_name_starts_nothing_early(tmp_path: Path, indexed: str) -> None:
    root, environ, _, log = _synced(tmp_path, indexed)
    names = _corral(root, environ, log, "add", "-q", "--dev", "beta")
    assert "lock-headstart:adopted" not in names
    assert names.count("engine:uv lock") == 1
    names = _corral(root, environ, log, "add", "-q", "alpha>=1.1")  # replaces alpha>=1.0: not an append
    assert "lock-headstart:adopted" not in names
    assert names.count("engine:uv lock") == 1


def test_a_fresh_lock_beside_the_env_takes_the_head_start(tmp_path: Path, indexed: str) -> None:
    # given: a synced project locked with its env's python (the plan recorded), its lock removed
    root, environ, shared, log = _synced(tmp_path, indexed)
    lock = root / "pylock.toml"
    lock.unlink()
    _corral(root, environ, log, "lock", "-q")
    written = lock.read_bytes()
    lock.unlink()
    # when
    names = _corral(root, environ, log, "lock", "-q")
    # then
    assert names.count("engine:uv lock") == 1
    assert names.index("engine:uv lock") < names.index("lock-headstart:adopted")
    assert lock.read_bytes() == written
    assert list(shared.iterdir()) == []


def test_an_add_right_after_the_env_was_rebuilt_takes_the_head_start(tmp_path: Path, indexed: str) -> None:
    """`rm -rf .venv && corral sync` made a new env the lock's record never saw: the no-op sync's record vouches."""
    import shutil

    root, environ, shared, log = _synced(tmp_path, indexed)
    shutil.rmtree(root / ".venv")
    _corral(root, environ, log, "sync", "-q")
    names = _corral(root, environ, log, "add", "-q", "beta")
    assert names.count("engine:uv lock") == 1
    assert names.index("engine:uv lock") < names.index("lock-headstart:adopted")
    assert list(shared.iterdir()) == []


def test_an_add_reads_the_recorded_exports_early_only_when_it_resolves_the_recorded_project(
    tmp_path: Path, indexed: str
) -> None:
    """An add changes the requirements, so its resolution is the recorded one only when the same change is made
    again (the same stack added to a new project at the same path): then the lock is composed while uv resolves."""
    import shutil

    shared = tmp_path / "tmp"
    shared.mkdir()
    environ = subprocess_environ(indexed, TMPDIR=str(shared))
    log = tmp_path / "faults.log"
    root = make_project(tmp_path, demo_pyproject(requires_python=">=3.11"))
    empty = (root / "pyproject.toml").read_bytes()
    assert "lock-exports:preparsed" not in _corral(root, environ, log, "add", "-q", "beta")
    added = (root / "pylock.toml").read_bytes()
    names = _corral(root, environ, log, "add", "-q", "delta")  # another change: nothing recorded for it
    assert "lock-exports:preparsed" not in names
    _corral(root, environ, log, "remove", "-q", "delta")
    # the same project made anew, the same add
    shutil.rmtree(root)
    root.mkdir()
    (root / "pyproject.toml").write_bytes(empty)
    names = _corral(root, environ, log, "add", "-q", "beta")
    assert "lock-exports:composed" in names
    assert (root / "pylock.toml").read_bytes() == added
