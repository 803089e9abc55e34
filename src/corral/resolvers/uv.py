"""UvResolver: resolve a project with uv for every platform its requires-python admits (Python 3.6+).

How: uv resolves a project on disk, so the declarations are copied into a temporary project with
`[tool.uv] package = false` (its own workspace root: nothing above the temporary folder is read), at the project's
real version (the service states it: services.project_version), because locked packages may depend back on the
project (pytest on pluggy): resolvers.uv_project writes its texts. The pins to keep become a minimal uv.lock there,
which uv treats as preferences (it keeps those versions unless a requirement forbids them; `--upgrade-package` drops
one). `uv lock` then resolves every group and extra together (one consistent set), and `uv export --format
pylock.toml` gives each selection's packages (resolvers.uv_exports): the service merges them into one multi-use
pylock (core.pylock_write). Meanwhile the dependency graph is read from uv.lock (resolvers.uv_lock_read). A failed
resolution is told from uv's words (resolvers.uv_failure).

This module runs it: `UvResolver.start` begins `uv lock` (or takes the head start's, resolvers.uv_headstart), and
`Resolving.finish` waits for it while a helper thread does the caller's early work, then has the exports given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corral.core.names import normalize_name
from corral.errors import LockError
from corral.resolvers import UV_OLDEST
from corral.resolvers.uv_exports import Early, Exports, UvResult, preparse, run_exports
from corral.resolvers.uv_failure import refuse_missing_extras, requirement_name, resolve_failure, unknown_project
from corral.resolvers.uv_lock_read import uv_lock_graph
from corral.resolvers.uv_project import preferences, uv_project

if TYPE_CHECKING:
    import threading
    from pathlib import Path
    from subprocess import Popen

    from corral.core.interpreter import InterpreterInfo
    from corral.infra.proc import Completed
    from corral.resolvers.uv_headstart import Spawned
    from corral.resolvers.uv_workdir import Workdir

    # what `uv lock` is given: the temporary project's pyproject.toml and uv.lock (preferences) texts, and its argv
    # without the temporary project's folder (resolvers.uv_headstart)
    Plan = tuple[str, str | None, list[str]]

__all__ = [
    "CacheUnanswered",
    "Exports",
    "Pin",
    "Resolving",
    "UvRequest",
    "UvResolver",
    "UvResult",
    "requirement_name",
    "resolve_failure",
]

Pin = tuple[str, str, str]  # (name, version, index URL): a version to keep while the requirements allow it


@dataclass(frozen=True, kw_only=True, slots=True)
class UvRequest:
    """Everything one uv resolution needs (no Context: the service fills it in)."""

    data: Mapping[str, Any]  # the parsed pyproject being locked (may differ from disk: add/remove)
    project_root: Path
    version: str  # the project's version as the resolver must see it
    python: str | None  # the interpreter uv resolves with (None: uv picks one)
    index_urls: Sequence[str]  # [primary, *extras]
    # the project's own `[tool.uv]` indexes, which nothing overrides: `uv lock` reads them (no index flag given)
    indexes_from_project: bool = False
    pins: Sequence[Pin]  # previous lock's versions (and adopt's), kept while the requirements allow them
    upgrade_packages: Sequence[str] = ()
    candidates: Sequence[str] = ()  # requirements being added: a failure names the one to blame
    group_names: Sequence[str] = ()
    extra_names: Sequence[str] = ()
    requires_python: str | None = None
    environ: Mapping[str, str] | None = None
    offline: bool = False  # from uv's cache only (`--offline`): a failure is CacheUnanswered, never the user's error
    # the caller's own work done while `uv lock` runs (the imports the rest of its lock needs): in another thread,
    # joined before resolve() goes on; what it raises is ignored (it is only done earlier than it would be)
    meanwhile: Callable[[], object] | None = None
    # told the plan (`Plan`) once `uv lock` resolved it online: what a later lock's head start may begin with
    on_resolved: Callable[[Plan], object] | None = None
    # (corral's folder of export records, uv's configuration files): a resolution to the same bytes recalls its
    # exports (resolvers.uv_export_cache); None: every export runs
    export_memo: tuple[Path, tuple[str, ...]] | None = None
    # the recorded exports read (and composed) while uv resolves; False: an add or a remove changed the requirements,
    # so only when the project's upcoming plan (resolvers.uv_headstart) holds this very temporary project (the same
    # change made again, e.g. the same stack added to a new project at the same path); they are recorded afterwards
    early_exports: bool = True


class CacheUnanswered(LockError):
    """An offline resolution (`UvRequest.offline`) failed: uv's cache lacks what it needs; resolve online instead."""


