"""What `uv export` gives a lock: each selection's PEP 751 package tables, from the resolved temporary project.

`uv export --format pylock.toml` is run once for the plain project, once per group and once per extra (side by side:
they only read the finished uv.lock; uv 0.13's pylock export marks no entry with the group or extra that brought it,
so one export with every group cannot replace them; `--offline`, without the variables that only name
certificates: `export_environ`; from `MARKERS_ONLY_FROM` selections on, each from a copy of uv.lock without its
files, for its markers, and every package's tables from one export of all of them: `_marker_exports`). Each
package's files are parsed from the first export that has it only (`export_packages`, through core.uv_export_read,
else tomllib). A resolution to the very uv.lock of the project's last lock recalls its outputs
(resolvers.uv_export_cache), parsed while uv resolved (`preparse`, `Early`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.names import normalize_name
from corral.infra.environ import offline_environ
from corral.resolvers.uv_lock_read import uv_lock_without_files

if TYPE_CHECKING:
    from concurrent.futures import Future

    from corral.infra.proc import Completed
    from corral.resolvers.uv import UvRequest
    from corral.resolvers.uv_export_cache import ExportMemo

__all__ = [
    "EXPORT_WORKERS",
    "MARKERS_ONLY_FROM",
    "Early",
    "Exports",
    "Selector",
    "UvResult",
    "export_environ",
    "export_packages",
    "preparse",
    "project_entry",
    "run_exports",
]

Selector = tuple[str, str]


Exports = list[tuple[Selector, list[dict[str, Any]]]]


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
class Early:
    """What the helper thread read while uv resolved, under the record's key.

    The recorded exports (parsed and relocated, as `run_exports` gives them), the recorded graph (None: none recorded),
    and `compose`'s result for them (None: not run, or it failed).
    """

    key: str
    exports: Exports
    graph: dict[str, list[str]] | None
    composed: object = None


def export_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `uv export --frozen --offline`: the resolver's, less what only serves the network.

    An export reads the finished uv.lock and never connects, nor runs a build backend (`infra.environ.TLS_ONLY`).
    """
    return offline_environ(environ)


# At most this many `uv export` processes at once: each is short (tens of ms) and mostly start-up and file I/O.
EXPORT_WORKERS = 4


