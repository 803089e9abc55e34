"""Run external programs and turn failures into EngineError."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

from corral.errors import EngineError, NoSpace
from corral.infra.faults import checkpoint

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    import re

__all__ = ["Completed", "no_space", "run", "settle"]


class Completed:
    """The outcome of a finished process.

    A plain class, not a dataclass: importing `dataclasses` costs ~4 ms, and the no-op `lock` runs `git describe`.
    """

    __slots__ = ("cmd", "returncode", "stderr", "stdout")

    def __init__(self, cmd: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Completed(cmd={self.cmd!r}, returncode={self.returncode})"


def run(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float | None = None,
    what: str | None = None,
    stdin: str | None = None,
) -> Completed:
    """Run `cmd` capturing text output; raise EngineError on a non-zero exit when `check`.

    Args:
        cmd: program and arguments (never a shell string).
        env: full environment for the child (default: ours).
        cwd: working directory.
        check: raise on failure.
        timeout: seconds before the child is killed.
        what: short description used in the error message ("uv venv").
        stdin: text written to the child's standard input (default: none, the child reads end of file).

    Raises:
        EngineError: the program is missing, timed out, or failed while `check`.

    """
    import subprocess  # here: the modules that run programs are imported by paths that may start none (~5 ms)

    argv = [str(c) for c in cmd]
    label = what or Path(argv[0]).name
    checkpoint(f"engine:{label}")
    try:
        proc = subprocess.run(  # noqa: PLW1510 - checked below with a better message
            argv,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            errors="replace",
            input=stdin,
        )
    except FileNotFoundError as err:
        msg = f"{label}: program not found: {argv[0]}"
        raise EngineError(msg, cmd=argv) from err
    except OSError as err:  # not executable, not a program (ENOEXEC), ...
        msg = f"{label}: cannot run {argv[0]}: {err.strerror or err}"
        raise EngineError(msg, cmd=argv) from err
    except subprocess.TimeoutExpired as err:
        msg = f"{label}: no answer after {timeout} s: {' '.join(argv)}"
        raise EngineError(msg, cmd=argv) from err
    return settle(argv, proc.returncode, proc.stdout, proc.stderr, what=label, check=check)


def settle(argv: list[str], returncode: int, stdout: str, stderr: str, *, what: str, check: bool = True) -> Completed:
    """The outcome of a finished `argv` as `run` gives it (and raises it); also for one started elsewhere."""
    checkpoint(f"engine-done:{what}")
    result = Completed(argv, returncode, stdout, stderr)
    if check and returncode != 0:
        full = no_space(what, stderr + stdout, cmd=argv)
        if full is not None:
            raise full
        detail = _last_lines(stderr or stdout)
        msg = f"{what} failed (exit {returncode}): {detail}"
        raise EngineError(msg, cmd=argv, code=returncode, output=stderr + stdout)
    return result


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(no space, quota, wrapped line, path), compiled when a failure is read, not by every command importing this."""
    import re

    return (
        # How uv (Rust's io::Error), pip and Python (strerror, [Errno N]) and Windows word a full disk or quota.
        re.compile(
            r"No space left on device|os error 28\b|\[Errno 28\]|not enough space on the disk"
            r"|Disk quota exceeded|os error 122\b|\[Errno 122\]",
            re.IGNORECASE,
        ),
        re.compile(r"quota|os error 122\b|\[Errno 122\]", re.IGNORECASE),
        re.compile(r"\n[ \t]+"),
        re.compile(r"(?:[A-Za-z]:)?[/\\][^\s`'\"]+"),
    )


def no_space(label: str, output: str, *, cmd: Sequence[str] = ()) -> NoSpace | None:
    """NoSpace naming the full file system when a tool's `output` says the disk or quota ran out, else None."""
    no_space_re, quota_re, wrapped_re, path_re = _patterns()
    # uv wraps long messages, indenting the continuation (never inside a path): one logical line per message
    lines = wrapped_re.sub(" ", output).splitlines()
    found = next((m for m in map(no_space_re.search, lines) if m is not None), None)
    if found is None:
        return None
    from corral.infra.fs import mount_point

    line, at = found.string, found.start()
    # uv: "failed to copy file from A to B: No space ..." (the last path before); pip: "No space ...: 'B'" (after)
    before, after = path_re.findall(line[:at]), path_re.findall(line[at:])
    written = (before[-1] if before else after[0]).rstrip(":.,)") if before or after else None
    what = "your disk quota is used up" if quota_re.search(line) else "no space left on device"
    if written:
        msg = (
            f"{what}: {label} could not write {written} (on the file system mounted at {mount_point(written)}); "
            "free some space there and run the command again"
        )
    else:
        msg = (
            f"{what} while {label} ran; free some space (on the env's disk, uv's cache or the temporary "
            "folder) and run the command again"
        )
    return NoSpace(msg, path=written, cmd=cmd)


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "no output"
