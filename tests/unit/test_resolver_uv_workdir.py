"""resolvers.uv_workdir: a killed lock's temporary project is removed by the next lock, and nothing else is.

Real folders in a temporary folder of the test's own, a real process holding a live lock's `.corral-in-use`, and a
real `corral lock` killed at its `engine:uv lock` point: test_lock_leftovers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from corral.resolvers import uv_workdir

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock")
LATER = time.time() + 2 * 86_400  # past both idle times


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


MAKE_AND_DIE = (
    "import os, sys, tempfile; tempfile.tempdir = sys.argv[1]; from corral.resolvers import uv_workdir; "
    "w = uv_workdir.make(); open(w.path / 'pyproject.toml', 'w').write('[project]'); "
    "open(w.path / 'uv.lock', 'w').write('version = 1'); print(w.path, flush=True); os.kill(os.getpid(), 9)"
)


def left(shared: Path) -> Path:
    """The folder a lock killed after writing its files leaves (a real process, SIGKILLed)."""
    cmd = [sys.executable, "-c", MAKE_AND_DIE, str(shared)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert done.returncode == -9, done.stderr  # SIGKILL
    return Path(done.stdout.strip())


HOLD = (
    "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); "
    "print('held', flush=True); sys.stdin.read()"
)


def test_a_killed_locks_folder_is_removed_and_a_live_one_kept(shared: Path) -> None:
    killed = left(shared)
    live = uv_workdir.make()
    (live.path / "uv.lock").write_text("", encoding="utf-8")
    assert uv_workdir.remove_leftovers(str(shared), now=time.time()) == [], "nothing is old enough yet"
    assert uv_workdir.remove_leftovers(str(shared), now=LATER) == [str(killed)]
    assert not killed.exists()
    assert live.path.is_dir(), "its lock is held"
    live.remove()
    assert not live.path.exists()


def test_a_folder_held_by_another_process_is_kept(shared: Path) -> None:
    path = left(shared)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path / ".corral-in-use")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert uv_workdir.remove_leftovers(str(shared), now=LATER) == []
        assert path.is_dir()
    finally:
        holder.communicate("")
    assert uv_workdir.remove_leftovers(str(shared), now=LATER) == [str(path)]


@pytest.mark.parametrize(
    "planted",
    [
        "another file inside",
        "a link named as a leftover",
        "a folder other users may enter",
        "a name tempfile never gives",
        "a lock file that is a link",
    ],
)
def test_what_is_not_provably_a_leftover_is_kept(shared: Path, tmp_path: Path, planted: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x", encoding="utf-8")
    path = left(shared)
    if planted == "another file inside":
        (path / "notes.txt").write_text("mine", encoding="utf-8")
    elif planted == "a link named as a leftover":
        uv_workdir.Workdir(path, None).remove()
        path.symlink_to(victim, target_is_directory=True)
    elif planted == "a folder other users may enter":
        path.chmod(0o755)
    elif planted == "a name tempfile never gives":
        path = path.rename(shared / "corral-lock-NOT.OURS")
    else:
        (path / ".corral-in-use").unlink()
        (path / ".corral-in-use").symlink_to(victim / "keep")
    assert uv_workdir.remove_leftovers(str(shared), now=LATER) == []
    assert os.path.lexists(path)
    assert (victim / "keep").read_text(encoding="utf-8") == "x"


def test_an_older_corrals_unmarked_folder_waits_a_day(shared: Path) -> None:
    path = left(shared)
    (path / ".corral-in-use").unlink()
    assert uv_workdir.remove_leftovers(str(shared), now=time.time() + 3600) == []
    assert uv_workdir.remove_leftovers(str(shared), now=LATER) == [str(path)]


ROOTS = (
    "import sys; from corral.resolvers import uv_workdir; assert 'tempfile' not in sys.modules, 'loaded already'; "
    "ours = uv_workdir.temp_root(); w = uv_workdir.make(); import tempfile, stat, os; "
    "print(ours); print(tempfile.gettempdir()); print(os.path.dirname(w.folder)); "
    "print(oct(stat.S_IMODE(os.stat(w.folder).st_mode))); print(os.path.basename(w.folder)); w.remove()"
)


@pytest.mark.parametrize(
    "setting",
    ["nothing set", "a folder", "a missing folder", "a file", "a relative folder", "only TEMP", "a folder and TMP"],
)
def test_the_temporary_folder_is_the_one_tempfile_gives(tmp_path: Path, setting: str) -> None:
    """make() finds tempfile.gettempdir()'s folder by its rule without importing it (a fresh interpreter each)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "rel").mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in {"TMPDIR", "TEMP", "TMP"}}
    environ.update(
        {
            "nothing set": {},
            "a folder": {"TMPDIR": str(folder)},
            "a missing folder": {"TMPDIR": str(tmp_path / "missing"), "TEMP": str(folder)},
            "a file": {"TMPDIR": str(tmp_path / "a-file")},
            "a relative folder": {"TMPDIR": "rel"},
            "only TEMP": {"TEMP": str(folder)},
            "a folder and TMP": {"TMPDIR": str(folder), "TMP": "/nonexistent"},
        }[setting]
    )
    done = subprocess.run(
        [sys.executable, "-c", ROOTS], cwd=tmp_path, env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    ours, theirs, parent, mode, name = done.stdout.splitlines()
    assert ours == theirs == parent
    assert mode == "0o700"
    assert name.startswith(uv_workdir.PREFIX)
    assert uv_workdir._named_as_ours(name)  # noqa: SLF001 - the shape remove_leftovers accepts
