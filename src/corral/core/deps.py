"""A project's declared dependencies: [project].dependencies, optional-dependencies and PEP 735 groups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement as _BadRequirement
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from corral.core.names import normalize_name
from corral.core.safe_text import NAME_RE
from corral.errors import ConfigError, InvalidRequirement

__all__ = ["ProjectDeps", "marker_problem", "meant_requirement", "parse_requirement"]

# Marker variables whose value is always a PEP 440 version: compared with anything else, `>`/`<`/`~=` fall back
# to comparing strings ("3.11" > "3.x" is False), so a marker like that is a typo that silently never matches.
_VERSION_VARIABLES = frozenset({"python_version", "python_full_version", "implementation_version"})
_STRING_OPS = frozenset({"in", "not in", "==="})


_HINT = "write it as PEP 508 says, like 'name>=1.0' or 'name @ URL'"


def parse_requirement(text: str, *, where: str = "", hint: str = _HINT) -> Requirement:
    """The one validator of a requirement string corral is given (command line, pyproject, script block, file).

    Args:
        text: the PEP 508 string.
        where: what the message names first (a file and entry, "pyproject.toml: [project].dependencies entry 2").
        hint: the message's next step when `text` does not parse.

    Returns:
        The parsed requirement; its marker, if any, can be evaluated as written.

    Raises:
        InvalidRequirement: (a UsageError and a ValueError) `text` does not parse, or its marker compares a version
            variable with something that is not a version.

    """
    place = f"{where}: " if where else ""
    try:
        requirement = Requirement(text)
    except _BadRequirement as err:
        meant = meant_requirement(text)
        why = str(err).splitlines()[0] if str(err) else "unparsable"
        msg = (
            f"{place}{text!r} is not a valid requirement: one '=' pins nothing; did you mean {meant!r}?"
            if meant
            else f"{place}{text!r} is not a valid requirement ({why}); {hint}"
        )
        raise InvalidRequirement(msg) from err
    problem = marker_problem(requirement.marker) if requirement.marker is not None else None
    if problem is not None:
        msg = f"{place}{text!r} has a marker that cannot be evaluated as written: {problem}"
        raise InvalidRequirement(msg)
    return requirement


_ONE_EQUALS = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)\s*=\s*([0-9][^=;\s]*)\s*(;.*)?$")


def meant_requirement(text: str) -> str | None:
    """`requests=2.31` (pip's `==` typed once, or conda's pin): the requirement that was meant, when it parses."""
    found = _ONE_EQUALS.match(text)
    if found is None:
        return None
    name, version, marker = found.groups()
    candidate = f"{name}=={version}" + (f"; {marker[1:].strip()}" if marker else "")
    try:
        Requirement(candidate)
    except _BadRequirement:
        return None
    return candidate


def marker_problem(marker: Marker) -> str | None:
    """Why `marker` cannot be evaluated as PEP 508 means it (a version compared with a non-version); None if it can."""
    for lhs, op, rhs in _comparisons(marker._markers):  # noqa: SLF001 - packaging keeps the parsed tree private
        left_var, right_var = type(lhs).__name__ == "Variable", type(rhs).__name__ == "Variable"
        variable, value = (lhs, rhs) if left_var else (rhs, lhs) if right_var else (None, None)
        if variable is None or value is None or variable.value not in _VERSION_VARIABLES or op.value in _STRING_OPS:
            continue
        try:
            if left_var:
                Specifier(f"{op.value}{value.value}")
            else:
                Version(value.value)
        except (InvalidSpecifier, InvalidVersion):
            written = f'{lhs.value} {op.value} "{rhs.value}"' if left_var else f'"{lhs.value}" {op.value} {rhs.value}'
            return (
                f'{written} compares {variable.value}, a version, with "{value.value}", which is not one; '
                'write a version like "3.11" (or "3.*" with == and !=)'
            )
    try:
        marker.evaluate({"extra": ""})
    except (UndefinedComparison, UndefinedEnvironmentName) as err:
        return f"a comparison in it is undefined ({err})"
    return None


def _comparisons(node: object) -> list[tuple[Any, Any, Any]]:
    """Every (lhs, op, rhs) of a parsed marker tree (nested lists joined by "and"/"or")."""
    if isinstance(node, tuple):
        return [node]
    if isinstance(node, list):
        return [atom for item in node for atom in _comparisons(item)]
    return []


@dataclass(frozen=True, slots=True)
class ProjectDeps:
    """Validated dependency declarations of one pyproject.toml (names of extras and groups normalized)."""

    source: str
    dependencies: tuple[str, ...] = ()
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    requires_python: str | None = None

    @classmethod
    def from_pyproject(cls, data: Mapping[str, Any], *, source: str = "pyproject.toml") -> ProjectDeps:
        """Read and validate every requirement; errors name the file, the table and the entry."""
        project = data.get("project", {})
        if not isinstance(project, dict):
            raise ConfigError(f"{source}: [project] must be a table")
        _check_name(project.get("name"), f"{source}: [project].name", "project name", optional=True)
        deps = _requirement_list(project.get("dependencies", []), f"{source}: [project].dependencies")
        raw_optional = project.get("optional-dependencies", {})
        if not isinstance(raw_optional, dict):
            raise ConfigError(f"{source}: [project.optional-dependencies] must be a table of lists")
        optional = _optional_dependencies(raw_optional, source)
        raw_groups = data.get("dependency-groups", {})
        if not isinstance(raw_groups, dict):
            raise ConfigError(f"{source}: [dependency-groups] must be a table of lists")
        groups: dict[str, tuple[Any, ...]] = {}
        for name, entries in raw_groups.items():
            _check_name(name, f"{source}: [dependency-groups]", "group name")
            key = normalize_name(name)
            if key in groups:
                raise ConfigError(f"{source}: [dependency-groups] names {name!r} twice (names are normalized)")
            groups[key] = _group_entries(entries, f"{source}: [dependency-groups].{name}")
        rp = project.get("requires-python")
        if rp is not None and not isinstance(rp, str):
            raise ConfigError(f"{source}: [project].requires-python must be a string like '>=3.9'")
        if rp is not None:
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                SpecifierSet(rp)
            except InvalidSpecifier as err:
                raise ConfigError(
                    f"{source}: [project].requires-python {rp!r} is not a version specifier (write it like '>=3.9')"
                ) from err
        made = cls(source=source, dependencies=deps, optional=optional, groups=groups, requires_python=rp)
        for group in groups:
            made.expand_group(group)
        return made

    @property
    def extra_names(self) -> list[str]:
        """Normalized names of the optional-dependency tables, sorted."""
        return sorted(self.optional)

    @property
    def group_names(self) -> list[str]:
        """Normalized names of the dependency groups, sorted."""
        return sorted(self.groups)

    def expand_group(self, name: str, _stack: tuple[str, ...] = ()) -> list[str]:
        """The requirements of group `name` with every include-group expanded (PEP 735); cycles are errors."""
        key = normalize_name(name)
        if key not in self.groups:
            where = f" (included from {_stack[-1]!r})" if _stack else ""
            valid = ", ".join(self.group_names) or "none are defined"
            raise ConfigError(f"{self.source}: unknown dependency group {name!r}{where}; valid groups: {valid}")
        if key in _stack:
            chain = " -> ".join((*_stack, key))
            raise ConfigError(f"{self.source}: [dependency-groups] include-group cycle: {chain}")
        result: list[str] = []
        for entry in self.groups[key]:
            if isinstance(entry, str):
                result.append(entry)
            else:
                result.extend(self.expand_group(entry["include-group"], (*_stack, key)))
        return result

    def all_requirements(self) -> list[tuple[str, str]]:
        """(where, requirement) for every direct requirement: "project", "extra:NAME", "group:NAME"."""
        out = [("project", r) for r in self.dependencies]
        out += [(f"extra:{k}", r) for k, reqs in sorted(self.optional.items()) for r in reqs]
        out += [(f"group:{k}", r) for k in self.group_names for r in self.groups[k] if isinstance(r, str)]
        return out


def _check_name(name: object, where: str, what: str, *, optional: bool = False) -> None:
    """A PEP 508 name (project, extra, PEP 735 group): these reach lock markers, prompts and command lines."""
    if name is None and optional:
        return
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"{where}: {what} {name!r} is not a valid name (letters, digits and - _ . inside, "
            "starting and ending with a letter or digit); rename it"
        )


def _optional_dependencies(raw: Mapping[str, Any], source: str) -> dict[str, tuple[str, ...]]:
    optional = {}
    for name, value in raw.items():
        _check_name(name, f"{source}: [project.optional-dependencies]", "extra name")
        optional[normalize_name(name)] = _requirement_list(value, f"{source}: [project.optional-dependencies].{name}")
    return optional


def _requirement_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of requirement strings")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"{where} entry {index + 1} must be a string, not {type(item).__name__}")
        parse_requirement(item, where=f"{where} entry {index + 1}")
    return tuple(value)


def _group_entries(value: object, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    out: list[Any] = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            parse_requirement(item, where=f"{where} entry {index + 1}")
            out.append(item)
        elif isinstance(item, dict) and set(item) == {"include-group"} and isinstance(item["include-group"], str):
            out.append({"include-group": item["include-group"]})
        else:
            raise ConfigError(
                f'{where} entry {index + 1} must be a requirement string or {{include-group = "NAME"}}, not {item!r}'
            )
    return tuple(out)
