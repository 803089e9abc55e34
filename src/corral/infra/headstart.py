"""The head start of a rebuild: the env and its uv install begun by `cli.headstart`, adopted or undone by the full path.

`corral sync` (and `corral run CMD`) after the env was deleted spends ~70 ms in Python (imports, settings, choices)
before its one `uv pip install`. `cli.headstart` begins that work at once from a record of the last such rebuild:
it takes the project and env locks, writes the `creating` journal, lays out the env as the native creator did and
starts the recorded uv command. This module holds that live head start in the process, and the full path decides:

- `services.transaction.project_lock` and `services.sync.apply.env_lock` take over the locks (`take_lock`), as a
  second `flock` of the same file in one process would wait forever;
- `services.create` compares the layout the creator would write with the one written (`claim_layout`): equal, the
  creator is skipped (every record it writes after is still written); else the head start is undone (`discard`);
- `engines.uv` compares its first command, environment and input with the head start's (`claim`): equal, it takes
  that process's outcome as its own; else it waits for it and raises `Mismatch`, and the sync removes the env
  this process made and builds it the ordinary way;
- `services.create.finish_interrupted_creation` leaves the live head start's journal alone.

Whatever the full path did not adopt is undone at exit (the process waited for, the env it laid out removed);
a kill leaves what a kill during creation leaves (the journal: the next command recovers).

The same module collects, during an ordinary rebuild, what the next head start needs (`note_layout`, `note_command`,
`synced`): `cli.headstart` arms it and writes the record. Stdlib only (os, sys at import): the CLI's first module
imports it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "Live",
    "Mismatch",
    "arm",
    "armed",
    "claim",
    "claim_layout",
    "discard",
    "input_files",
    "keep",
    "kept",
    "live_env",
    "mismatch",
    "note_command",
    "note_layout",
    "note_seed_key",
    "owns",
    "pending_install",
    "read_input",
    "start",
    "synced",
    "take_lock",
    "wait_for",
]

FAULT_LOG = "CORRAL_FAULT_LOG"


class Mismatch(Exception):  # not an error the user sees: the sync builds the env the ordinary way
    """The head start's uv command is not the one the full path runs: its env is removed and built again."""


class Live:
    """A head start in this process: what it made and holds."""

    __slots__ = (
        "argv",
        "env",
        "environ",
        "files",
        "journal",
        "layout",
        "locks",
        "made",
        "outcome",
        "pid",
        "stdin",
        "streams",
    )

    def __init__(self, env: str, journal: str, layout: tuple[object, ...]) -> None:
        self.env = env
        self.journal = journal
        self.layout = layout
        self.locks: list[int] = []
        self.made = False  # the full path adopted the layout
        self.pid: int | None = None  # the uv process, until waited for
        self.argv: list[str] = []
        self.environ: dict[str, str] = {}
        self.stdin = ""
        self.files: dict[str, bytes] = {}  # the files uv reads (`-r FILE`), as they were when it started
        self.streams: tuple[int, int] = (-1, -1)
        self.outcome: tuple[int, bytes, bytes] | None = None  # the process's, once waited for (`wait_outcome`)


_live: list[Live] = []
_capture: dict[str, object] = {}


def log(name: str) -> None:
    """Append `name` to the fault log (`infra.faults`), which tests read to see what a process did."""
    path = os.environ.get(FAULT_LOG)
    if path:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError:
            return
        try:
            os.write(fd, f"{os.getpid()} {name}\n".encode())
        finally:
            os.close(fd)


def start(env: str, journal: str, layout: tuple[object, ...], locks: list[int]) -> Live:
    """Register a head start (cli.headstart, once the env is laid out); undone at exit unless adopted."""
    import atexit

    live = Live(env, journal, layout)
    live.locks = locks
    _live.append(live)
    atexit.register(_at_exit)
    return live


def _current(env: object) -> Live | None:
    if not _live:
        return None
    live = _live[0]
    return live if os.path.abspath(str(env)) == live.env else None


def live_env(env: object) -> bool:
    """True when `env` is the env a live head start of this process laid out (not yet undone)."""
    return _current(env) is not None


def owns(env: object) -> bool:
    """The `creating` journal naming `env` is the live head start's (recovery leaves it alone)."""
    return _current(env) is not None


