"""UvResolver: resolve a project with uv for every platform its requires-python admits (Python 3.6+).

How: uv resolves a project on disk, so the declarations are copied into a temporary project with
`[tool.uv] package = false` (its own workspace root: nothing above the temporary folder is read), at the project's
real version (the service states it: services.project_version), because locked packages may depend back on the
project (pytest on pluggy). The pins to keep become a minimal uv.lock there, which uv treats as preferences (it
keeps those versions unless a requirement forbids them; `--upgrade-package` drops one). `uv lock` then resolves
every group and extra together (one consistent set), and `uv export --format pylock.toml` is run once for the plain
project, once per group and once per extra (side by side: they only read the finished uv.lock; uv 0.13's pylock
export marks no entry with the group or extra that brought it, so one export with every group cannot replace them;
`--offline`, without the variables that only name certificates: `export_environ`; from `MARKERS_ONLY_FROM`
selections on, each from a copy of uv.lock without its files, for its markers, and every package's tables from one
export of all of them: `_marker_exports`): the service merges the exports into one multi-use pylock
(core.pylock_write). Meanwhile the dependency graph is read from uv.lock
(`uv_lock_graph`), and each package's files are parsed from the first export that has it only (`export_packages`,
through core.uv_export_read, else tomllib).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.lock_fingerprint import UV_RESOLVER_SETTINGS  # copied into the temporary project
from corral.core.names import normalize_name
from corral.errors import ConfigError, LockError
from corral.resolvers import UV_OLDEST

if TYPE_CHECKING:
    import threading
    from concurrent.futures import Future
    from subprocess import Popen

    from corral.core.interpreter import InterpreterInfo
    from corral.infra.proc import Completed
    from corral.resolvers.uv_export_cache import ExportMemo
    from corral.resolvers.uv_headstart import Spawned
    from corral.resolvers.uv_workdir import Workdir

    # what `uv lock` is given: the temporary project's pyproject.toml and uv.lock (preferences) texts, and its argv
    # without the temporary project's folder (resolvers.uv_headstart)
    Plan = tuple[str, str | None, list[str]]

__all__ = [
    "EXPORT_WORKERS",
    "MARKERS_ONLY_FROM",
    "UV_RESOLVER_SETTINGS",
    "CacheUnanswered",
    "Exports",
    "Pin",
    "Resolving",
    "UvRequest",
    "UvResolver",
    "UvResult",
    "export_environ",
    "export_packages",
    "project_entry",
    "resolve_failure",
    "uv_lock_graph",
    "uv_lock_without_files",
    "uv_project",
]

Selector = tuple[str, str]
Exports = list[tuple[Selector, list[dict[str, Any]]]]
Pin = tuple[str, str, str]  # (name, version, index URL): a version to keep while the requirements allow it


@dataclass(frozen=True, kw_only=True, slots=True)
class UvRequest:
    """Everything one uv resolution needs (no Context: the service fills it in)."""

    data: Mapping[str, Any]  # the parsed pyproject being locked (may differ from disk: add/remove)
    project_root: Path
    version: str  # the project's version as the resolver must see it
    python: str | None  # the interpreter uv resolves with (None: uv picks one)
    index_urls: Sequence[str]  # [primary, *extras]
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


class CacheUnanswered(LockError):
    """An offline resolution (`UvRequest.offline`) failed: uv's cache lacks what it needs; resolve online instead."""


@dataclass(frozen=True, kw_only=True, slots=True)
class UvResult:
    """PEP 751 package tables per selection (one `uv export` each) and the dependency graph (name -> names).

    `composed`: what `Resolving.finish`'s `compose` returned for these very exports and graph, when it ran while uv
    resolved (None: the caller composes them itself).
    """

    exports: Exports
    graph: dict[str, list[str]]
    composed: object = None


