"""The temporary project `uv lock` resolves: its pyproject.toml (`uv_project`) and its uv.lock of pins (`preferences`).

The declarations at the project's real version, uv's resolver settings, local sources made absolute; the pins to
keep as a minimal uv.lock, which uv treats as preferences.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.lock_fingerprint import UV_RESOLVER_SETTINGS  # copied into the temporary project
from corral.core.names import normalize_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.resolvers.uv import Pin

__all__ = ["UV_RESOLVER_SETTINGS", "preferences", "uv_project"]


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
    _absolute_locations(uv, root)
    sources = declared.get("sources")
    if isinstance(sources, dict):
        uv["sources"] = {k: _absolute_source(v, root) for k, v in sources.items()}
    doc["tool"] = {"uv": uv}
    return doc


def _absolute_locations(uv: dict[str, Any], root: Path) -> None:
    """Index URLs and find-links given as relative paths, absolute against the project (the copy lives elsewhere)."""
    if isinstance(uv.get("index"), list):
        uv["index"] = [
            {**e, "url": _absolute_location(e["url"], root)} if isinstance(e, dict) and "url" in e else e
            for e in uv["index"]
        ]
    for key in ("index-url", "extra-index-url", "find-links"):
        value = uv.get(key)
        if isinstance(value, str):
            uv[key] = _absolute_location(value, root)
        elif isinstance(value, list):
            uv[key] = [_absolute_location(v, root) for v in value]


def _absolute_location(value: Any, root: Path) -> Any:  # noqa: ANN401 - whatever the project wrote
    if not isinstance(value, str) or "://" in value or value.startswith(("/", "~")) or value[:5].lower() == "file:":
        return value
    return os.path.abspath(root / value)


def _absolute_source(value: Any, root: Path) -> Any:  # noqa: ANN401
    if isinstance(value, list):
        return [_absolute_source(v, root) for v in value]
    if isinstance(value, dict) and "path" in value:
        return {**value, "path": os.path.abspath(root / value["path"])}  # a link kept: the path the user named
    return value


def preferences(pins: Sequence[Pin], skip: set[str], requires_python: str | None) -> str | None:
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
