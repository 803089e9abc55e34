"""Move Poetry's (and PDM's) dependency tables to `[project]` and PEP 735 `[dependency-groups]`, formatting kept.

Poetry: name, version, `python` (as requires-python), dependencies, extras and groups move; every other
`[tool.poetry]` key stays (poetry-core ≥ 2 still reads description, authors, readme, packages... from there), and
`[build-system]` is raised to poetry-core ≥ 2.0, the first that builds from `[project]`. Poetry installs every group
that is not `optional`, so when that is not just `dev`, `[tool.corral] default-groups` says so.
PDM: `[tool.pdm.dev-dependencies]` (PEP 508 strings already) moves to `[dependency-groups]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corral.core.names import normalize_name
from corral.core.poetry import PoetryDeps, Unconvertible, convert_poetry
from corral.errors import InvalidRequirement, UsageError
from corral.services.foreign import splice_tables

__all__ = ["POETRY_CORE", "migrate_tables"]

POETRY_CORE = "poetry-core>=2.0.0"


def migrate_tables(text: str, *, source: str) -> tuple[str, list[str]]:
    """The pyproject text with Poetry/PDM dependency tables moved, and one line per change."""
    import tomlkit

    doc, new = tomlkit.parse(text), tomlkit.document()  # new top-level tables go above the first table
    changes: list[str] = []
    tool = doc.get("tool", {})
    if isinstance(tool.get("poetry"), Mapping):
        if tool["poetry"].get("package-mode") is False:
            msg = (
                f"{source}: [tool.poetry] package-mode = false: a Poetry project that is no package has no "
                "[project] table to move its dependencies to (PEP 621 needs a name and builds it); keep using "
                "Poetry, or give it a name and version and drop package-mode, then run `corral init` again; "
                "nothing was changed"
            )
            raise UsageError(msg)
        try:
            converted = convert_poetry(tool["poetry"])  # a tomlkit Table is a Mapping of plain-acting values
        except Unconvertible as err:
            raise UsageError(
                f"{source}: cannot move [tool.poetry] to [project]: {err}; convert it by hand, then "
                "run `corral init` again; nothing was changed"
            ) from err
        moved = _project(doc, new, tool["poetry"], converted, changes)
        groups = _groups(doc, new, converted.groups, converted.group_origins, changes)
        _prune(tool["poetry"], moved, groups, changes)
        _default_groups(doc, converted, changes)
        _build_system(doc, changes)
        changes += converted.notes
    pdm = tool.get("pdm", {}).get("dev-dependencies") if isinstance(tool.get("pdm"), Mapping) else None
    if isinstance(pdm, Mapping):
        _pdm(doc, new, dict(pdm), source, changes)
    return splice_tables(tomlkit.dumps(doc), tomlkit.dumps(new) if new else ""), changes


def _array(items: list[Any]) -> Any:  # noqa: ANN401 - tomlkit item
    import tomlkit

    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


def _project(doc: Any, new: Any, poetry: Any, converted: PoetryDeps, changes: list[str]) -> set[str]:  # noqa: ANN401
    """Fill [project] from [tool.poetry]; the [tool.poetry] keys moved."""
    import tomlkit

    created = "project" not in doc
    project = new.setdefault("project", tomlkit.table()) if created else doc["project"]
    dynamic = list(project.get("dynamic", []))
    moved = set()
    for key in ("name", "version"):
        if key in poetry and key not in project and key not in dynamic:
            project[key] = poetry[key]
            moved.add(key)
            changes.append(f"[project].{key} = {poetry[key]!r} (from [tool.poetry].{key})")
    if converted.requires_python and "requires-python" not in project:
        project["requires-python"] = converted.requires_python
        changes.append(
            f"[project].requires-python = {converted.requires_python!r} (from [tool.poetry.dependencies].python)"
        )
    if "dependencies" not in project:
        project["dependencies"] = _array(converted.dependencies)
        moved.add("dependencies")
        changes.append(
            f"[project].dependencies = {converted.dependencies} (from [tool.poetry.dependencies]; "
            "^ and ~ written as PEP 440 ranges)"
        )
    if "optional-dependencies" not in project:
        moved.add("extras")
        if converted.optional:
            project["optional-dependencies"] = extras = tomlkit.table()
        for name, requirements in converted.optional.items():
            extras[name] = _array(requirements)
            changes.append(f"[project.optional-dependencies].{name} = {requirements} (from [tool.poetry.extras])")
    kept = [d for d in dynamic if d not in ("dependencies", "optional-dependencies")]
    if len(kept) != len(dynamic):
        changes.append(f"[project].dynamic = {kept} (the dependencies are static now)")
        if kept:
            project["dynamic"] = kept
        else:
            del project["dynamic"]
    return moved


def _prune(poetry: Any, moved: set[str], groups: set[str], changes: list[str]) -> None:  # noqa: ANN401
    """Drop the moved keys and group tables from [tool.poetry]; everything else stays."""
    keys = ("name", "version", "dependencies", "dev-dependencies", "extras")
    moved = moved | ({"dev-dependencies"} if "dev" in groups else set())
    removed: list[str] = [k for k in keys if k in poetry and k in moved]
    for key in removed:
        del poetry[key]
    table = poetry.get("group", {})
    for name in [n for n in table if n in groups or ("dev" in groups and n.lower() == "dev")]:
        for key in ("dependencies", "include-groups", "optional"):
            if key in table[name]:
                del table[name][key]
        if not table[name]:
            del table[name]
        removed.append(f"group.{name}")
    if "group" in poetry and not poetry["group"]:
        del poetry["group"]
    if removed:
        changes.append(
            f"[tool.poetry]: removed {', '.join(removed)} (moved); its other keys stay, poetry-core reads them"
        )


def _groups(
    doc: Any,  # noqa: ANN401
    new: Any,  # noqa: ANN401
    groups: Mapping[str, list[Any]],
    origins: Mapping[str, str],
    changes: list[str],
) -> set[str]:
    """Add `groups` to [dependency-groups], except those it has (Poetry ≥ 2 reads those with its own as detail)."""
    import tomlkit

    existing = doc.get("dependency-groups", {})
    wanted = {name: entries for name, entries in groups.items() if name not in existing}
    if not wanted:
        return set()
    table = existing if "dependency-groups" in doc else new.setdefault("dependency-groups", tomlkit.table())
    for name, entries in wanted.items():
        table[name] = _array(entries)
        shown = [e if isinstance(e, str) else f"include-group {e['include-group']}" for e in entries]
        changes.append(f"[dependency-groups].{name} = {shown} (from {origins.get(name, name)})")
    return set(wanted)


def _default_groups(doc: Any, converted: PoetryDeps, changes: list[str]) -> None:  # noqa: ANN401
    import tomlkit

    wanted = sorted(g for g in converted.groups if g not in converted.optional_groups)
    if not converted.groups or wanted == ["dev"]:
        return
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    corral = tool.setdefault("corral", tomlkit.table())
    if "default-groups" not in corral:
        corral["default-groups"] = wanted
        changes.append(f"[tool.corral].default-groups = {wanted} (Poetry installs every group not marked optional)")


def _build_system(doc: Any, changes: list[str]) -> None:  # noqa: ANN401
    from packaging.requirements import InvalidRequirement, Requirement

    system = doc.get("build-system")
    if system is None:
        return
    backend = str(system.get("build-backend", ""))
    if backend == "poetry.masonry.api":  # Poetry 0.x/1.x named the whole of poetry as its backend
        system["build-backend"] = "poetry.core.masonry.api"
        changes.append("[build-system].build-backend = 'poetry.core.masonry.api' (was poetry.masonry.api)")
    if system.get("build-backend") != "poetry.core.masonry.api":
        return
    requires = list(system.get("requires", []))
    for index, text in enumerate(requires):
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue
        name = normalize_name(req.name)
        if name == "poetry" or (name == "poetry-core" and req.specifier.contains("1.9.1", prereleases=True)):
            system["requires"][index] = POETRY_CORE
            changes.append(
                f"[build-system].requires: {text!r} -> {POETRY_CORE!r} (the first poetry-core that "
                "builds from [project])"
            )
    if not any(str(r).lower().startswith(("poetry-core", "poetry_core")) for r in system.get("requires", [])):
        system["requires"].append(POETRY_CORE)
        changes.append(f"[build-system].requires: added {POETRY_CORE!r}")


def _pdm(doc: Any, new: Any, groups: Mapping[str, Any], source: str, changes: list[str]) -> None:  # noqa: ANN401
    from corral.core.deps import parse_requirement

    for name, entries in groups.items():
        for entry in entries:
            try:
                parse_requirement(str(entry))
            except InvalidRequirement as err:  # noqa: PERF203 - a few entries
                msg = (
                    f"{source}: cannot move [tool.pdm.dev-dependencies].{name}: {entry!r} is not a PEP 508 "
                    "requirement (an editable path?); move it by hand, then run `corral init` again; nothing was "
                    "changed"
                )
                raise InvalidRequirement(msg) from err
    lists = {name: [str(e) for e in entries] for name, entries in groups.items()}
    moved = _groups(doc, new, lists, dict.fromkeys(lists, "[tool.pdm.dev-dependencies]"), changes)
    pdm = doc["tool"]["pdm"]
    for name in moved:
        del pdm["dev-dependencies"][name]
    if not pdm["dev-dependencies"]:
        del pdm["dev-dependencies"]
    if not pdm:
        del doc["tool"]["pdm"]