@dataclass(kw_only=True, slots=True)
class _Early:
    """What the helper thread read while uv resolved, under the record's key.

    The recorded exports (parsed and relocated, as `_exports` gives them), the recorded graph (None: none recorded),
    and `compose`'s result for them (None: not run, or it failed).
    """

    key: str
    exports: Exports
    graph: dict[str, list[str]] | None
    composed: object = None


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
        from corral.core.pylock_write import toml_document
        from corral.infra.uvbin import uv_binary
        from corral.resolvers import uv_headstart, uv_workdir

        urls = list(request.index_urls)
        text = toml_document(uv_project(request.data, request.project_root, request.version))
        skip = {normalize_name(n) for n in request.upgrade_packages}
        prefs = _preferences(request.pins, skip, request.requires_python)
        uv = uv_binary()
        head = [uv, "lock", "--project"]  # then the temporary project (uv_headstart.PROJECT_AT)
        tail = ["--index-url", urls[0]]
        for extra in urls[1:]:
            tail += ["--extra-index-url", extra]
        if request.python:
            tail += ["--python", request.python]
        for name in sorted(skip):
            tail += ["--upgrade-package", name]
        if request.offline:
            tail.append("--offline")
        plan = (text, prefs, [*head, *tail])
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
        from corral.infra.faults import checkpoint

        self._request, self._workdir, self._uv, self._cmd = request, workdir, uv, cmd
        self._plan = plan
        self._early_found: _Early | None = None
        self._helper: threading.Thread | None = None
        self._uv_done: threading.Event | None = None
        if child is not None:  # a head start's (resolvers.uv_headstart.take): this very command, already running
            self._child = child
            return
        checkpoint("engine:uv lock")  # as infra.proc.run marks it (the reliability suite kills the process here)
        try:
            self._child = subprocess.Popen(
                cmd,
                env=dict(request.environ) if request.environ is not None else None,
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
            _refuse_missing_extras(done.stderr, request.candidates)
            if request.on_resolved is not None and self._plan is not None and not request.offline:
                request.on_resolved(self._plan)
            # the exports run while this process reads uv.lock's graph (the two do not wait on each other)
            return _exports(
                self._uv,
                request,
                tmp,
                meanwhile=lambda: uv_lock_graph(read_text(tmp / "uv.lock")),
                early=self._early_found,
            )
        finally:
            self._workdir.remove()

    def _early(self, request: UvRequest, compose: Callable[[Exports, dict[str, list[str]]], object] | None) -> None:
        """The helper thread's work while uv resolves: `_meanwhile`, then the recorded exports parsed (`_preparse`).

        Then `compose` on them and the recorded graph, unless uv has exited by then (the caller then composes).
        """
        import contextlib

        _meanwhile(request.meanwhile)
        early = _preparse(request, self._workdir.path)
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


def resolve_failure(text: str, candidates: Iterable[str] = ()) -> tuple[str | None, str]:
    """(the candidate requirement a resolver's error names, a one-paragraph reason) from its stderr."""
    noise = ("Using ", "WARN", "Resolved", "Building", "Built", "Updated", "Added", "Removed", "Prepared")
    reasons = []
    for raw in text.splitlines():
        line = raw.strip()
        for prefix in ("error:", "cause:", "hint:", "\u00d7", "\u2570\u2500\u25b6"):
            line = line.removeprefix(prefix).strip()
        if line and not line.startswith(noise) and line != "No solution found when resolving dependencies":
            reasons.append(line)
    reason = " ".join(reasons[:4]) or "uv gave no reason"
    lowered = text.lower()
    for candidate in candidates:
        name = requirement_name(candidate)
        if name and (name in lowered or name.replace("-", "_") in lowered):
            return candidate, reason
    return None, reason


_NOT_FOUND = re.compile(r"Because ([A-Za-z0-9._-]+) was not found in the package registry")


def unknown_project(stderr: str, culprit: str | None, index_urls: list[str]) -> str | None:
    """For a requested name no index has: that, and the closest names the indexes list (when they answer)."""
    found = _NOT_FOUND.search(stderr)
    name = requirement_name(culprit) if culprit else None
    if found is None or name is None or normalize_name(found.group(1)) != name:
        return None
    from corral.infra.simple_index import close_names

    close = close_names(index_urls, name)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "check the name's spelling"
    return f"no project named {name!r} on {', '.join(index_urls)}; {hint}"


def requirement_name(text: str) -> str | None:
    """The normalized name of a PEP 508 requirement, None when it does not parse."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return normalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def uv_project(data: Mapping[str, Any], root: Path, version: str) -> dict[str, Any]:
    """The temporary project's pyproject: the declarations, the version, uv's resolver settings, absolute sources."""
    project = data.get("project", {})
    name = project.get("name") if isinstance(project.get("name"), str) else "corral-project"
    body: dict[str, Any] = {"name": name, "version": version}
    for key in ("requires-python", "dependencies", "optional-dependencies"):
        if key in project:
            body[key] = project[key]
    body.setdefault("dependencies", [])
    doc: dict[str, Any] = {"project": body}
    if data.get("dependency-groups"):
        doc["dependency-groups"] = data["dependency-groups"]
    # its own workspace root: else uv looks for one above the temporary folder, and a pyproject.toml there (in a
    # shared /tmp, anyone's) naming it a member would lend it that workspace's indexes, sources and settings
    uv: dict[str, Any] = {"package": False, "workspace": {"members": []}}
    declared = data.get("tool", {}).get("uv", {}) or {}
    uv.update({key: declared[key] for key in UV_RESOLVER_SETTINGS if key in declared})
    sources = declared.get("sources")
    if isinstance(sources, dict):
        uv["sources"] = {k: _absolute_source(v, root) for k, v in sources.items()}
    doc["tool"] = {"uv": uv}
    return doc


def _absolute_source(value: Any, root: Path) -> Any:  # noqa: ANN401
    if isinstance(value, list):
        return [_absolute_source(v, root) for v in value]
    if isinstance(value, dict) and "path" in value:
        return {**value, "path": str((root / value["path"]).resolve())}
    return value


def _preferences(pins: Sequence[Pin], skip: set[str], requires_python: str | None) -> str | None:
    """A minimal uv.lock holding the pins (registry packages only): uv's preference mechanism."""
    from corral.core.pylock_write import toml_string

    lines = ["version = 1", "revision = 3", f"requires-python = {toml_string(requires_python or '>=3')}", ""]
    for name, version, index in pins:
        if normalize_name(name) in skip:
            continue
        lines += [
            "[[package]]",
            f"name = {toml_string(name)}",
            f"version = {toml_string(version)}",
            f"source = {{ registry = {toml_string(index)} }}",
            "",
        ]
    return "\n".join(lines) if len(lines) > 4 else None  # noqa: PLR2004 - the header's four lines


def uv_lock_graph(text: str) -> dict[str, list[str]]:
    """Name -> the names it depends on (extras' too), from uv.lock's text, parsing only what the graph reads.

    A uv.lock is mostly files and hashes; each `[[package]]` is cut down to its `name`, its `dependencies` array
    and its `[package.optional-dependencies]` table, copied verbatim, and only that is parsed (the graph
    `_uv_lock_deps` takes from the whole parsed file, at a fraction of the cost). A package in another shape
    than uv writes (one key per line, arrays closed by a lone `]`) has the whole file parsed instead.
    """
    from corral.infra.toml_file import parse_toml

    kept: list[str] = []
    for block in text.split("\n[[package]]\n")[1:]:
        lines = block.split("\n")
        if not lines[0].startswith("name = "):
            return _uv_lock_deps(parse_toml(text, origin="uv.lock"))
        kept += ["[[package]]", lines[0]]
        section, in_array = "package", False
        for line in lines[1:]:
            if in_array:
                kept.append(line)
                in_array = line != "]"
            elif line.startswith("["):
                section = line
                if section == "[package.optional-dependencies]":
                    kept.append(line)
            elif section == "[package.optional-dependencies]" or (
                section == "package" and line.startswith("dependencies = ")
            ):
                kept.append(line)
                in_array = line.endswith("[")
        if in_array:  # an array left open: not uv's layout
            return _uv_lock_deps(parse_toml(text, origin="uv.lock"))
    try:
        return _uv_lock_deps(parse_toml("\n".join(kept), origin="uv.lock"))
    except (ConfigError, KeyError, TypeError, AttributeError):  # cut where uv's layout was not: read it all
        return _uv_lock_deps(parse_toml(text, origin="uv.lock"))


def _uv_lock_deps(uv_lock: Mapping[str, Any]) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for package in uv_lock.get("package", []):
        names = [d["name"] for d in package.get("dependencies", [])]
        for deps in (package.get("optional-dependencies") or {}).values():
            names += [d["name"] for d in deps]
        graph[normalize_name(package["name"])] = [normalize_name(n) for n in names]
    return graph


# What only tells uv whom to trust on the network: an export reads the finished uv.lock (`--frozen`) and never
# connects (`--offline`), yet uv loads every certificate these name when it starts (SSL_CERT_DIR: one file per
# authority, ~20 ms of each export's ~60 ms here), once per selection.
_TLS_ONLY = ("SSL_CERT_FILE", "SSL_CERT_DIR", "UV_NATIVE_TLS", "UV_SYSTEM_CERTS")


def export_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `uv export --frozen --offline`: the resolver's, less what only serves the network."""
    return {k: v for k, v in environ.items() if k not in _TLS_ONLY}


# At most this many `uv export` processes at once: each is short (tens of ms) and mostly start-up and file I/O.
EXPORT_WORKERS = 4


def _exports(
    uv: str,
    request: UvRequest,
    tmp: Path,
    *,
    meanwhile: Callable[[], dict[str, list[str]]],
    early: _Early | None = None,
) -> UvResult:
    """`uv export` of the resolved temporary project: once plain (when it has dependencies), per group, per extra.

    The exports only read the finished uv.lock, so they run side by side (threads waiting on processes), while
    this thread runs `meanwhile` (the graph from uv.lock) and then parses each export in selection order. The
    result is the same list the exports give one after the other; when one fails, every one is waited for and
    the first failing selection (in that order) raises its own error, so the message names what failed.
    From `MARKERS_ONLY_FROM` selections on, the selections are exported from a copy of uv.lock without its files
    (`_marker_exports`), which gives the same list for less; anything unexpected there, and this way decides.
    Local paths are made relative to the real project (`_relocate`). When the memo's key is the one the helper
    thread's recorded exports were read under (`early`), they are the exports (with the graph and what was composed
    from both, when recorded).
    """
    run, plain, asked = _selections(request)
    environ = export_environ(request.environ if request.environ is not None else os.environ)
    exports: Exports = [(("default", ""), [])] if plain else []
    from concurrent.futures import ThreadPoolExecutor

    key = _memo_key(uv, request, tmp, environ)
    if key is not None and early is not None and key == early.key:
        # recorded for this very key: the texts these exports print, already parsed while uv resolved
        from corral.infra.headstart import log

        log("lock-exports:preparsed")
        if early.graph is None:
            return UvResult(exports=early.exports, graph=meanwhile())
        if early.composed is not None:
            log("lock-exports:composed")
        return UvResult(exports=early.exports, graph=early.graph, composed=early.composed)
    memo = _memo(uv, request, tmp, environ, key)
    if len(run) >= MARKERS_ONLY_FROM:
        found = _marker_exports(uv, tmp, run, environ, meanwhile, memo)
        if found is not None:
            if memo is not None:
                memo.save(found.graph)
            return UvResult(exports=_relocate(exports + found.exports, tmp, request.project_root), graph=found.graph)
    workers = max(1, min(EXPORT_WORKERS, len(asked)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="corral-uv-export") as pool:
        futures = {selector: pool.submit(_recalled, memo, "", uv, tmp, flags, environ) for selector, flags in asked}
        try:
            graph = meanwhile()
            exports += _parsed(run, list(futures), lambda selector: futures[selector].result().stdout)
        except BaseException:
            for future in futures.values():
                future.cancel()  # not started yet: never started; running ones finish before the pool closes
            raise
    if memo is not None:
        memo.save(graph)
    return UvResult(exports=_relocate(exports, tmp, request.project_root), graph=graph)


def _selections(request: UvRequest) -> tuple[list[tuple[Selector, list[str]]], bool, list[tuple[Selector, list[str]]]]:
    """(the selections exported, in order; True when the plain project has none; those asked of uv)."""
    selections: list[tuple[Selector, list[str]]] = [(("default", ""), ["--no-default-groups"])]
    selections += [(("group", g), ["--only-group", g]) for g in request.group_names]
    selections += [(("extra", e), ["--extra", e, "--no-default-groups"]) for e in request.extra_names]
    plain = not _declares_dependencies(request.data)  # the plain project's export: nothing, no process asked
    run = selections[1:] if plain else selections
    empty = _empty_extras(request.data)  # each exports what the plain project does: not asked again
    asked = [(selector, flags) for selector, flags in run if not (selector[0] == "extra" and selector[1] in empty)]
    return run, plain, asked


def _parsed(
    run: Sequence[tuple[Selector, list[str]]], asked: Sequence[Selector], output: Callable[[Selector], str]
) -> Exports:
    """Each selection's packages, parsed in order from `output`; one not `asked` (an empty extra): the plain one's.

    That is: the plain project's export's packages, or none when the plain project exports nothing (`_selections`).
    """
    exports: Exports = []
    seen: set[tuple[str, str, str]] = set()
    for selector, _ in run:
        if selector in asked:
            exports.append((selector, export_packages(output(selector), seen)))
        elif ("default", "") in asked:
            exports.append((selector, export_packages(output(("default", "")), seen)))
        else:
            exports.append((selector, []))
    return exports


def _preparse(request: UvRequest, tmp: Path) -> _Early | None:
    """The key, the exports and the graph the project's record holds for this request's selections; None: it cannot.

    Done while `uv lock` runs in `tmp`: when uv then writes the very uv.lock that key names, these are the exports
    (`_exports`), parsed from the same texts in the same order as the recalled processes' outputs would be, their
    local paths made relative to the real project as `_exports` makes them.
    """
    if request.export_memo is None:
        return None
    try:
        from corral.resolvers.uv_export_cache import entry_name, graph_of, recorded

        run, plain, asked = _selections(request)
        found = recorded(request.export_memo[0], request.project_root)
        if found is None or len(run) >= MARKERS_ONLY_FROM:
            return None
        key, texts = found
        outputs = {selector: texts.get(entry_name("", flags)) for selector, flags in asked}
        if any(text is None for text in outputs.values()):
            return None
        exports: Exports = [(("default", ""), [])] if plain else []
        exports += _parsed(run, list(outputs), lambda selector: outputs[selector] or "")
        return _Early(key=key, exports=_relocate(exports, tmp, request.project_root), graph=graph_of(texts))
    except Exception:  # noqa: BLE001 - only work done early: the exports decide as before
        return None


def _memo_key(uv: str, request: UvRequest, tmp: Path, environ: Mapping[str, str]) -> str | None:
    """The key of this resolution's exports (resolvers.uv_export_cache), when the request keeps them."""
    if request.export_memo is None:
        return None
    from corral.resolvers.uv_export_cache import ExportMemo

    return ExportMemo.key_for(uv=uv, tmp=tmp, environ=environ, files=request.export_memo[1])


def _memo(uv: str, request: UvRequest, tmp: Path, environ: Mapping[str, str], key: str | None) -> ExportMemo | None:
    """The exports recorded for this very resolution (`key`: `_memo_key`'s), when the request keeps them."""
    if request.export_memo is None or key is None:
        return None
    from corral.resolvers.uv_export_cache import ExportMemo

    folder, files = request.export_memo
    return ExportMemo.open(folder, request.project_root, uv=uv, tmp=tmp, environ=environ, files=files, key=key)


def _recalled(
    memo: ExportMemo | None,
    where: str,
    uv: str,
    project: Path,
    flags: list[str],
    environ: Mapping[str, str],
    *,
    check: bool = True,
) -> Completed:
    """`_export`, or what it printed for this very resolution (`memo`); `where` names the folder ("", "bare")."""
    if memo is None:
        return _export(uv, project, flags, environ, check=check)
    return memo.export(where, flags, lambda: _export(uv, project, flags, environ, check=check), [uv, "export", *flags])


def _empty_extras(data: Mapping[str, Any]) -> set[str]:
    """The extras declared empty (`security = []`): `--extra NAME` exports the plain project's very text.

    An extra adds its own requirements to the project's, and an empty one adds no edge to the graph uv exports
    from, so every package and marker is the plain export's. Not with `[tool.uv] conflicts` (uv forks the
    resolution on extras there, and its markers may name them).
    """
    project = data.get("project")
    optional = project.get("optional-dependencies") if isinstance(project, dict) else None
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if not isinstance(optional, dict) or (isinstance(uv, dict) and "conflicts" in uv):
        return set()
    return {normalize_name(name) for name, requirements in optional.items() if requirements == []}


def _export(uv: str, project: Path, flags: list[str], environ: Mapping[str, str], *, check: bool = True) -> Completed:
    from corral.infra import proc

    cmd = [uv, "export", "--project", str(project), "--format", "pylock.toml", "--frozen", "--offline"]
    return proc.run([*cmd, "--no-emit-project", "--no-header", *flags], env=environ, what="uv export", check=check)


# From this many selections to export on, `_marker_exports`: one more process, each of the others lighter (side by
# side, load 11: 12 selections 0.69x, 10: 0.76x, 6: 1.02x, 5: 1.07x the time of the full exports).
MARKERS_ONLY_FROM = 7


def _marker_exports(
    uv: str,
    tmp: Path,
    run: Sequence[tuple[Selector, list[str]]],
    environ: Mapping[str, str],
    meanwhile: Callable[[], dict[str, list[str]]],
    memo: ExportMemo | None = None,
) -> UvResult | None:
    """The exports of `run`, each package's tables from one export of every selection; None: export each as before.

    What `uv export --format pylock.toml` writes for a package is a function of its uv.lock entry alone, except its
    `marker`, which is the selection's reachability through the dependency graph (uv's `PylockToml::from_lock` and
    `ExportableRequirements::from_lock`): the graph reads the packages' dependencies and markers, never their files.
    So one export of every group and extra (`--all-groups --all-extras`) from uv.lock states every package's tables,
    and each selection is exported from a copy of uv.lock whose packages keep only their first wheel
    (`uv_lock_without_files`: a megabyte of files parsed and written once instead of once per selection), for its
    markers alone. A package is taken whole, with the marker of the first selection that has it, as
    merge_exports takes the first export's. Anything else (another layout, a source other than the registry, a
    failed export, a package the full export lacks) is None, and the exports run as before, which decide.
    """
    from concurrent.futures import ThreadPoolExecutor

    from corral.core.pylock_write import package_identity
    from corral.core.uv_export_read import read_export
    from corral.infra.toml_file import parse_toml, read_bytes, read_text
    from corral.resolvers import uv_workdir

    workdir = uv_workdir.make()  # beside tmp: its own project, its own workspace root
    bare = workdir.path
    try:
        workers = max(1, min(EXPORT_WORKERS, len(run) + 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="corral-uv-export") as pool:
            # the full export first (the longest), while the copy is cut and written
            whole = pool.submit(_recalled, memo, "", uv, tmp, ["--all-groups", "--all-extras"], environ, check=False)
            futures: list[Future[Completed]] = []
            try:
                bare_lock = uv_lock_without_files(read_text(tmp / "uv.lock"))
                if bare_lock is None:
                    _cancelled([whole])
                    return None
                (bare / "pyproject.toml").write_bytes(read_bytes(tmp / "pyproject.toml"))
                (bare / "uv.lock").write_text(bare_lock, encoding="utf-8")
                futures = [
                    pool.submit(_recalled, memo, "bare", uv, bare, flags, environ, check=False) for _, flags in run
                ]
                graph = meanwhile()
                done = whole.result()
                if done.returncode != 0:
                    _cancelled(futures)
                    return None
                parsed = read_export(done.stdout) or parse_toml(done.stdout, origin="uv export")
                tables = {package_identity(p): p for p in parsed.get("packages", [])}
                exports: Exports = []
                taken: set[tuple[str, str, str]] = set()
                for (selector, _), future in zip(run, futures, strict=True):
                    each = future.result()
                    packages = None if each.returncode != 0 else _marked_packages(each.stdout, tables, taken)
                    if packages is None:
                        _cancelled(futures)
                        return None
                    exports.append((selector, packages))
            except BaseException:
                _cancelled([whole, *futures])
                raise
    finally:
        workdir.remove()
    return UvResult(exports=exports, graph=graph)


def _cancelled(futures: Iterable[Future[Completed]]) -> None:
    for future in futures:
        future.cancel()  # not started yet: never started; running ones finish before the pool closes


def _marked_packages(
    text: str, tables: Mapping[tuple[str, str, str], Mapping[str, Any]], taken: set[tuple[str, str, str]]
) -> list[dict[str, Any]] | None:
    """A marker-only export's packages: whole from `tables` the first time (`taken`), else name, version, marker.

    None when an entry is not a registry package in uv's layout, or `tables` lacks it.
    """
    from corral.core.pylock_write import package_identity
    from corral.core.uv_export_read import PACKAGE_HEADER, read_package
    from corral.infra.toml_file import parse_toml

    head, *entries = text.split(PACKAGE_HEADER)
    if PACKAGE_HEADER.strip() in head:
        return None
    packages: list[dict[str, Any]] = []
    for entry in entries:
        lines = entry.splitlines()
        if not entry.startswith("name = ") or any(line.startswith(_FULL_KEYS) for line in lines):
            return None
        heads = "\n".join(ln for ln in lines if ln.startswith(_HEAD_KEYS))
        light = read_package(heads)
        if light is None:
            light = parse_toml(heads, origin="uv export")
        key = package_identity(light)
        if key not in tables:
            return None
        if key in taken:
            packages.append(light)
            continue
        taken.add(key)
        package = {k: v for k, v in tables[key].items() if k != "marker"}
        if "marker" in light:
            package["marker"] = light["marker"]
        packages.append(package)
    return packages


_SOURCES_KEPT = ("source = { registry = ", 'source = { virtual = "." }')  # the registry's, the project itself


def uv_lock_without_files(text: str) -> str | None:
    """uv.lock's text with each package's `wheels` array cut to its first wheel; None for any other layout.

    Only a lock of registry packages (and the temporary project itself) in uv's layout: `wheels = [` alone on a
    line at the package's own level, one wheel a line, `]` alone to close it. The graph (dependencies, markers,
    forks, the manifest) is kept byte for byte; a package keeps a file, as uv wants one of each.
    """
    head, *blocks = text.split("\n[[package]]\n")
    if "[[package]]" in head:
        return None
    kept = [head]
    for block in blocks:
        cut = _package_without_files(block.split("\n"))
        if cut is None:
            return None
        kept.append("\n".join(cut))
    return "\n[[package]]\n".join(kept)


def _package_without_files(lines: list[str]) -> list[str] | None:
    """One `[[package]]` block's lines (after the header), its wheels cut to the first; None: not as expected."""
    if not lines[0].startswith("name = "):
        return None
    out: list[str] = []
    own_level, cutting, first = True, False, False
    for line in lines:
        if cutting:
            if line == "]":
                cutting = False
                out.append(line)
            elif not line.startswith("    { "):
                return None
            elif first:
                out.append(line)
                first = False
            continue
        if line.startswith("["):
            own_level = False
        elif own_level and line.startswith("source = ") and not line.startswith(_SOURCES_KEPT):
            return None
        elif own_level and line == "wheels = [":
            cutting, first = True, True
        out.append(line)
    return None if cutting else out


def _declares_dependencies(data: Mapping[str, Any]) -> bool:
    """The project has requirements of its own: else its plain export (no group, no extra) is empty.

    The temporary project is never built (`package = false`) and is not emitted; of the uv settings it carries,
    overrides and constraints only narrow what is required, and no legacy `dev-dependencies` is copied.
    """
    project = data.get("project")
    return not isinstance(project, dict) or project.get("dependencies", []) != []


_HEAD_KEYS = ("name = ", "version = ", "marker = ")
_FULL_KEYS = ("vcs", "directory", "archive", "[")  # a source (its value is the identity) or a sub-table: parse all


def export_packages(text: str, seen: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The `packages` of one `uv export --format pylock.toml`, each parsed once across the exports of a lock.

    core.pylock_write.merge_exports keeps a package's data from the first export that has it and only the marker
    of later ones, so a package already in `seen` (its identity, updated here) is read from its name, version and
    marker lines alone: the files and hashes of a many-group project are parsed once, not once per group. An entry
    naming a source (vcs, directory, archive) or written in another shape than uv's one line per key is parsed whole.
    Each part is read by core.uv_export_read (uv's own layout, several times faster), else by tomllib.
    """
    from corral.core.pylock_write import package_identity
    from corral.core.uv_export_read import PACKAGE_HEADER, read_export, read_package
    from corral.infra.toml_file import parse_toml

    head, *entries = text.split(PACKAGE_HEADER)
    if not seen or not all(entry.startswith("name = ") for entry in entries) or PACKAGE_HEADER.strip() in head:
        whole = read_export(text)
        packages: list[dict[str, Any]] = (whole or parse_toml(text, origin="uv export")).get("packages", [])
        seen.update(package_identity(p) for p in packages)
        return packages
    packages = []
    for entry in entries:
        lines = entry.splitlines()
        if not any(line.startswith(_FULL_KEYS) for line in lines):
            heads = "\n".join(ln for ln in lines if ln.startswith(_HEAD_KEYS))
            light = read_package(heads)
            if light is None:
                light = parse_toml(heads, origin="uv export")
            if package_identity(light) in seen:
                packages.append(light)
                continue
        package = read_package(entry)
        if package is None:
            package = parse_toml("[[packages]]\n" + entry, origin="uv export")["packages"][0]
        seen.add(package_identity(package))
        packages.append(package)
    return packages


def project_entry(data: Mapping[str, Any], exports: Exports, graph: Mapping[str, Sequence[str]]) -> Exports:
    """The project as a PEP 751 directory entry, when a locked package depends on it (else the lock is not closed).

    Editable, as `corral sync` installs it; no marker, as `corral sync` installs it whatever the selection; no
    version, as PEP 751 wants for a source tree. Only a project with a build system can be installed at all.
    """
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str) or not isinstance(data.get("build-system"), dict):
        return []
    key = normalize_name(name)
    locked = {normalize_name(p["name"]) for _, packages in exports for p in packages} - {key}
    if not any(key in graph.get(other, ()) for other in locked):
        return []
    return [(("default", ""), [{"name": name, "directory": {"path": ".", "editable": True}}])]


def _refuse_missing_extras(stderr: str, candidates: Sequence[str]) -> None:
    """Uv only warns about an extra a package lacks; a requirement being added with one is an error."""
    from packaging.requirements import InvalidRequirement, Requirement

    lacking = {
        (normalize_name(pkg.split("==")[0]), normalize_name(extra))
        for pkg, extra in re.findall(r"package `([^`]+)` does not have an extra named `([^`]+)`", stderr)
    }
    for text in candidates:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        for extra in sorted(req.extras):
            if (normalize_name(req.name), normalize_name(extra)) in lacking:
                msg = f"cannot add {text!r}: {req.name} has no extra named {extra!r}; drop [{extra}] or check its name"
                raise LockError(msg)


def _relocate(exports: Exports, tmp: Path, root: Path) -> Exports:
    """Local paths uv wrote relative to the temporary project, made relative to the real one (or absolute)."""
    for _, packages in exports:
        for package in packages:
            for key in ("directory", "archive", "sdist"):
                table = package.get(key)
                if isinstance(table, dict) and isinstance(table.get("path"), str):
                    target = (tmp / table["path"]).resolve()
                    try:
                        table["path"] = (
                            Path(os.path.relpath(target, root)).as_posix()
                            if target.is_relative_to(root.resolve())
                            else str(target)
                        )
                    except ValueError:
                        table["path"] = str(target)
    return exports