class UvResolver:
    """uv lock + uv export in a temporary project: a universal lock."""

    name = "uv"

    def cannot_resolve(self, interpreter: InterpreterInfo) -> str | None:
        """Python below 3.6, which uv refuses ("Python < 3.6 is not supported")."""
        if interpreter.minor < UV_OLDEST:
            return f"uv cannot resolve for Python {interpreter.short_version} (it serves Python 3.6+)"
        return None

    def resolve(self, request: UvRequest) -> UvResult:
        """Resolve in a temporary project; LockError naming the requirement to blame when uv cannot."""
        return self.start(request).finish()

    def start(self, request: UvRequest) -> Resolving:
        """Start `uv lock` in a temporary project: the caller may work while it runs, then `finish` (or `stop`)."""
        from dataclasses import replace

        from corral.core.pylock_write import toml_document
        from corral.infra.uvbin import uv_binary
        from corral.resolvers import uv_headstart, uv_workdir

        urls = list(request.index_urls)
        text = toml_document(uv_project(request.data, request.project_root, request.version))
        skip = {normalize_name(n) for n in request.upgrade_packages}
        prefs = preferences(request.pins, skip, request.requires_python)
        uv = uv_binary()
        head = [uv, "lock", "--project"]  # then the temporary project (uv_headstart.PROJECT_AT)
        tail = [] if request.indexes_from_project else ["--index-url", urls[0]]
        for extra in [] if request.indexes_from_project else urls[1:]:
            tail += ["--extra-index-url", extra]
        if request.python:
            tail += ["--python", request.python]
        for name in sorted(skip):
            tail += ["--upgrade-package", name]
        if request.offline:
            tail.append("--offline")
        plan = (text, prefs, [*head, *tail])
        if not request.early_exports and request.export_memo is not None:
            upcoming = uv_headstart.upcoming_text(str(request.export_memo[0].parent), str(request.project_root))
            if upcoming == text:  # resolved to exports the record may hold: read them while uv resolves
                request = replace(request, early_exports=True)
        taken = uv_headstart.take(*plan, request.environ)
        if taken is not None:  # the very command, begun before the command line was parsed
            workdir, child, cmd = taken
            return Resolving(request, workdir, uv, cmd, child=child, plan=plan)
        workdir = uv_workdir.make()
        tmp = workdir.path
        try:
            (tmp / "pyproject.toml").write_text(text, encoding="utf-8")
            if prefs:
                (tmp / "uv.lock").write_text(prefs, encoding="utf-8")
            return Resolving(request, workdir, uv, [*head, str(tmp), *tail], plan=plan)
        except BaseException:
            workdir.remove()
            raise


