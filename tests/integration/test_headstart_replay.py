"""The replay of a rebuild (`cli.rebuild_replay`): `rm -rf .venv && corral sync` finished without the full path.

Each test runs the real CLI in a subprocess (`python -m corral`) on a package project locked against the local
index, uv's cache private to the test, without pip (`CORRAL_SEED=0`). The first rebuild after the inputs settled
goes the full path and writes the rebuild record with its replay; the next one replays it. What a process did is
read from the checkpoint log (`headstart:*`, `write:*` lines), so nothing replaces the code under test; a kill or a
Ctrl-C is made to land at a chosen line by the log being a fifo whose reader stops there (the next line then waits
in `open`).
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_headstart import events, record_of, snapshot
from test_sync_one_install import cached_index, installed, make_project  # noqa: F401 - a fixture

from corral.infra.paths import CorralPaths
from corral.services.trust import check_trust

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # the record is never written while an input is younger than two seconds


def environ(**extra: str) -> dict[str, str]:
    """The test's environment for the CLI, the same in a fixture and in the test (pytest's phase variable left out)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    return {**env, **extra}


def cli(root: Path, *args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=cwd or root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=environ(**extra),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def rebuild(
    root: Path, log: Path, *args: str, cwd: Path | None = None, **extra: str
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """`rm -rf .venv && corral sync`: the checkpoints it reached, and its output."""
    shutil.rmtree(root / ".venv", ignore_errors=True)
    log.unlink(missing_ok=True)
    done = cli(root, "sync", *args, cwd=cwd, **extra)
    return events(log), done


def replayed(seen: list[str]) -> bool:
    return "headstart:replayed" in seen


@pytest.fixture
def recorded(tmp_path: Path, cached_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:  # noqa: F811
    """A package project synced, settled, and rebuilt once the full way (the record and its replay written)."""
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORRAL_SEED", "0")
    tools = tmp_path / "tools"  # a folder on PATH, where interpreter discovery looks
    tools.mkdir()
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    cli(root, "sync")
    time.sleep(_SETTLE)
    seen, _ = rebuild(root, log)
    assert not replayed(seen)
    return root, log


def _state(root: Path) -> tuple[object, ...]:
    """The env, whether corral's trust record vouches for it (and its entry's fields), and its inventory row.

    Clocks and the identity of the new folder are left out (they differ between any two rebuilds).
    """
    home = Path(os.environ["CORRAL_HOME"]) / "data"
    trust = json.loads((home / "trust.json").read_text(encoding="utf-8"))
    entry = sorted(trust["created"][str((root / ".venv").resolve())])
    trusted = check_trust(CorralPaths.from_environment(), root / ".venv").trusted
    with sqlite3.connect(home / "inventory.sqlite3") as db:
        names = [row[1] for row in db.execute("PRAGMA table_info(envs)")]
        rows = [dict(zip(names, row, strict=True)) for row in db.execute("SELECT * FROM envs")]
    for row in rows:
        row.pop("created_at")
        row.pop("last_used")
        extra = json.loads(row.pop("extra") or "{}")
        row["extra"] = sorted(extra)
    return snapshot(root / ".venv"), entry, trusted, rows


def test_the_replay_writes_what_the_full_path_writes(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = recorded
    seen, full = rebuild(root, log, CORRAL_FAULT_LOG=str(tmp_path / "other.log"))  # another variable: full path
    ordinary = _state(root)
    seen, done = rebuild(root, log)
    assert replayed(seen), seen
    assert "headstart:adopted" not in seen, "cli.main never ran"
    assert (done.stdout, done.stderr) == (full.stdout, full.stderr), "the same report, byte for byte"
    assert _state(root) == ordinary
    journals = Path(os.environ["CORRAL_HOME"]) / "data" / "journals"
    assert not any(journals.iterdir()), "the creating journal is gone"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync").stderr
    again, _ = rebuild(root, log)
    assert replayed(again), "a replay keeps the record valid"


def test_sync_quiet_replays_its_own_report(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    seen, full = rebuild(root, log, "-q")  # another command line: the full path, which records its report
    assert not replayed(seen)
    seen, done = rebuild(root, log, "-q")
    assert replayed(seen), seen
    assert (done.stdout, done.stderr) == (full.stdout, full.stderr)
    assert (done.stdout, done.stderr) == ("", "")  # -q: errors and warnings only (cli.sync_cmd)


def _touch_pyproject(root: Path) -> dict[str, str]:
    path = root / "pyproject.toml"
    path.write_bytes(path.read_bytes() + b"# edited\n")  # other bytes (the same ones: test_replay_after_relock.py)
    return {}


def _touch_lock(root: Path) -> dict[str, str]:
    path = root / "pylock.toml"
    path.write_bytes(path.read_bytes() + b"# edited\n")
    return {}


def _user_settings(root: Path) -> dict[str, str]:
    config = Path(os.environ["CORRAL_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("# nothing set\n", encoding="utf-8")
    return {}


def _a_variable(root: Path) -> dict[str, str]:
    return {"SOME_TOOL_SETTING": "1"}  # not one the head start observes: only the whole environment tells


def _an_interpreter(root: Path) -> dict[str, str]:
    tools = Path(os.environ["PATH"].split(os.pathsep)[0])
    (tools / "python3.99").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (tools / "python3.99").chmod(0o755)
    return {}


def _a_subfolder(root: Path) -> dict[str, str]:
    (root / "sub").mkdir(exist_ok=True)
    return {"cwd": str(root / "sub")}


@pytest.mark.parametrize(
    "change",
    [_touch_pyproject, _touch_lock, _user_settings, _a_variable, _an_interpreter, _a_subfolder],
    ids=["pyproject", "pylock", "settings", "variable", "interpreter", "cwd"],
)
def test_a_changed_input_goes_the_full_path(recorded: tuple[Path, Path], change: object) -> None:
    root, log = recorded
    extra = change(root)  # type: ignore[operator]
    cwd = Path(extra.pop("cwd")) if "cwd" in extra else None
    seen, done = rebuild(root, log, cwd=cwd, **extra)
    assert not replayed(seen), seen
    assert "synced" in done.stderr
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync", **extra).stderr


def test_a_shells_bookkeeping_variables_do_not_stop_the_replay(recorded: tuple[Path, Path]) -> None:
    """A `cd` (OLDPWD), a nested shell (SHLVL) and the last command (`_`) change no input: still replayed."""
    root, log = recorded
    seen, _ = rebuild(root, log, OLDPWD="/somewhere/else", SHLVL="7", _="/usr/bin/env")
    assert replayed(seen), seen
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))


def test_a_failed_uv_hands_over_to_the_full_path(recorded: tuple[Path, Path]) -> None:
    """uv's cache emptied: the replayed offline install fails, the full path takes its outcome and goes online."""
    root, log = recorded
    shutil.rmtree(os.environ["UV_CACHE_DIR"])
    seen, done = rebuild(root, log)
    assert not replayed(seen), seen
    assert "headstart:replay-declined" in seen
    assert "headstart:adopted" in seen, "the full path claimed the head start's outcome"
    assert "synced" in done.stderr
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))


def _paused_at(root: Path, log: Path, line: str) -> subprocess.Popen[str] | None:
    """A rebuild whose checkpoint log stops being read once `line` was written: it waits at its next line."""
    shutil.rmtree(root / ".venv", ignore_errors=True)
    log.unlink(missing_ok=True)
    os.mkfifo(log)
    child = subprocess.Popen(
        [sys.executable, "-m", "corral", "sync"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - as a terminal starts it
    )
    reached = threading.Event()

    def follow() -> None:  # the child's lines until `line`: its next one then waits in `open` (at most one more slips)
        seen = b""
        while True:
            fd = os.open(log, os.O_RDONLY)
            try:
                while chunk := os.read(fd, 1 << 16):
                    seen += chunk
                    if f" {line}\n".encode() in seen:
                        reached.set()
                        return
            finally:
                os.close(fd)

    threading.Thread(target=follow, daemon=True).start()
    deadline = time.monotonic() + 120
    while not reached.wait(0.05):
        if child.poll() is not None:  # the line and the rest slipped into the fifo's buffer before the reader woke
            child.communicate()  # (a replay that never reaches it fails all of `paused_at`'s tries instead)
            return None
        assert time.monotonic() < deadline, "the line never came"
    time.sleep(0.3)  # waiting in `open` of the fifo by now
    if child.poll() is not None:  # lines slipped past a reader the loaded machine woke late: it ran to the end
        child.communicate()
        return None
    return child


def paused_at(root: Path, log: Path, line: str) -> subprocess.Popen[str]:
    """`_paused_at`, tried again when the child ran past the line.

    Lines near the end of a replay (`replay-installed` has two after it) all slip past a reader that a loaded machine
    schedules late: a clean-clone CI run (`pytest -n auto` on 2 cores) saw five such runs in a row.
    """
    for _ in range(20):
        child = _paused_at(root, log, line)
        if child is not None:
            return child
    pytest.fail(f"the rebuild never paused after {line}")


def _release(log: Path, child: subprocess.Popen[str]) -> tuple[str, str]:
    """Read the log again until the child ends; its output."""
    reader = os.open(log, os.O_RDONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(BlockingIOError):
                os.read(reader, 1 << 16)
            time.sleep(0.005)
        return child.communicate(timeout=60)
    finally:
        os.close(reader)


@pytest.mark.parametrize(
    "line", ["headstart:started", "headstart:replay-marked", "headstart:replay-recorded", "headstart:replay-installed"]
)
def test_a_kill_during_the_replay_is_recovered(recorded: tuple[Path, Path], line: str) -> None:
    root, log = recorded
    child = paused_at(root, log, line)
    child.kill()
    child.communicate()
    log.unlink()
    done = cli(root, "sync")
    assert "synced" in done.stderr or "nothing to do" in done.stderr
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync").stderr
    journals = Path(os.environ["CORRAL_HOME"]) / "data" / "journals"
    assert not any(journals.iterdir())
    doctor = cli(root, "doctor")
    assert "error" not in doctor.stdout.lower()


def test_a_ctrl_c_once_the_env_is_built_waits_for_the_report(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    child = paused_at(root, log, "headstart:replay-installed")
    child.send_signal(signal.SIGINT)
    out, err = _release(log, child)
    assert child.returncode == 0, err
    assert "synced" in err
    assert " + alpha" in out
    log.unlink()
    assert "nothing to do" in cli(root, "sync").stderr


def test_a_lock_edited_while_uv_installs_is_not_stamped_as_installed(recorded: tuple[Path, Path]) -> None:
    """The stamp holds the inputs as the head start saw them before uv started, not as they are after the edit.

    uv installs what the recorded input says (the lock as it was): a stamp of the edited lock would make the next
    sync a no-op over packages of the old one.
    """
    root, log = recorded
    lock = root / "pylock.toml"
    old = lock.read_bytes()
    child = paused_at(root, log, "headstart:started")
    lock.write_bytes(old + b"# edited while uv installs\n")
    _, err = _release(log, child)
    assert child.returncode == 0, err
    stamp = json.loads((root / ".venv" / "corral-sync.json").read_text(encoding="utf-8"))
    assert stamp["lock"]["sha256"] == hashlib.sha256(old).hexdigest()
    assert stamp["lock"]["stat"][2] != lock.stat().st_ino or stamp["lock"]["stat"][3] != lock.stat().st_ctime_ns
    log.unlink()
    assert "selecting" in cli(root, "sync").stderr, "the edited lock is read again, not taken as synced"
    assert "nothing to do" in cli(root, "sync").stderr


def test_a_ctrl_c_during_the_replays_records_ends_it_and_the_next_sync_finishes(recorded: tuple[Path, Path]) -> None:
    """Held until the records are written (none cut in half), then the command ends as an interrupted one."""
    root, log = recorded
    child = paused_at(root, log, "headstart:replay-marked")
    child.send_signal(signal.SIGINT)
    _, err = _release(log, child)
    assert child.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    log.unlink()
    done = cli(root, "sync")
    assert "synced" in done.stderr or "nothing to do" in done.stderr
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "nothing to do" in cli(root, "sync").stderr


def test_a_link_the_project_put_where_the_env_was_is_never_replayed(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    root, log = recorded
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n", encoding="utf-8")
    shutil.rmtree(root / ".venv")
    (root / ".venv").symlink_to(elsewhere)
    log.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "-m", "corral", "sync"], cwd=root, capture_output=True, check=False, timeout=300, env=environ()
    )
    seen = events(log)
    assert not any(line.startswith("headstart:") for line in seen), seen
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]
    assert (root / ".venv").is_symlink()


def test_another_projects_record_is_not_replayed(
    recorded: tuple[Path, Path],
    tmp_path: Path,
    cached_index: LocalIndex,  # noqa: F811
) -> None:
    root, log = recorded
    other = make_project(tmp_path / "other", cached_index)
    cli(other, "sync")
    mine = record_of(root)
    theirs = record_of(other)
    theirs.parent.mkdir(parents=True, exist_ok=True)
    theirs.write_bytes(mine.read_bytes())  # the record of `root`, where `other`'s would be
    seen, done = rebuild(other, log)
    assert not any(line.startswith("headstart:") for line in seen), seen
    assert str(other / ".venv") in done.stderr
    assert str(root) not in done.stdout + done.stderr
    theirs.unlink()
    theirs.symlink_to(mine)  # a link: never read (the user's own regular file only)
    seen, _ = rebuild(root, log)
    assert replayed(seen), "the project's own record"
    seen, _ = rebuild(other, log)
    assert not any(line.startswith("headstart:") for line in seen), seen


def test_run_writes_the_rebuild_record_at_once(recorded: tuple[Path, Path]) -> None:
    """`corral run CMD` ends in an exec, which runs no exit handler: its record is written when the env is synced."""
    root, log = recorded
    record_of(root).unlink()
    shutil.rmtree(root / ".venv")
    cli(root, "run", "true")
    assert record_of(root).is_file()
    seen, _ = rebuild(root, log)
    assert "headstart:started" in seen
