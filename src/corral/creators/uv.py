"""Create envs with `uv venv`: the fast default for CPython 3.6+ and PyPy."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        """uv refuses Pythons older than 3.6 (they lack the -I flag)."""
        if interpreter.version_info < (3, 6, 0):
            return f"uv does not support Python {interpreter.version} (it needs 3.6 or newer)"
        return None

    def create(self, request: CreateRequest) -> None:
        """Run uv venv; seed pip (plus setuptools/wheel below 3.12) unless told not to."""
        cmd = [uv_binary(), "venv", str(request.dest), "--python", request.interpreter.path,
               "--no-python-downloads", "--no-project", "--quiet"]
        if request.seed:
            cmd.append("--seed")
        if request.system_site_packages:
            cmd.append("--system-site-packages")
        if request.prompt:
            cmd += ["--prompt", request.prompt]
        run(cmd, env=request.environ, what="uv venv")