class Resolving:
    """A `uv lock` under way (`UvResolver.start`): the caller works while it runs, then `finish` or `stop` it.

    `finish` runs the request's `meanwhile` in a thread, waits for uv and exports; `stop` ends it (killed, waited
    for) and leaves nothing. Either removes the temporary project, and must be called once. When the project's
    export record (resolvers.uv_export_cache) holds the exports and the graph of a resolution, that thread also
    parses them and runs `finish`'s `compose` on them while uv runs (taken only when uv then writes the very uv.lock
    the record's key names). uv is started before the helper thread: one started first held the interpreter while
    this thread was still spawning, and uv began ~30-60 ms later on a loaded 2-core machine. The process stays this
    thread's, so a Ctrl-C in `finish` stops it as before (killed, then waited for); the helper starts once this
    thread only waits and is joined before anything else happens here (never two threads importing at once).
    """

    def __init__(
        self,
        request: UvRequest,
        workdir: Workdir,
        uv: str,
        cmd: list[str],
        *,
        child: Popen[str] | Spawned | None = None,
        plan: Plan | None = None,
    ) -> None:
        import subprocess

        from corral.errors import EngineError
        from corral.infra.environ import indexes_in_environ
        from corral.infra.faults import checkpoint

        # the index URLs (a credential in one) go in uv's environment, not on its command line: the plan keeps them
        cmd, environ = indexes_in_environ(cmd, request.environ)
        self._request, self._workdir, self._uv, self._cmd = request, workdir, uv, cmd
        self._plan = plan
        self._early_found: Early | None = None
        self._helper: threading.Thread | None = None
        self._uv_done: threading.Event | None = None
        if child is not None:  # a head start's (resolvers.uv_headstart.take): this very command, already running
            self._child = child
            return
        checkpoint("engine:uv lock")  # as infra.proc.run marks it (the reliability suite kills the process here)
        try:
            self._child = subprocess.Popen(
                cmd,
                env=environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
        except FileNotFoundError as err:
            raise EngineError(f"uv lock: program not found: {cmd[0]}", cmd=cmd) from err
        except OSError as err:  # not executable, not a program (ENOEXEC), ...
            raise EngineError(f"uv lock: cannot run {cmd[0]}: {err.strerror or err}", cmd=cmd) from err

    def finish(
        self,
        *,
        group_names: Sequence[str] | None = None,
        extra_names: Sequence[str] | None = None,
        compose: Callable[[Exports, dict[str, list[str]]], object] | None = None,
    ) -> UvResult:
        """The resolution: the exports of the request's selections (or of these names); LockError naming the culprit.

        `compose`: the caller's own work on the result (exports, graph), which it does after anyway; run while uv
        resolves on the recorded exports (see the class's text), its result is the UvResult's `composed` when those
        are this resolution's. What it raises there is ignored (the caller composes again and meets it itself).
        """
        from dataclasses import replace

        from corral.infra import proc
        from corral.infra.toml_file import read_text

        request, tmp, cmd = self._request, self._workdir.path, self._cmd
        if group_names is not None or extra_names is not None:
            request = replace(
                request,
                group_names=request.group_names if group_names is None else group_names,
                extra_names=request.extra_names if extra_names is None else extra_names,
            )
        try:
            # from here: what the caller did since `start` is done (one importer); then killed locks' leftovers go
            import threading

            self._uv_done = threading.Event()
            self._helper = threading.Thread(target=self._early, args=(request, compose), name="corral-lock-meanwhile")
            self._helper.daemon = True
            self._helper.start()
            done = self._wait()
            if done.returncode != 0:
                full = proc.no_space("uv lock", done.stderr, cmd=cmd)
                if full is not None:  # a full disk is not a resolution failure
                    raise full
                if request.offline:
                    raise CacheUnanswered(resolve_failure(done.stderr)[1])
                culprit, reason = resolve_failure(done.stderr, request.candidates)
                head = f"cannot add {culprit!r}: " if culprit else "cannot resolve the dependencies: "
                urls = list(request.index_urls)
                raise LockError(head + (unknown_project(done.stderr, culprit, urls) or reason))
            refuse_missing_extras(done.stderr, request.candidates)
            if request.on_resolved is not None and self._plan is not None and not request.offline:
                request.on_resolved(self._plan)
            # the exports run while this process reads uv.lock's graph (the two do not wait on each other)
            return run_exports(
                self._uv,
                request,
                tmp,
                meanwhile=lambda: uv_lock_graph(read_text(tmp / "uv.lock")),
                early=self._early_found,
            )
        finally:
            self._workdir.remove()

    def _early(self, request: UvRequest, compose: Callable[[Exports, dict[str, list[str]]], object] | None) -> None:
        """The helper thread's work while uv resolves: `_meanwhile`, then the recorded exports parsed (`preparse`).

        Then `compose` on them and the recorded graph, unless uv has exited by then (the caller then composes).
        """
        import contextlib

        _meanwhile(request.meanwhile)
        early = preparse(request, self._workdir.path) if request.early_exports else None
        if early is not None and early.graph is not None and compose is not None:
            done = self._uv_done
            if done is None or not done.is_set():
                with contextlib.suppress(Exception):  # only work done early: the caller composes again and decides
                    early.composed = compose(early.exports, early.graph)
        self._early_found = early

    def stop(self) -> None:
        """End `uv lock` (killed when still running) and remove the temporary project: the caller gives up."""
        try:
            self._child.kill()
            self._wait()
        finally:
            self._workdir.remove()

    def _wait(self) -> Completed:
        from corral.infra import proc

        child = self._child
        with child:
            try:
                stdout, stderr = child.communicate()
            except BaseException:  # a Ctrl-C included: uv does not outlive the command
                child.kill()
                raise
            finally:
                if self._uv_done is not None:
                    self._uv_done.set()  # the helper composes nothing after this
                if self._helper is not None:
                    self._helper.join()
                    self._helper = None
        return proc.settle(self._cmd, child.wait(), stdout, stderr, what="uv lock", check=False)  # waited for


def _meanwhile(meanwhile: Callable[[], object] | None) -> None:
    """The caller's early work, then the temporary projects killed locks left (`uv_workdir.remove_leftovers`)."""
    import contextlib

    with contextlib.suppress(Exception):  # only work done early: the caller does it again when it needs it
        if meanwhile is not None:
            meanwhile()
    with contextlib.suppress(Exception):  # only tidying
        from corral.resolvers.uv_workdir import remove_leftovers

        remove_leftovers()
