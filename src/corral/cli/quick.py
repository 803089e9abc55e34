"""The first thing `corral` runs: a no-op `sync` or a ready `run CMD`, answered from corral's quick record.

Only the plain command lines are recognised: `corral sync`, `corral sync -q` (`--quiet`) and `corral run CMD
[ARGS...]` where CMD is a program name (not an option, not a path, not a `*.py` script). Anything else, and any
doubt (no record, one input changed, an error of any kind), goes to `corral.cli.main` unchanged, which writes the
record again when it proves a no-op (`services.sync.quick_record` says what is compared and why it suffices).

The answers are today's fast path's, to the byte: `sync` prints "nothing to do: ENV already matches pylock.toml"
on stderr (not with -q) and exits 0; `run` execs CMD with the environment `infra.environ.env_environ` gives it,
found on PATH as `shutil.which` finds it (`services.run.prepare`). Any failure to start it takes the full path,
which reports it. `run` is quick on POSIX only (Windows runs a child process instead of an exec).

Stdlib only (os, sys): no argparse, json, re, pathlib, typing or hashlib; start-up is what this saves.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["answer", "in_env_environ", "run", "which"]

_QUIET: tuple[list[str], ...] = ([], ["-q"], ["--quiet"])
# What would make a program in an env run another Python's library (infra.environ._IN_ENV_DROP; a test checks).
_IN_ENV_DROP = ("PYTHONHOME", "__PYVENV_LAUNCHER__", "CONDA_PREFIX")


def run() -> None:
    """Console-script and `python -m corral` entry point: the quick answer, else the full command line."""
    code = answer(sys.argv[1:], os.environ)
    if code is None:
        from corral.cli.main import run as full

        full()
        return
    sys.exit(code)


def answer(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """The exit code of a recognised no-op (a ready `run` does not return); None: take the full path."""
    if len(argv) < 1 or argv[0] not in ("sync", "run"):
        return None
    try:
        if argv[0] == "sync":
            return _sync(argv[1:], environ) if argv[1:] in _QUIET else None
        return _run(argv[1:], environ)
    except Exception:  # noqa: BLE001 - any doubt goes the full way, which reports what is wrong
        return None


def _sync(flags: list[str], environ: Mapping[str, str]) -> int | None:
    from corral.services.sync.quick_record import lookup

    found = lookup(os.getcwd(), environ)
    if found is None or not found[1]:  # a no-op for another selection than `sync`'s default
        return None
    if not flags:
        sys.stderr.write(f"nothing to do: {found[0]} already matches pylock.toml\n")
        sys.stderr.flush()
    return 0


def _run(argv: list[str], environ: Mapping[str, str]) -> int | None:  # noqa: PLR0911 - one exit per doubt
    if os.name == "nt" or not argv:
        return None
    cmd = argv[0]
    if not cmd or cmd.startswith("-") or cmd.endswith(".py") or os.sep in cmd:
        return None  # corral's options, `--`, a script (PEP 723 or not) and paths take the full path
    from corral.services.sync.quick_record import lookup

    found = lookup(os.getcwd(), environ)
    if found is None:
        return None
    env = found[0]
    if not os.path.exists(os.path.join(env, "bin", "python")):
        return None  # a broken env: the full path says so and runs nothing
    child = in_env_environ(env, environ)
    program = which(cmd, child["PATH"])
    if program is None:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, child)  # noqa: S606 - argv list, no shell
    except OSError:
        return None
    return None  # unreachable: execve does not return


def in_env_environ(env: str, base: Mapping[str, str]) -> dict[str, str]:
    """`infra.environ.env_environ(env, base)` on POSIX: the env's bin first on PATH, VIRTUAL_ENV set."""
    bin_dir = os.path.join(env, "bin")
    environ = {k: v for k, v in base.items() if k not in _IN_ENV_DROP}
    old_path = environ.get("PATH", os.defpath)
    environ["PATH"] = os.pathsep.join([bin_dir, *(p for p in old_path.split(os.pathsep) if p and p != bin_dir)])
    environ["VIRTUAL_ENV"] = env
    return environ


def which(cmd: str, path: str) -> str | None:
    """`shutil.which(cmd, path=path)` on POSIX for a bare program name (no separator in it)."""
    seen = set()
    for folder in path.split(os.pathsep):
        if folder in seen:
            continue
        seen.add(folder)
        name = os.path.join(folder, cmd)
        if os.path.exists(name) and os.access(name, os.F_OK | os.X_OK) and not os.path.isdir(name):
            return name
    return None
