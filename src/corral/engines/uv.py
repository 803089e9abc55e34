"""UvInstaller: `uv pip install --no-deps --require-hashes` of exact files, `uv pip uninstall`.

A warm cache never touches the network: each install is tried `--offline` first (uv then serves every
locked file, and the index pages naming them, from its cache without revalidating) and repeated online only
when that fails.

Files the lock took from an index are `name==version --hash` lines installed from that index, given to uv as
its only index (`UV_DEFAULT_INDEX`, one call per index the lock names; usually one). It goes through the
environment, never the requirements file or the command line: when the caller's own index setting is the same
index with credentials, that value is the one passed on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.urls import strip_credentials
from corral.engines._reqfile import (
    apply_plan,
    failing_requirement,
    hashed_lines,
    requirement_lines,
    requirements_file,
)
from corral.errors import EngineError
from corral.infra.proc import run
from corral.infra.uvbin import uv_binary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan
    from corral.core.pylock_select import Chosen

__all__ = ["UvInstaller"]

# Where a caller names indexes for uv or pip; the first three would add indexes beside the lock's own.
_OTHER_INDEXES: Final = ("UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL")
_CONFIGURED: Final = ("UV_DEFAULT_INDEX", *_OTHER_INDEXES, "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
# A project path a requirements line holds as it is (no whitespace, `#` comment or quoting to get wrong).
_PLAIN_PATH: Final = re.compile(r"/[A-Za-z0-9_.+@=,~/-]*")


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

        def install(items: Sequence[Chosen], hashed: bool) -> None:
            if not hashed:
                self._install(
                    env_python,
                    requirement_lines(items),
                    items,
                    offline=offline,
                    environ=environ,
                    extra=[],
                    progress=progress,
                )
                return
            for index, batch in _by_index(items):
                self._install(
                    env_python,
                    hashed_lines(batch),
                    batch,
                    offline=offline,
                    environ=_index_environ(environ, index) if index else environ,
                    extra=["--require-hashes"],
                    progress=progress,
                )

        def uninstall(names: list[str]) -> None:
            run(
                [uv_binary(), "pip", "uninstall", "--python", str(env_python), *names],
                env=environ,
                what="uv pip uninstall",
            )

        apply_plan(plan, install=install, uninstall=uninstall, progress=progress)

    def install_editable(
        self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None, offline: bool = False
    ) -> None:
        """`uv pip install --no-deps -r <file holding "-e <root>">`: the editable build comes from uv's cache.

        uv rebuilds a directory named on its command line every time (~0.3-2.5 s: a build env and two backend
        calls), but serves one named in a requirements file from its cache, rebuilt when pyproject.toml,
        setup.py, setup.cfg or the `[tool.uv] cache-keys` change, exactly as `uv sync` installs a project. A
        path a requirements line cannot spell plainly (spaces, `#`, ...) keeps the command-line form.
        """
        root = str(project_root)
        if not _PLAIN_PATH.fullmatch(root):
            self._run_install(
                env_python, ["--no-deps", "-e", root], offline=offline, environ=environ, what="uv pip install -e"
            )
            return
        with requirements_file([f"-e {root}"]) as reqs:
            self._run_install(
                env_python, ["--no-deps", "-r", str(reqs)], offline=offline, environ=environ, what="uv pip install -e"
            )

    def _install(
        self,
        env_python: Path,
        lines: Sequence[str],
        items: Sequence[Chosen],
        *,
        offline: bool,
        environ: Mapping[str, str] | None,
        extra: list[str],
        progress: Callable[[str, str], None] | None,
    ) -> None:
        with requirements_file(lines) as reqs:
            try:
                self._run_install(
                    env_python,
                    ["--no-deps", *extra, "-r", str(reqs)],
                    offline=offline,
                    environ=environ,
                    what="uv pip install",
                    progress=progress,
                    count=len(items),
                )
            except EngineError as err:
                raise failing_requirement(err, items, "uv") from err

    @staticmethod
    def _run_install(
        env_python: Path,
        args: list[str],
        *,
        offline: bool,
        environ: Mapping[str, str] | None,
        what: str,
        progress: Callable[[str, str], None] | None = None,
        count: int = 1,
    ) -> None:
        cmd = [uv_binary(), "pip", "install", "--python", str(env_python), *args]
        try:
            run([*cmd, "--offline"], env=environ, what=what)
        except EngineError:
            if offline:
                raise
            if progress:
                progress("downloading", f"what uv's cache lacks of {count} package(s)")
            run(cmd, env=environ, what=what)


def _by_index(items: Sequence[Chosen]) -> list[tuple[str | None, list[Chosen]]]:
    """Batches of one index each; files installed by URL need no index and join the first batch."""
    groups: dict[str | None, list[Chosen]] = {}
    for item in items:
        groups.setdefault(item.index if item.from_index else None, []).append(item)
    direct = groups.pop(None, [])
    batches = list(groups.items()) or [(None, [])]
    batches[0] = (batches[0][0], [*batches[0][1], *direct])
    return batches


def _index_environ(environ: Mapping[str, str] | None, index: str) -> dict[str, str]:
    """`environ` with `index` as uv's only index (the caller's spelling of it when it holds credentials)."""
    env = dict(os.environ if environ is None else environ)
    wanted = strip_credentials(index).rstrip("/")
    for entry in (e for key in _CONFIGURED for e in env.get(key, "").split()):
        url = entry.split("=", 1)[1] if "=" in entry.split("://", 1)[0] else entry  # UV_INDEX allows name=url
        if strip_credentials(url).rstrip("/") == wanted:
            index = entry
            break
    for key in _OTHER_INDEXES:
        env.pop(key, None)
    env["UV_DEFAULT_INDEX"] = index
    return env
