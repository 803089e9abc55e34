"""uv.lock read for what a lock needs of it: the dependency graph, and a copy without its files for marker exports.

Only uv's own layout is cut by lines (one key a line, arrays closed by a lone `]`); anything else is parsed whole
(`uv_lock_graph`) or refused (`uv_lock_without_files`: None, and every export runs as before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corral.core.names import normalize_name
from corral.errors import ConfigError

__all__ = ["uv_lock_graph", "uv_lock_without_files"]


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
