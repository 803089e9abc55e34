"""Start a program inside an env without activating anything: env's bin/ first on PATH, VIRTUAL_ENV set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from corral.errors import UsageError

__all__ = ["EXIT_NOT_FOUND", "env_environ", "exec_in_env"]

EXIT_NOT_FOUND = 127


def env_environ(env: Path, base: Mapping[str, str], *, extra_bins: Sequence[Path] = ()) -> dict[str, str]:
    """`base` with the env's scripts folder (then `extra_bins`) first on PATH and VIRTUAL_ENV pointing at it."""
    bin_dir = env / ("Scripts" if os.name == "nt" else "bin")
    result = {k: v for k, v in base.items() if k not in {"PYTHONHOME", "__PYVENV_LAUNCHER__"}}
    path = [str(bin_dir), *(str(b) for b in extra_bins), *(p for p in base.get("PATH", "").split(os.pathsep) if p)]
    result["PATH"] = os.pathsep.join(dict.fromkeys(path))
    result["VIRTUAL_ENV"] = str(env)
    return result


def exec_in_env(env: Path, argv: Sequence[str], base: Mapping[str, str], *, extra_bins: Sequence[Path] = ()) -> int:
    """Replace this process with `argv` run in `env` (POSIX), or run it and return its exit code (Windows).

    Raises UsageError (exit 127 semantics for the caller) when the program cannot be found.
    """
    if not argv:
        msg = "no command given; e.g. `corral run python -V`"
        raise UsageError(msg)
    environ = env_environ(env, base, extra_bins=extra_bins)
    program = shutil.which(argv[0], path=environ["PATH"]) if os.sep not in argv[0] else argv[0]
    if program is None or not os.path.exists(program):
        msg = f"command not found: {argv[0]} (looked in {env / 'bin'} and PATH); install it with `corral add`"
        err = UsageError(msg)
        err.exit_code = EXIT_NOT_FOUND
        raise err
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # pragma: no cover - no exec on Windows: run and pass the code through
        return subprocess.run([program, *argv[1:]], env=environ, check=False).returncode
    os.execve(program, [argv[0], *argv[1:]], environ)
    return 0  # pragma: no cover - execve does not return
