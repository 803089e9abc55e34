"""UvInstaller: `uv pip install --no-deps --require-hashes` of exact files, `uv pip uninstall`.

A warm cache never touches the network: each install is tried `--offline` first (uv then serves every
locked file from its cache without revalidating the URLs) and repeated online only when that fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from corral.engines._reqfile import apply_plan, failing_requirement, requirements_file
from corral.errors import EngineError
from corral.infra.proc import run
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan
    from corral.core.pylock_select import Chosen

__all__ = ["UvInstaller"]


class UvInstaller:
    """The default engine (fast; serves CPython 3.6+ and PyPy)."""

    name = "uv"

    def cannot_install(self, env: Path, interpreter: InterpreterInfo | None = None) -> str | None:  # noqa: ARG002
        """Uv cannot run Pythons older than 3.6 (they lack the -I flag)."""
        if interpreter is not None and interpreter.version_info < (3, 6, 0):
            return f"uv cannot install into Python {interpreter.version} envs (it needs 3.6 or newer)"
        return None

    def apply(
        self,
        env_python: Path,
        plan: SyncPlan,
        *,
        offline: bool = False,
        progress: Callable[[str, str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Install what the plan adds or changes, then uninstall what it removes."""

        def install(lines: list[str], items: Sequence[Chosen], hashed: bool) -> None:
            self._install(env_python, lines, items, offline=offline, environ=environ,
                          extra=["--require-hashes"] if hashed else [], progress=progress)

        def uninstall(names: list[str]) -> None:
            run([uv_binary(), "pip", "uninstall", "--python", str(env_python), *names], env=environ,
                what="uv pip uninstall")

        apply_plan(plan, install=install, uninstall=uninstall, progress=progress)

    def install_editable(self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None,
                         offline: bool = False) -> None:
        """`uv pip install --no-deps -e <root>` (the build backend comes from the cache when it can)."""
        self._run_install(env_python, ["--no-deps", "-e", str(project_root)], offline=offline, environ=environ,
                          what="uv pip install -e")

    def _install(self, env_python: Path, lines: Sequence[str], items: Sequence[Chosen], *, offline: bool,
                 environ: Mapping[str, str] | None, extra: list[str],
                 progress: Callable[[str, str], None] | None) -> None:
        with requirements_file(lines) as reqs:
            try:
                self._run_install(env_python, ["--no-deps", *extra, "-r", str(reqs)], offline=offline,
                                  environ=environ, what="uv pip install", progress=progress,
                                  count=len(items))
            except EngineError as err:
                raise failing_requirement(err, items, "uv") from err

    @staticmethod
    def _run_install(env_python: Path, args: list[str], *, offline: bool, environ: Mapping[str, str] | None,
                     what: str, progress: Callable[[str, str], None] | None = None, count: int = 1) -> None:
        cmd = [uv_binary(), "pip", "install", "--python", str(env_python), *args]
        try:
            run([*cmd, "--offline"], env=environ, what=what)
        except EngineError:
            if offline:
                raise
            if progress:
                progress("downloading", f"what uv's cache lacks of {count} package(s)")
            run(cmd, env=environ, what=what)
