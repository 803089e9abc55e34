"""Create envs with corral's private virtualenv 20.21.1: the creator for Python 2.7 (and 3.6/3.7 on request)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from corral.infra.environ import virtualenv_environ
from corral.infra.paths import CorralPaths
from corral.infra.proc import run
from corral.toolchain.legacy import VIRTUALENV_VERSION, legacy_python

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.protocols import CreateRequest

__all__ = ["VirtualenvCreator"]

_OLDEST_3 = (3, 5)  # virtualenv 20.21.1 creates 2.7 and 3.5+ envs


class VirtualenvCreator:
    """virtualenv 20.21.1 from corral's toolchain env, with the exact interpreter and offline seed wheels."""

    name = "virtualenv"

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Virtualenv 20.21.1 serves 2.7 and 3.5+, not free-threaded builds (they came later)."""
        minor = interpreter.minor
        if minor != (2, 7) and minor < _OLDEST_3:
            return f"virtualenv {VIRTUALENV_VERSION} creates Python 2.7 and 3.5+ envs, not {interpreter.version}"
        if interpreter.free_threaded:
            return f"virtualenv {VIRTUALENV_VERSION} predates free-threaded Python builds"
        return None

    def create(self, request: CreateRequest) -> None:
        """Install the toolchain if needed, then run its virtualenv with seed wheels it embeds (no network)."""
        from corral.toolchain.virtualenv_tool import ensure_virtualenv

        environ = dict(os.environ if request.environ is None else request.environ)
        paths = CorralPaths.from_environment(environ)
        tool = ensure_virtualenv(
            paths.data,
            environ=environ,
            host=lambda: _host_path(paths, environ),
            index_url=request.index_url,
            extra_index_urls=list(request.extra_index_urls),
        )
        cmd = [
            *tool.command(),
            str(request.dest),
            "-p",
            request.interpreter.path,
            "--no-download",
            "--no-periodic-update",
            "--no-vcs-ignore",
            "--app-data",
            str(paths.cache / "virtualenv-app-data"),
        ]
        cmd += _seed_args(request)
        if request.system_site_packages:
            cmd.append("--system-site-packages")
        if request.prompt:
            cmd += ["--prompt", request.prompt]
        run(cmd, env=virtualenv_environ(environ), what=f"virtualenv {VIRTUALENV_VERSION}")


def _seed_args(request: CreateRequest) -> list[str]:
    """Exact seed pins for a legacy Python (all embedded in virtualenv 20.21.1), else its bundled ones."""
    if not request.seed:
        return ["--no-seed"]
    row = legacy_python(request.interpreter.version_info)
    if row is None:
        return []
    pip, setuptools, wheel = row.virtualenv_seed
    return ["--pip", pip, "--setuptools", setuptools, "--wheel", wheel]


def _host_path(paths: CorralPaths, environ: Mapping[str, str]) -> str:
    """The newest non-legacy CPython discovery knows (virtualenv runs on it), else corral's own interpreter."""
    from corral.discovery.finder import InterpreterFinder
    from corral.discovery.prober import CachedProber
    from corral.toolchain.virtualenv_tool import choose_host

    finder = InterpreterFinder(CachedProber(paths.interpreter_cache), environ)
    host = choose_host(finder.all())
    return host.path if host is not None else sys.executable
