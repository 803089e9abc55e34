"""Run external programs and turn failures into EngineError."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from corral.errors import EngineError
from corral.infra.faults import checkpoint

__all__ = ["Completed", "isolated_environ", "run"]


@dataclass(frozen=True, slots=True)
class Completed:
    """The outcome of a finished process."""

    cmd: list[str]
    returncode: int
    stdout: str
    stderr: str


def run(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float | None = None,
    what: str | None = None,
) -> Completed:
    """Run `cmd` capturing text output; raise EngineError on a non-zero exit when `check`.

    Args:
        cmd: program and arguments (never a shell string).
        env: full environment for the child (default: ours).
        cwd: working directory.
        check: raise on failure.
        timeout: seconds before the child is killed.
        what: short description used in the error message ("uv venv").

    Raises:
        EngineError: the program is missing, timed out, or failed while `check`.

    """
    argv = [str(c) for c in cmd]
    label = what or Path(argv[0]).name
    checkpoint(f"engine:{label}")
    try:
        proc = subprocess.run(  # noqa: PLW1510 - checked below with a better message
            argv, env=dict(env) if env is not None else None, cwd=cwd, capture_output=True, text=True,
            timeout=timeout, errors="replace",
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
    checkpoint(f"engine-done:{label}")
    result = Completed(argv, proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        detail = _last_lines(proc.stderr or proc.stdout)
        msg = f"{label} failed (exit {proc.returncode}): {detail}"
        raise EngineError(msg, cmd=argv, code=proc.returncode, output=proc.stderr + proc.stdout)
    return result


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "no output"


_LEAKY_PREFIXES = ("PIP_", "UV_", "PYTHON")
_LEAKY_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "__PYVENV_LAUNCHER__")


def isolated_environ(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A copy of the environment without variables that redirect Python, pip or uv.

    Interpreter probes and engine calls use it so that a user's `PYTHONPATH`, an active
    `VIRTUAL_ENV` or `PIP_*` settings meant for something else cannot change their answer.
    """
    src = os.environ if base is None else base
    env = {k: v for k, v in src.items() if not k.startswith(_LEAKY_PREFIXES) and k not in _LEAKY_NAMES}
    env.update(extra)
    return env