def take_lock(path: object) -> int | None:
    """The descriptor holding the lock on `path` when the head start took it; the caller now unlocks and closes it."""
    if not _live:
        return None
    try:
        st = os.stat(str(path))
    except OSError:
        return None
    for fd in _live[0].locks:
        try:
            held = os.fstat(fd)
        except OSError:
            continue
        if (held.st_dev, held.st_ino) == (st.st_dev, st.st_ino):
            _live[0].locks.remove(fd)
            return fd
    return None


def claim_layout(env: object, layout: tuple[object, ...]) -> bool:
    """True (the creator is skipped) when the head start laid out exactly `layout` at `env`; else it is undone."""
    live = _current(env)
    if live is None:
        return False
    if live.layout == layout:
        live.made = True
        log("headstart:layout-adopted")
        return True
    discard()
    return False


def pending_install(env: object) -> bool:
    """The head start's uv process for `env` (or its outcome) still awaits the full path's verdict."""
    live = _current(env)
    return live is not None and _pending(live)


def _pending(live: Live) -> bool:
    return live.pid is not None or live.outcome is not None


def wait_outcome() -> tuple[int, bytes, bytes] | None:
    """Wait for the live head start's uv process; its (exit code, stdout, stderr), kept for the full path's `claim`.

    `cli.rebuild_replay` waits here; when it does not answer the command itself, the full path claims this outcome
    as if it had waited for the process (it judges the command it would run as before).
    """
    if not _live or not _pending(_live[0]):
        return None
    return _wait(_live[0])


def keep() -> None:
    """The live head start's env now carries corral's records (`cli.rebuild_replay`): kept at exit, not undone."""
    if _live:
        _live[0].made = True


def kept() -> bool:
    """Whether the live head start's env is kept at exit (`keep` was called, or the full path adopted its layout)."""
    return bool(_live) and _live[0].made


def replayed() -> None:
    """`cli.rebuild_replay` answered the command: the head start is adopted whole (kept, its locks released)."""
    if _live:
        live = _live.pop()
        live.made = True
        live.outcome = None
        _release(live)
        log("headstart:replayed")


def _wait(live: Live) -> tuple[int, bytes, bytes]:
    if live.outcome is not None:
        return live.outcome
    pid = live.pid
    if pid is None:
        return 0, b"", b""
    while True:
        try:
            _, status = os.waitpid(pid, 0)  # a Ctrl-C here keeps `pid`: the exit handler waits for it again
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries it
            continue
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            status = 1 << 8
            break
    live.pid = None
    live.outcome = (os.waitstatus_to_exitcode(status), *_read_streams(live))
    return live.outcome


def _read_streams(live: Live) -> tuple[bytes, bytes]:
    out = []
    for fd in live.streams:
        chunks = []
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError:
            pass
        finally:
            try:  # noqa: SIM105 - contextlib costs an import here
                os.close(fd)
            except OSError:
                pass
        out.append(b"".join(chunks))
    live.streams = (-1, -1)
    return out[0], out[1]


def _text(data: bytes) -> str:
    """Output decoded as `subprocess.run(text=True, errors="replace")` decodes it."""
    import io

    return io.TextIOWrapper(io.BytesIO(data), errors="replace").read()


def claim(argv: Sequence[str], environ: Mapping[str, str] | None, stdin: str | None) -> tuple[int, str, str] | None:
    """The head start's (exit code, stdout, stderr) when it ran exactly this command; None: none is pending.

    Raises:
        Mismatch: a head start is pending for this env with another command (it was waited for first).

    """
    if not _live or not _pending(_live[0]):
        return None
    live = _live.pop()
    given = dict(os.environ if environ is None else environ)
    same = list(argv) == live.argv and given == live.environ and (stdin or "") == live.stdin
    # a file uv read that the full path has rewritten since (it differed from what it installs) is another input
    same = same and all(read_input(path) == data for path, data in live.files.items())
    code, out, err = _wait(live)
    _release(live)
    if not same:
        log("headstart:mismatch")
        raise Mismatch(live.env)
    log("headstart:adopted")
    if _capture:
        _capture["adopted"] = True  # the record's base holds as it is (cli.headstart renews only its replay part)
    return code, _text(out), _text(err)


