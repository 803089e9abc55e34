"""Create envs with the standard library's `venv` module (the fallback; `--creator venv`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.infra.proc import run

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.protocols import CreateRequest

__all__ = ["VenvCreator"]


class VenvCreator:
    """`python -m venv` run by the target interpreter itself; pip comes from its bundled ensurepip."""

    name = "venv"

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Venv exists from Python 3.3; `--prompt` needs 3.6."""
        if interpreter.version_info < (3, 6, 0):
            return f"Python {interpreter.version} has no usable venv module (use the virtualenv creator)"
        return None

    def create(self, request: CreateRequest) -> None:
        """Run `<python> -m venv`."""
        cmd = [request.interpreter.path, "-m", "venv", str(request.dest)]
        if not request.seed:
            cmd.append("--without-pip")
        if request.system_site_packages:
            cmd.append("--system-site-packages")
        if request.prompt:
            cmd += ["--prompt", request.prompt]
        try:
            run(cmd, env=request.environ, what="python -m venv")
        except Exception as err:
            hint = getattr(err, "output", "")
            if "ensurepip" in hint:
                msg = (
                    f"{request.interpreter.path} cannot seed pip (ensurepip is missing; on Debian/Ubuntu "
                    "install python3-venv), or pass --no-seed or --creator uv"
                )
                raise type(err)(msg) from err
            raise
