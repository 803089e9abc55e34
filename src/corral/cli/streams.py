"""Output that cannot be written is no crash (`corral sync >/dev/full`, `2>/dev/full`, a full disk under a log file).

`guard_streams` puts a guard around stdout and stderr before a command runs. A write or flush that fails (ENOSPC,
EIO, EFBIG, ...) is remembered and the rest of that stream's output is dropped, so the command runs to its end: the
env and the lock are what it finished, never half of it. Stderr's loss stays silent (there is nowhere to say it);
stdout's is said on stderr once the command is done, and turns its exit code into 1 (`unwritten`). A pipe whose
reader left (EPIPE on stdout) is not touched: `cli.main` stops quietly there, as before.

`point_of_no_return` is for a command whose work is done and whose report is all that is left: a Ctrl-C from there
on is ignored, so the report (`"ok": true`) and exit 0 go out together, never the report and then death by SIGINT.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import IO, Any, NoReturn


__all__ = ["guard_streams", "leave", "point_of_no_return", "unwritten"]

# Whether this process is corral's own command (the console script, which guards its streams first): only then is
# the Ctrl-C handler corral's to change. A library caller or a test running `cli.main.main` in-process keeps its own,
# or every program it starts later would inherit an ignored SIGINT.
_console = False


class _Guarded:
    """A text stream that drops its output after the first write or flush that fails (`failure` says why)."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self._stream = stream
        self.name = name
        self.failure: OSError | None = None

    def write(self, text: str) -> int:
        if self.failure is None:
            try:
                return self._stream.write(text)
            except OSError as err:
                self._failed(err)
        return len(text)

    def writelines(self, lines: Any) -> None:  # noqa: ANN401 - any iterable of str, as a text stream takes
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.failure is None:
            try:
                self._stream.flush()
            except OSError as err:
                self._failed(err)

    def _failed(self, err: OSError) -> None:
        if isinstance(err, BrokenPipeError) and self.name == "stdout":
            raise err  # the reader left: cli.main ends quietly (exit 141)
        self.failure = err
        # What the stream still holds would fail again when Python flushes it at exit ("Exception ignored ...
        # lost sys.stderr"): the descriptor now leads to the null device, which a program started later inherits.
        try:
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
            self._stream.flush()
        except (OSError, ValueError, AttributeError):  # no descriptor (a test's StringIO): nothing flushes it at exit
            pass

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - isatty, fileno, encoding, ... of the real stream
        return getattr(self._stream, name)


def guard_streams() -> None:
    """Put the guard around `sys.stdout` and `sys.stderr` (once); the process is a corral command from here."""
    global _console  # noqa: PLW0603 - one flag for the process, set once by the console script
    _console = True
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, _Guarded):
            setattr(sys, name, _Guarded(stream, name))


def unwritten(code: int) -> int:
    """`code`, or 1 when stdout could not be written (said on stderr, which may have failed too: then silently)."""
    sys.stdout.flush()
    stdout = sys.stdout
    failure = stdout.failure if isinstance(stdout, _Guarded) else None
    if failure is None:
        return code
    reason = failure.strerror or type(failure).__name__
    done = "; the command itself is done, only what it printed is lost" if code == 0 else ""
    sys.stderr.write(f"error: cannot write output: {reason} (stdout){done}\n")
    sys.stderr.flush()
    return code or 1


def point_of_no_return() -> None:
    """The command's work is done (a lock written, say): a Ctrl-C can no longer change it, so it is ignored now.

    Before this, a Ctrl-C ends the command with 130 and its error envelope; after it, the success report is written
    and the exit is 0. Without it a Ctrl-C arriving while the report is written (or as Python exits) leaves the
    report on stdout and the process dead by SIGINT. A Ctrl-C that reached Python just before is dropped with it
    (the handler is looked up when Python acts on the signal). Only in corral's own process (`guard_streams`): an
    in-process caller's handler is left as it is.
    """
    import _signal  # type: ignore[import-not-found]  # signal's functions without building its enums (~1 ms)
    import contextlib

    from corral.infra.faults import checkpoint

    if _console:
        with contextlib.suppress(ValueError):  # not the main thread: its Ctrl-C is not ours
            _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    checkpoint("report")  # (the Ctrl-C trials pause a command here and interrupt it)


def leave(code: int) -> NoReturn:
    """End corral's own process with `code`, without the interpreter's teardown once nothing is left to do.

    Freeing the ~220 modules a full command imports takes the interpreter 12-30 ms after the last line is out (seen
    with strace: no system call in between). The exit handlers still run first (a head start not adopted is undone
    there, `logging` flushes), then the standard streams are flushed, then `os._exit`. With another thread still
    running, or an exit handler that fails, the ordinary exit is taken instead.
    """
    import atexit

    threading = sys.modules.get("threading")
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if (threading is not None and threading.active_count() > 1) or run_exit_handlers is None:
        sys.exit(code)
    try:
        run_exit_handlers()  # (it forgets them as it runs them: a sys.exit below does not run them twice)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - any doubt: the ordinary exit, which reports what it can
        sys.exit(code)
    os._exit(code)