def mismatch(env: object) -> None:
    """The full path will not run the head start's command for `env` (another engine, nothing left): wait, raise."""
    live = _current(env)
    if live is not None and _pending(live):
        _live.remove(live)
        _wait(live)
        _release(live)
        log("headstart:mismatch")
        raise Mismatch(live.env)


def discard() -> None:
    """Undo a head start the full path did not adopt: wait for uv, remove the env it laid out, drop its journal."""
    if not _live:
        return
    live = _live.pop()
    _wait(live)
    if not live.made:
        import shutil

        shutil.rmtree(live.env, ignore_errors=True)  # made by this process a moment ago (it was absent)
        try:  # noqa: SIM105
            os.unlink(live.journal)
        except OSError:
            pass
    _release(live)


def wait_for(env: object) -> None:
    """Undo the head start of `env`, if one is live (its process waited for; the env removed unless adopted)."""
    if _current(env) is not None:
        discard()


def _release(live: Live) -> None:
    for fd in live.locks:
        try:  # noqa: SIM105 - closing the descriptor releases its flock (contextlib: not loaded here)
            os.close(fd)
        except OSError:  # noqa: PERF203 - one or two descriptors
            pass
    live.locks = []


def _at_exit() -> None:
    if _live:
        discard()


# -- what the next head start needs, collected during an ordinary rebuild --------------------------------------------


def arm(writer: Callable[[dict[str, object]], None], **facts: object) -> None:
    """Collect this sync's creation and first uv command for `writer` (cli.headstart) when it builds the env."""
    _capture.clear()
    _capture.update(facts, writer=writer)


def armed() -> bool:
    """Whether this sync collects what the next head start needs, and has no layout yet."""
    return bool(_capture) and "layout" not in _capture


def note_layout(env: object, interpreter: tuple[str, str], layout: tuple[object, ...] | None) -> None:
    """The native creator's layout for `env` made from the interpreter (path, real path); None: another creator."""
    if layout is not None and _capture and "layout" not in _capture:
        _capture.update(env=os.path.abspath(str(env)), interpreter=interpreter, layout=layout)


def input_files(argv: Sequence[str]) -> list[str]:
    """The files a uv command reads its requirements from (`-r FILE`; `-r -` is its input)."""
    return [argv[i + 1] for i in range(len(argv) - 1) if argv[i] in ("-r", "--requirement") and argv[i + 1] != "-"]


def read_input(path: str) -> bytes | None:
    """The bytes of an input file of uv: a regular file of the user's own that nobody else may write; else None."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def note_command(argv: Sequence[str], environ: Mapping[str, str] | None, stdin: str | None, what: str) -> None:
    """The first uv command of the sync (`what`: its label in messages), once the layout is noted."""
    if _capture and "layout" in _capture:
        _capture["commands"] = int(str(_capture.get("commands", 0))) + 1  # a second one: no replay (cli.headstart)
    if _capture and "layout" in _capture and "argv" not in _capture:
        files = {path: read_input(path) for path in input_files(argv)}
        _capture.update(
            argv=list(argv),
            environ=dict(os.environ if environ is None else environ),
            stdin=stdin or "",
            what=what,
            files=files,
        )


def note_seed_key(key: str | None) -> None:
    """The key (`engines.uv_seed_key.seed_key`) under which the first uv command's seed entry was chosen; None: none.

    Before that command is noted (the entry goes into its input). The replay computes the key again and stands
    aside when it differs: the full path would then learn another entry (`cli.rebuild_replay`).
    """
    if _capture and "layout" in _capture and "argv" not in _capture:
        _capture["seed_key"] = key or "-"


def synced(env: object, *, created: bool) -> None:
    """The sync finished: record what it did when it created `env` (never fails the sync)."""
    facts = dict(_capture)
    _capture.clear()
    writer = facts.get("writer")
    if not created or writer is None or "argv" not in facts:
        return
    if facts.get("env") != os.path.abspath(str(env)):
        return
    try:  # noqa: SIM105 - contextlib is not loaded on this path
        writer(facts)  # type: ignore[operator]
    except Exception:  # noqa: BLE001, S110 - a record only saves time
        pass


def platform_ok() -> bool:
    """Head starts are taken on Linux only (the native creator's platform; memfd_create, posix_spawn)."""
    return sys.platform.startswith("linux") and hasattr(os, "memfd_create") and hasattr(os, "posix_spawn")