def run_exports(
    uv: str,
    request: UvRequest,
    tmp: Path,
    *,
    meanwhile: Callable[[], dict[str, list[str]]],
    early: Early | None = None,
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
            return UvResult(exports=_relocate(exports + found.exports, tmp, request), graph=found.graph)
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
    return UvResult(exports=_relocate(exports, tmp, request), graph=graph)


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


def preparse(request: UvRequest, tmp: Path) -> Early | None:
    """The key, the exports and the graph the project's record holds for this request's selections; None: it cannot.

    Done while `uv lock` runs in `tmp`: when uv then writes the very uv.lock that key names, these are the exports
    (`run_exports`), parsed from the same texts in the same order as the recalled processes' outputs would be, their
    local paths made relative to the real project as `run_exports` makes them.
    """
    if request.export_memo is None:
        return None
    try:
        from corral.resolvers.uv_export_cache import entry_name, graph_of, recorded

        run, plain, asked = _selections(request)
        found = recorded(request.export_memo[0], request.project_root)
        if found is None:
            return None
        key, texts = found
        if len(run) >= MARKERS_ONLY_FROM:  # as `_marker_exports` reads its processes' outputs
            whole = texts.get(entry_name("", _ALL_SELECTIONS))
            each = [texts.get(entry_name("bare", flags)) for _, flags in run]
            selected = None if whole is None or None in each else _marker_parsed(run, whole, [t or "" for t in each])
        else:
            outputs = {selector: texts.get(entry_name("", flags)) for selector, flags in asked}
            complete = None not in outputs.values()
            selected = _parsed(run, list(outputs), lambda selector: outputs[selector] or "") if complete else None
        if selected is None:
            return None
        exports: Exports = [(("default", ""), [])] if plain else []
        exports += selected
        return Early(key=key, exports=_relocate(exports, tmp, request), graph=graph_of(texts))
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
    # in the project's folder: uv writes a path a package's own sources name (a sibling's sibling) relative to its
    # working folder (UV_WORKING_DIR, which `engine_environ` sets to the root), the project's own relative to the
    # project; `_relocate` joins both to it
    return proc.run(
        [*cmd, "--no-emit-project", "--no-header", *flags],
        env={**environ, "UV_WORKING_DIR": str(project)},
        what="uv export",
        check=check,
    )


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

    from corral.infra.toml_file import read_bytes, read_text
    from corral.resolvers import uv_workdir

    workdir = uv_workdir.make()  # beside tmp: its own project, its own workspace root
    bare = workdir.path
    try:
        workers = max(1, min(EXPORT_WORKERS, len(run) + 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="corral-uv-export") as pool:
            # the full export first (the longest), while the copy is cut and written
            whole = pool.submit(_recalled, memo, "", uv, tmp, _ALL_SELECTIONS, environ, check=False)
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
                tables = _whole_tables(done.stdout)
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


_ALL_SELECTIONS = ["--all-groups", "--all-extras"]  # the one full export of the marker-only way


def _whole_tables(text: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each package's tables in the export of every selection, by identity (`_marker_exports`)."""
    from corral.core.pylock_write import package_identity
    from corral.core.uv_export_read import read_export
    from corral.infra.toml_file import parse_toml

    parsed = read_export(text) or parse_toml(text, origin="uv export")
    return {package_identity(p): p for p in parsed.get("packages", [])}


def _marker_parsed(run: Sequence[tuple[Selector, list[str]]], whole: str, each: Sequence[str]) -> Exports | None:
    """`_marker_exports`'s reading of the full export's text and of each selection's marker-only one, in order."""
    tables: dict[tuple[str, str, str], dict[str, Any]] = _whole_tables(whole)
    taken: set[tuple[str, str, str]] = set()
    exports: Exports = []
    for (selector, _), text in zip(run, each, strict=True):
        packages = _marked_packages(text, tables, taken)
        if packages is None:
            return None
        exports.append((selector, packages))
    return exports


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


def _relocate(exports: Exports, tmp: Path, request: UvRequest) -> Exports:
    """Local paths uv wrote relative to the temporary project, made relative to the real one (`core.local_paths`).

    A path the pyproject names absolutely (`lib @ file:///abs`, a source's absolute `path`) outside the project stays
    absolute: that folder, wherever the checkout is. Links are kept (the path the user named, not its target).
    """
    from corral.core.local_paths import named_absolutely, relative_to_folder

    root = request.project_root
    absolute = named_absolutely(request.data)
    for _, packages in exports:
        for package in packages:
            for key in ("directory", "archive", "sdist"):
                table = package.get(key)
                if isinstance(table, dict) and isinstance(table.get("path"), str):
                    target = os.path.normpath(tmp / table["path"])
                    if not os.path.exists(target):  # uv went by the temporary folder's real path
                        target = str((tmp / table["path"]).resolve())
                    inside = Path(target).is_relative_to(root) or Path(target).is_relative_to(root.resolve())
                    table["path"] = target if target in absolute and not inside else relative_to_folder(target, root)
            _local_files(package, root)
    return exports


def _local_files(package: dict[str, Any], root: Path) -> None:
    """Files of a folder of wheels inside the project (`find-links`, a flat index) named by a path relative to it.

    uv exports them as `file:///abs/wh/x.whl` from an index `file:///abs/wh`: a lock that names this checkout's
    folder (another clone installed the first one's files, and locked anew). PEP 751 lets a file name a `path`
    relative to the lock; the index, a URL of this machine, is left out (the file is installed by its path).
    """
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    from corral.core.local_paths import relative_to_folder

    moved = False
    for table in [*package.get("wheels", []), package.get("sdist")]:
        url = table.get("url") if isinstance(table, dict) else None
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            continue
        path = url2pathname(unquote(parts.path))
        if Path(path).is_relative_to(root) or Path(path).is_relative_to(root.resolve()):
            del table["url"]
            table["path"] = relative_to_folder(path, root)
            moved = True
    index = package.get("index")
    if moved and isinstance(index, str) and index[:5].lower() == "file:":
        del package["index"]
