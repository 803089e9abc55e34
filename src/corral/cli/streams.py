"""Output that cannot be written is no crash (`corral sync >/dev/full`, `2>/dev/full`, a full disk under a log file).

`guard_streams` puts a guard around stdout and stderr before a command runs. A write or flush that fails (ENOSPC,
EIO, EFBIG, ...) is remembered and the rest of that stream's output is dropped, so the command runs to its end: the
env and the lock are what it finished, never half of it. Stderr's loss stays silent (there is nowhere to say it);
stdout's is said on stderr once the command is done, and turns its exit code into 1 (`unwritten`). A pipe whose
reader left (EPIPE on stdout) is not touched: `cli.main` stops quietly there, as before.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

__all__ = ["guard_streams", "unwritten"]


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
    """Put the guard around `sys.stdout` and `sys.stderr` (once)."""
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
