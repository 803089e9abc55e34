"""PipInstaller: the env's own `python -m pip install --no-deps --require-hashes` of exact files.

The native path, and the only one for Python 2.7 envs (uv cannot run them). The user's pip configuration
is respected (a team's index or certificates); only prompts and the version check are turned off.

Files the lock took from an index are `name==version --hash` lines found through a links page of the lock's
own URLs (`--find-links`, see _reqfile.links_page): pip records them as index packages, yet never reads an
index page for them. The index is left out (`--no-index`) unless a batch holds an sdist, whose build
requirements come from the index pip is configured with, as before; offline it is always left out.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.engines._build_output import backend_failed, summary
from corral.engines._reqfile import (
    apply_plan,
    failing_requirement,
    hashed_lines,
    links_page,
    requirement_lines,
    requirements_file,
)
from corral.errors import EngineError
from corral.infra.proc import run

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan
    from corral.core.pylock_select import Chosen

__all__ = ["PipInstaller"]

_QUIET = ["--no-input", "--disable-pip-version-check"]


def has_pip(env: Path) -> bool:
    """True when pip is installed in the env (looked up on disk, nothing started)."""
    return any((site / "pip" / "__init__.py").is_file() for site in Env.at(env).site_packages())


class PipInstaller:
    """`<env python> -m pip` (needs pip inside the env)."""

    name = "pip"

    def cannot_install(self, env: Path, interpreter: InterpreterInfo | None = None) -> str | None:  # noqa: ARG002
        """Pip must be installed in the env itself."""
        if not has_pip(env):
            return f"pip is not installed in {env} (it was created without seeding); use the uv engine or reseed"
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

        def install(items: Sequence[Chosen], hashed: bool) -> None:
            if hashed:
                self._install_hashed(env_python, items, environ, offline=offline)
            else:
                self._install(env_python, requirement_lines(items), items, environ, ["--no-index"] if offline else [])

        def uninstall(names: list[str]) -> None:
            run([str(env_python), "-m", "pip", "uninstall", "-y", *_QUIET, *names], env=environ, what="pip uninstall")

        apply_plan(plan, install=install, uninstall=uninstall, progress=progress)

    def install_editable(
        self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None, offline: bool = False
    ) -> None:
        """`pip install --no-deps -e <root>`; a build that fails is named with the backend's own last lines."""
        index = ["--no-index"] if offline else []
        try:
            run(
                [str(env_python), "-m", "pip", "install", *_QUIET, "--no-deps", *index, "-e", str(project_root)],
                env=environ,
                what="pip install -e",
            )
        except EngineError as err:
            if not backend_failed(err.output):
                raise
            msg = f"the project at {project_root} did not build, so it is not installed: {summary(err.output)}"
            raise EngineError(msg, cmd=err.cmd, code=err.code, output=err.output) from err

    def _install_hashed(
        self, env_python: Path, items: Sequence[Chosen], environ: Mapping[str, str] | None, *, offline: bool
    ) -> None:
        indexed = [c for c in items if c.from_index]
        no_index = offline or all(c.kind == "wheel" for c in items)  # only an sdist's build needs the index
        extra = ["--require-hashes", *(["--no-index"] if no_index else [])]
        with links_page(indexed) if indexed else contextlib.nullcontext() as page:
            links = ["--find-links", str(page)] if page else []
            self._install(env_python, hashed_lines(items), items, environ, [*extra, *links])

    @staticmethod
    def _install(
        env_python: Path,
        lines: Sequence[str],
        items: Sequence[Chosen],
        environ: Mapping[str, str] | None,
        extra: list[str],
    ) -> None:
        with requirements_file(lines) as reqs:
            try:
                run(
                    [str(env_python), "-m", "pip", "install", *_QUIET, "--no-deps", *extra, "-r", str(reqs)],
                    env=environ,
                    what="pip install",
                )
            except EngineError as err:
                raise failing_requirement(err, items, "pip") from err
