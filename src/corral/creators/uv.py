"""Create envs with `uv venv`: the fast default for CPython 3.6+ and PyPy."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.errors import EngineError
from corral.infra.environ import offline_environ
from corral.infra.proc import run
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.protocols import CreateRequest

__all__ = ["UvCreator"]


class UvCreator:
    """`uv venv` with the exact interpreter corral chose (uv's own discovery misses pyenv versions)."""

    name = "uv"

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Uv refuses Pythons older than 3.6 (they lack the -I flag)."""
        if interpreter.version_info < (3, 6, 0):
            return f"uv does not support Python {interpreter.version} (it needs 3.6 or newer)"
        return None

    def create(self, request: CreateRequest) -> None:
        """`_run_uv`, then the path line of uv's activators fixed where uv misquotes the env's path."""
        from corral.creators.native import repair_activators

        self._run_uv(request)
        repair_activators(request.dest)

    def _run_uv(self, request: CreateRequest) -> None:
        """Run uv venv; seed pip (plus setuptools/wheel below 3.12) unless told not to.

        Seeding needs pip from an index. To stay fast and work offline, try uv's cache first
        (`--offline`), then the index, and finally the interpreter's bundled ensurepip.
        """
        base = [
            uv_binary(),
            "venv",
            str(request.dest),
            "--python",
            request.interpreter.path,
            "--no-python-downloads",
            "--no-project",
            "--quiet",
        ]
        if request.system_site_packages:
            base.append("--system-site-packages")
        if request.prompt:
            base += ["--prompt", request.prompt]
        if not request.seed:
            run(base, env=request.environ, what="uv venv")
            return
        attempts = ([*base, "--seed", "--offline"], [*base, "--seed", "--clear"])
        for cmd in attempts:
            offline = "--offline" in cmd  # the seed's wheels: no build backend runs
            environ = offline_environ(os.environ if request.environ is None else request.environ)
            try:
                run(cmd, env=environ if offline else request.environ, what="uv venv")
            except EngineError:
                continue
            return
        run([*base, "--clear"], env=request.environ, what="uv venv")
        python = Env.at(request.dest).python
        try:
            run([str(python), "-m", "ensurepip", "--default-pip"], env=request.environ, what="ensurepip")
        except EngineError as err:
            msg = (
                f"could not install pip into {request.dest}: no package index reachable and "
                f"{request.interpreter.path} has no ensurepip; connect to the index or pass --no-seed"
            )
            raise EngineError(msg, cmd=err.cmd, code=err.code, output=err.output) from err
