"""UvInstaller: `uv pip install --no-deps --require-hashes -r -` of exact files (stdin), `uv pip uninstall`.

A warm cache never touches the network: each install is tried `--offline` first (uv then serves every
locked file, and the index pages naming them, from its cache without revalidating) and repeated online only
when that fails.

Files the lock took from an index are `name==version --hash` lines installed from that index, given to uv as
its only index (`UV_DEFAULT_INDEX`, one call per index the lock names; usually one). It goes through the
environment, never the requirements file or the command line: when the caller's own index setting is the same
index with credentials, that value is the one passed on.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.urls import strip_credentials
from corral.engines._build_output import backend_failed, built_project, summary
from corral.engines._reqfile import (
    PLAIN_PATH,
    apply_plan,
    failing_requirement,
    hashed_lines,
    removal_names,
    remove_names,
    requirement_lines,
    requirements_text,
    split_hashed,
)
from corral.engines.uv_input import pylock_args
from corral.errors import EngineError
from corral.infra.environ import offline_environ
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
# corral's own settings travel in the same place (services.sync.apply puts them there: the user config file's too).
_CONFIGURED: Final = (
    "UV_DEFAULT_INDEX",
    *_OTHER_INDEXES,
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "CORRAL_INDEX_URL",
    "CORRAL_EXTRA_INDEX_URLS",
    "CORRAL_PROJECT_INDEXES",  # the project's [tool.uv] indexes, `name=url` (services.sync.apply)
)


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

        apply_plan(plan, install=install, uninstall=self._uninstaller(env_python, environ), progress=progress)

    def apply_with(
        self,
        env_python: Path,
        plan: SyncPlan,
        *,
        seed: Sequence[str] = (),
        editable: Path | None = None,
        editable_name: str | None = None,
        offline: bool = False,
        progress: Callable[[str, str], None] | None = None,
        environ: Mapping[str, str] | None = None,
        cache_first: bool = True,
    ) -> bool:
        """`apply` the plan, add the `seed` packages and install the project at `editable`: in one uv process.

        One `uv pip install --offline --no-deps` takes the plan's files as a pylock.toml of their URLs and hashes
        (`uv_input`: no index page per package), the seed as an entry of it (`uv_seed`: the wheel uv's cache seeds,
        learned once) and the project as its editable directory entry. When an entry cannot go in (a file or seed
        `uv_input`/`uv_seed` cannot vouch for), `-r -` reads lines on stdin instead (no temporary file): the plan's
        hash-pinned lines, each with its hashes; the seed names (pip: no dependencies, no hashes, from uv's cache as
        `uv venv --seed --offline` takes it); and `-e <root>` (uv's cached editable build, as `install_editable`).
        uv verifies every hash given (its default hash mode, made explicit with `--verify-hashes` and
        `UV_NO_VERIFY_HASHES` dropped); `--require-hashes` cannot be given, since the project (and a seed line) has
        no file hash, but a line without hashes matches nothing but those. When that one call cannot serve (files from
        several indexes, sources without a file hash, a project path a requirements line cannot spell, or
        one that fails), each part takes its own path: `apply`, then `install_editable`, whose errors name the part.
        What uv's cache lacks is fetched by the same one call run again online (unless `offline`): on an empty
        cache the parts apart would build the project twice and try each part offline first. `cache_first` False
        skips the offline try (the caller knows this set never went through uv's cache here). `editable_name`: the
        project's `[project] name` as the caller read it (else `uv_input` reads it). A build backend that
        ran and failed is not run again (online, or apart): for the project, the plan and the seed go in without
        it and the build's own error is raised (`_build_output.summary`).

        Returns:
            Whether the seed packages were installed (when not, the caller seeds the env its own way).

        """
        hashed, unhashed = split_hashed(plan.to_install)
        batches = _by_index(hashed)
        root = str(editable) if editable is not None else None
        if unhashed or len(batches) > 1 or (root is not None and not PLAIN_PATH.fullmatch(root)):
            self._apply_apart(env_python, plan, editable, offline=offline, progress=progress, environ=environ)
            return False
        names = removal_names(plan)
        index, batch = batches[0]
        env = dict(_index_environ(environ, index) if index else (os.environ if environ is None else environ))
        env.pop("UV_NO_VERIFY_HASHES", None)
        uv_env = _unwrapped(env)
        cold = not (cache_first or offline)  # straight to the index: the seed's entry is learned from it too
        learned = _seed_entries(seed, env_python, index, uv_env, online=cold) if seed else None
        seeds = learned[0] if learned else None if seed else []
        direct = None if seeds is None else pylock_args([*batch, *seeds], root, environ, name=editable_name)
        lines = requirements_text([*hashed_lines(batch), *seed, *([f"-e {root}"] if root else [])])
        text = None if direct else lines
        # online after an offline try, the seed is the index's newest pip as before (its entry is what uv's cache
        # held): the lines then. Straight online, the entry was just learned from the index's page: that very pip
        online = (["--no-deps", "--verify-hashes", "-r", "-"], lines) if direct and seed and not cold else None
        if batch and progress:
            progress("installing", f"{len(batch)} package(s): {', '.join(c.name for c in batch)}")
        try:
            self._run_install(
                env_python,
                ["--no-deps", "--verify-hashes", *(direct or ["-r", "-"])],
                offline=offline,
                environ=env,
                what="uv pip install",
                progress=progress,
                count=len(batch),
                stdin=text,
                cache_first=cache_first,
                online=online,
            )
        except EngineError as err:
            if learned and direct:  # maybe the seed's entry (a wheel uv no longer has, a record gone wrong)
                from corral.engines.uv_seed import forget

                forget(learned[1])
            if editable is not None and built_project(err.output, editable):  # built once: not again apart
                self._without_project(env_python, plan, seed, offline=offline, environ=environ, cache_first=cache_first)
                raise _build_error(err, editable) from err
            if backend_failed(err.output):  # a locked sdist's backend failed: apart, it would be built again
                raise failing_requirement(_summarized(err), batch, "uv") from err
            # a file refused, a download that failed: each part again, which names what failed
            self._apply_apart(
                env_python, plan, editable, offline=offline, progress=progress, environ=environ, said=True
            )
            return False
        if learned and direct:
            from corral.engines.uv_seed import remember_installed

            remember_installed(learned, env_python, uv_env)  # what uv's cache holds of pip now (an online install)
        remove_names(names, uninstall=self._uninstaller(env_python, environ), progress=progress)
        return True

    def _without_project(
        self,
        env_python: Path,
        plan: SyncPlan,
        seed: Sequence[str],
        *,
        offline: bool,
        environ: Mapping[str, str] | None,
        cache_first: bool,
    ) -> None:
        """The plan and the seed without the project whose build failed: the env stays usable, nothing is built.

        What fails here is not reported: the build's error is, and the next sync (its stamp cleared) tries all again.
        """
        if plan.empty and not seed:
            return
        with contextlib.suppress(EngineError):
            self.apply_with(
                env_python, plan, seed=seed, offline=offline, progress=None, environ=environ, cache_first=cache_first
            )

    def _apply_apart(
        self,
        env_python: Path,
        plan: SyncPlan,
        editable: Path | None,
        *,
        offline: bool,
        progress: Callable[[str, str], None] | None,
        environ: Mapping[str, str] | None,
        said: bool = False,
    ) -> None:
        """`apply` then `install_editable`; `said`: the "installing" line was already shown."""
        if not plan.empty:
            shown = progress
            if said and progress is not None:
                shown = lambda stage, detail: None if stage == "installing" else progress(stage, detail)  # noqa: E731
            self.apply(env_python, plan, offline=offline, progress=shown, environ=environ)
        if editable is not None:
            self.install_editable(env_python, editable, environ=environ, offline=offline)

    @staticmethod
    def _uninstaller(env_python: Path, environ: Mapping[str, str] | None) -> Callable[[list[str]], None]:
        def uninstall(names: list[str]) -> None:
            run(
                [uv_binary(), "pip", "uninstall", "--quiet", "--python", str(env_python), *names],
                env=environ,
                what="uv pip uninstall",
            )

        return uninstall

    def install_editable(
        self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None, offline: bool = False
    ) -> None:
        """`uv pip install --no-deps -r -` reading `-e <root>`: the editable build comes from uv's cache.

        uv rebuilds a directory named on its command line every time (~0.3-2.5 s: a build env and two backend
        calls), but serves one named in requirements (a file, or `-r -` on stdin) from its cache, rebuilt when
        pyproject.toml, setup.py, setup.cfg or the `[tool.uv] cache-keys` change, exactly as `uv sync` installs
        a project. A path a requirements line cannot spell plainly (spaces, `#`, ...) is a `[packages.directory]`
        entry of a pylock.toml (`uv_input`; uv parsed ` #` on its command line as a comment), else on the command line.
        """
        root = str(project_root)
        plain = PLAIN_PATH.fullmatch(root) is not None
        # a path a requirements line cannot spell (`dir #1`: a comment) is an entry of a pylock.toml input
        entry = None if plain else pylock_args([], root, environ)
        try:
            self._run_install(
                env_python,
                ["--no-deps", "-r", "-"] if plain else ["--no-deps", *(entry or ["-e", root])],
                offline=offline,
                environ=environ,
                what="uv pip install -e",
                stdin=requirements_text([f"-e {root}"]) if plain else None,
            )
        except EngineError as err:
            if backend_failed(err.output):
                raise _build_error(err, project_root) from err
            raise

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
        text = requirements_text(lines)
        try:
            self._run_install(
                env_python,
                ["--no-deps", *extra, "-r", "-"],
                offline=offline,
                environ=environ,
                what="uv pip install",
                progress=progress,
                count=len(items),
                stdin=text,
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
        stdin: str | None = None,
        cache_first: bool = True,
        online: tuple[list[str], str | None] | None = None,
    ) -> None:
        """`uv pip install` offline, then (unless `offline`) online; `stdin`: the lines `-r -` reads.

        `cache_first` False (and not `offline`): straight online, when the caller knows uv's cache is cold (the
        offline try would build the project's editable install only to fail on a missing file, then build it again).
        `online`: the arguments and stdin of the online try, when they are not those of the offline one.
        """
        # --quiet: errors and warnings only (what fails is read from them); uv's list of what it installed is one
        # write per word (~2400 for the data stack's 215 packages), each waking the reader, at the end of the install
        base = [uv_binary(), "pip", "install", "--quiet", "--python", str(env_python)]
        cmd = [*base, *args]
        environ = _unwrapped(environ)
        if cache_first or offline:
            try:
                _offline_first([*cmd, "--offline"], environ=environ, what=what, stdin=stdin)
            except EngineError as err:
                # a build backend that ran (its requirements were in the cache) fails online alike: not run twice
                if offline or backend_failed(err.output):
                    raise
            else:
                return
        else:  # the set goes through uv's cache now: the next rebuild's first try is offline, its head start too
            from corral.infra import headstart

            headstart.note_command([*cmd, "--offline"], offline_environ(environ), stdin, what)
        if progress:
            progress(
                "downloading", f"what uv's cache lacks of {count} package(s)" if count else "what uv's cache lacks"
            )
        if online is not None:
            cmd, stdin = [*base, *online[0]], online[1]
        _run_first(cmd, environ=environ, what=what, stdin=stdin)


def _seed_entries(
    seed: Sequence[str], env_python: Path, index: str | None, environ: Mapping[str, str], *, online: bool
) -> tuple[list[Chosen], Path] | None:
    """`uv_seed.seed_entries`, imported only by a sync that installs a seed."""
    from corral.engines.uv_seed import seed_entries

    return seed_entries(seed, env_python, index, environ, online=online)


def _offline_first(argv: list[str], *, environ: Mapping[str, str], what: str, stdin: str | None) -> None:
    """`_run_first` of an `--offline` command without what only serves the network (`infra.environ.TLS_ONLY`).

    uv never connects offline, but a build backend may by itself (a file it downloads while it builds): one that
    failed over a certificate is run once more with the whole environment, when that held such settings. Any other
    failed build is not run twice (it would fail alike).
    """
    quiet = offline_environ(environ)
    try:
        _run_first(argv, environ=quiet, what=what, stdin=stdin)
    except EngineError as err:
        if len(quiet) == len(environ) or not backend_failed(err.output) or not _over_a_certificate(err.output):
            raise
        _run_first(argv, environ=environ, what=what, stdin=stdin)


def _over_a_certificate(output: str) -> bool:
    """A failed build's output holds a TLS library's words for a certificate it could not verify (`_UNVERIFIED`).

    Then it may have lacked the certificate settings. (Words, not the bare "certificate": a path may hold that.)
    """
    text = output.lower()
    return any(words in text for words in _UNVERIFIED)


# How OpenSSL (Python's ssl, curl, pip), rustls and Go say a server's certificate was not trusted.
_UNVERIFIED = (
    "certificate_verify_failed",
    "certificate verify failed",
    "ssl certificate problem",
    "unable to get local issuer certificate",
    "self-signed certificate",
    "self signed certificate",
    "unknownissuer",
    "certificate signed by unknown authority",
)


def _run_first(argv: list[str], *, environ: Mapping[str, str] | None, what: str, stdin: str | None) -> None:
    """`infra.proc.run`, or the outcome of the head start's uv when it is this very command (`infra.headstart`).

    A head start that ran another command is waited for, and `headstart.Mismatch` raised: the sync removes its env
    and builds it again. The command of a sync that creates the env is noted for the next head start.
    """
    from corral.infra import headstart
    from corral.infra.proc import settle

    headstart.note_command(argv, environ, stdin, what)
    done = headstart.claim(argv, environ, stdin)
    if done is None:
        run(argv, env=environ, what=what, stdin=stdin)
        return
    settle(argv, *done, what=what)


def _unwrapped(environ: Mapping[str, str] | None) -> dict[str, str]:
    """`environ` without `COLUMNS`: uv wraps its messages (and a build backend's output) at that width, else not.

    Its output is read for what failed (`_build_output`, `failing_requirement`), one line per line.
    """
    env = dict(os.environ if environ is None else environ)
    env.pop("COLUMNS", None)
    return env


def _summarized(err: EngineError) -> EngineError:
    """`err` worded with the failed build's own lines (`_build_output.summary`) rather than its last three."""
    msg = f"uv pip install failed (exit {err.code}): {summary(err.output)}"
    return EngineError(msg, cmd=err.cmd, code=err.code, output=err.output)


def _build_error(err: EngineError, root: Path) -> EngineError:
    """The project at `root` did not build: what uv and its build backend said, and what to do."""
    msg = (
        f"the project at {root} did not build, so it is not installed: {summary(err.output)}; "
        "the env holds the lock's packages without it: run `corral sync` again once the project builds"
    )
    return EngineError(msg, cmd=err.cmd, code=err.code, output=err.output)


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
    for entry in (e for key in _CONFIGURED for e in env.get(key, "").replace(",", " ").split()):
        url = entry.split("=", 1)[1] if "=" in entry.split("://", 1)[0] else entry  # UV_INDEX allows name=url
        if strip_credentials(url).rstrip("/") == wanted:
            index = entry
            break
    for key in _OTHER_INDEXES:
        env.pop(key, None)
    env["UV_DEFAULT_INDEX"] = index
    return env
