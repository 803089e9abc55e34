"""`corral run`: the environment a command runs in (env's bin first on PATH, VIRTUAL_ENV) and the exec."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from corral.core.env import Env
from corral.core.frozen import Frozen
from corral.infra.environ import env_environ

__all__ = ["Prepared", "execute", "prepare"]


class Prepared(Frozen):
    """A resolved program, its argv and its environment (`core.frozen`: no dataclasses import on `run`'s path)."""

    __slots__ = ("argv", "cwd", "environ", "program")
    program: str
    argv: list[str]
    environ: dict[str, str]
    cwd: str | None  # the folder it runs in (`-C DIR`); None: this process's

    def __init__(self, program: str, argv: list[str], environ: dict[str, str], cwd: str | None = None) -> None:
        self._set(program=program, argv=argv, environ=environ, cwd=cwd)


def prepare(
    env: Path,
    argv: Sequence[str],
    base: Mapping[str, str],
    *,
    extra_bins: Sequence[Path] = (),
    cwd: str | None = None,
) -> Prepared | None:
    """Resolve argv[0] against the env's bin and PATH; None when there is no such program.

    `cwd`: the folder the program runs in (`corral -C DIR run ...`), where a relative argv[0] (`./tool`) is.
    """
    if not Env.at(env).is_env():
        from corral.errors import EnvError

        msg = f"{env} is not an environment; run `corral sync` first"
        raise EnvError(msg)
    python = Env.at(env).python
    if not os.access(python, os.X_OK):  # missing, dangling or not executable: never another python on PATH
        from corral.errors import EnvError

        msg = f"{env} is broken: {python} is missing, points nowhere or cannot run; rebuild it with `corral recreate`"
        raise EnvError(msg)
    environ = env_environ(env, base, extra_bins=extra_bins)
    name = argv[0]
    if cwd is not None and os.sep in name and not os.path.isabs(name):
        name = os.path.join(cwd, name)  # a path, not a name PATH resolves: from the folder it runs in
    program = shutil.which(name, path=environ["PATH"])
    if program is None:
        return None
    return Prepared(program, list(argv), environ, cwd)


def execute(prepared: Prepared) -> int:
    """Replace this process with the program on POSIX; on Windows run it and return its exit code.

    Raises:
        CannotRun: the program cannot start (its #! interpreter is gone, it is not executable); the message
            names what is missing.

    """
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if os.name == "nt":
            import subprocess

            return subprocess.call([prepared.program, *prepared.argv[1:]], env=prepared.environ, cwd=prepared.cwd)
        if prepared.cwd is not None:
            os.chdir(prepared.cwd)
        os.execve(prepared.program, prepared.argv, prepared.environ)  # noqa: S606 - argv list, no shell
    except OSError as err:
        from corral.errors import CannotRun

        raise CannotRun(_cannot_run(prepared.program, err)) from err
    raise AssertionError  # unreachable: execve does not return


def _cannot_run(program: str, err: OSError) -> str:
    """Why `program` did not start, naming the missing interpreter rather than the program that is there."""
    import errno

    if err.errno == errno.ENOENT and os.path.isfile(program):
        interpreter = _shebang(program)
        if interpreter:
            return (
                f"cannot run {program}: its #! line names {interpreter}, which does not exist (the env was "
                "moved or copied, or its Python removed); run `corral sync` to rebuild the env, or `corral "
                "doctor` to see why"
            )
    if err.errno == errno.EACCES:
        return f"cannot run {program}: permission denied; make it executable (chmod +x) or check its folder"
    if err.errno == errno.ENOEXEC:
        return f"cannot run {program}: not a program this system can start (no #! line, or built for another one)"
    return f"cannot run {program}: {err.strerror or err}"


def _shebang(program: str) -> str | None:
    """The interpreter a script's #! line names (its first word), None for a binary or an unreadable file."""
    from corral.infra.safe_read import read_small

    try:
        head = read_small(program, limit=512, what="program", truncate=True)
    except OSError:  # unreadable, or a fifo or a device (never waited on)
        return None
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", errors="replace").split()
    return words[0] if words else None
