"""Every error corral raises on purpose.

    CorralError                      exit 1, one line, no traceback unless -v/--debug
    ├── UsageError                   exit 2: bad input or configuration; the user can fix it
    │   ├── InvalidSpec              a Python spec that does not parse ("3.x", ">=banana"); also a ValueError
    │   ├── InterpreterNotFound      no interpreter matches a spec; lists what was found
    │   ├── ProjectNotFound          no pyproject.toml above the working directory
    │   ├── ConfigError              malformed pyproject.toml / config file (names file and line)
    │   ├── InvalidRequirement       a PEP 508 string that does not parse (core.deps.parse_requirement); a ValueError
    │   ├── UnsafeText               a value with control characters bound for a generated file (core.safe_text)
    │   └── ShellError               unknown shell, or activation impossible
    ├── EnvError                     an environment cannot be created/read/used
    │   ├── EnvExists                target exists; never overwritten silently
    │   └── CannotRun                `corral run` found the program but cannot start it (exit 126, as a shell)
    ├── LockError                    resolution or lock file problem
    │   └── LockOutdated             lock is stale for the pyproject (--locked/--check)
    ├── EngineError                  a tool (uv, pip, venv) failed; carries cmd/code/output
    ├── NoSpace                      a tool ran out of disk space (or quota); names the file system that is full
    └── SafetyRefusal                corral will not delete/overwrite something it cannot prove is an env

Anything else that escapes to the CLI is a bug: `internal error`, exit 70, the traceback with -v.

Messages state what happened, the value involved and the next step. They carry no markup.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CannotRun",
    "ConfigError",
    "CorralError",
    "EngineError",
    "EnvError",
    "EnvExists",
    "InterpreterNotFound",
    "InvalidRequirement",
    "InvalidSpec",
    "LockError",
    "LockOutdated",
    "NoSpace",
    "ProjectNotFound",
    "SafetyRefusal",
    "ShellError",
    "UnsafeText",
    "UsageError",
]


class CorralError(Exception):
    """Root of corral's deliberate errors; `exit_code` is what the CLI exits with."""

    exit_code = 1


class UsageError(CorralError):
    """Bad input or configuration that the user can correct."""

    exit_code = 2


class InvalidSpec(UsageError, ValueError):
    """A Python interpreter spec that cannot be parsed."""


class InterpreterNotFound(UsageError):
    """No interpreter matches the requested spec."""


class ProjectNotFound(UsageError):
    """No project (pyproject.toml) was found."""


class ConfigError(UsageError):
    """A configuration file is malformed or holds a wrong value."""


class InvalidRequirement(UsageError, ValueError):
    """A requirement that cannot be used; `corral.core.deps.parse_requirement`, the one validator, raises it."""


class UnsafeText(UsageError, ValueError):
    """A value holding a newline or another control character, bound for a line-based file or a command line."""


class EnvError(CorralError):
    """An environment cannot be created, read or used."""


class EnvExists(EnvError):
    """The target of a creation already exists."""


class CannotRun(EnvError):
    """A program was found but cannot start: its #! interpreter is gone, or it is not executable."""

    exit_code = 126


class LockError(CorralError):
    """Resolution failed or the lock file is unusable."""


class LockOutdated(LockError):
    """The lock no longer matches pyproject.toml."""


class ShellError(UsageError):
    """Unknown shell or impossible activation."""


class SafetyRefusal(CorralError):
    """corral refuses to delete or replace something it cannot prove is an environment."""


class EngineError(CorralError):
    """An external tool failed."""

    def __init__(self, message: str, *, cmd: Sequence[str] = (), code: int | None = None, output: str = "") -> None:
        super().__init__(message)
        self.cmd = list(cmd)
        self.code = code
        self.output = output


class NoSpace(CorralError):
    """A tool found the disk (or the user's quota) full: no fallback can help, so nothing else is tried."""

    def __init__(self, message: str, *, path: str | None = None, cmd: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.cmd = list(cmd)
