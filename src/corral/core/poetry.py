"""Poetry's `[tool.poetry]` dependency declarations as PEP 508 / PEP 440 / PEP 735 values (pure).

Poetry writes constraints its own way: `^1.2` (up to the next major), `~1.2` (up to the next minor), bare `1.2`
(exactly), `1.2.*`, `||` (either), and dependency tables with `python`, `markers`, `extras`, `optional`, `git`,
`url`, `path`, `source`. The rules below follow poetry-core's own (its `next_breaking` upper bounds keep the number of
release segments: `^2.13.0` is `>=2.13.0,<3.0.0`, as poetry-core writes it into a wheel's Requires-Dist).
What PEP 508 cannot express (an `||` on a package's version, a relative path) raises `Unconvertible`; what only
Poetry's installer uses (`source`, `allow-prereleases`, `develop`) is dropped and reported in `notes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.version import InvalidVersion, Version

from corral.core.names import normalize_name

__all__ = ["PoetryDeps", "Unconvertible", "convert_poetry", "python_marker", "to_specifier"]

_BASIC = re.compile(r"^(<>|!=|>=|<=|===|==|=|>|<|~=)?\s*v?([0-9][^\s,]*)$")
_AND_SPLIT = re.compile(r"(?<!^)(?<![\^~=>< ,]) *(?<!-)[, ](?!-) *(?!,|$)")  # poetry-core's own split
_WILDCARD = re.compile(r"^(?:[xX*])(?:\.[xX*])*$")
_INSTALLER_ONLY = ("source", "allow-prereleases", "allows-prereleases", "develop")


class Unconvertible(ValueError):
    """A Poetry declaration PEP 508 cannot express; the message says which and why."""


@dataclass
class PoetryDeps:
    """[tool.poetry] declarations in standard form: what goes to [project] and [dependency-groups]."""

    requires_python: str | None = None
    dependencies: list[str] = field(default_factory=list)
    optional: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[Any]] = field(default_factory=dict)
    optional_groups: list[str] = field(default_factory=list)
    group_origins: dict[str, str] = field(default_factory=dict)  # group -> the Poetry table(s) it came from
    notes: list[str] = field(default_factory=list)


def _bump(release: tuple[int, ...], index: int, precision: int) -> str:
    """The release with segment `index` raised by one and later segments zeroed, keeping `precision` segments."""
    parts = list(release) + [0] * max(0, precision - len(release))
    parts = [*parts[:index], parts[index] + 1, *([0] * (len(parts) - index - 1))]
    return ".".join(str(p) for p in parts[: max(precision, index + 1)])


def _caret(text: str) -> str:
    version = Version(text)
    release, precision = version.release, len(text.split("+", 1)[0].split("-", 1)[0].split("."))
    precision = min(precision, len(release)) or 1
    major, minor = release[0], release[1] if len(release) > 1 else None
    if major > 0 or precision == 1:
        upper = _bump(release, 0, precision)
    elif (minor or 0) > 0 or precision == 2:  # noqa: PLR2004 - two release segments: 0.N
        upper = _bump(release, 1, precision)
    else:
        upper = _bump(release, 2, precision)
    return f">={text},<{upper}"


def _tilde(text: str) -> str:
    release = Version(text).release
    precision = len(release)
    upper = _bump(release, 0, precision) if precision == 1 else _bump(release, 1, precision)
    return f">={text},<{upper}"


def _single(term: str, whole: str) -> str:
    term = term.strip()
    try:
        if term.startswith("^"):
            return _caret(term[1:].strip())
        if term.startswith("~") and not term.startswith("~="):
            return _tilde(term[1:].strip())
    except InvalidVersion as err:
        raise Unconvertible(f"{whole!r} is not a Poetry version constraint") from err
    if _WILDCARD.match(term):
        return ""
    match = _BASIC.match(term)
    if match is None:
        raise Unconvertible(f"{whole!r} is not a Poetry version constraint")
    op, version = match.group(1) or "==", match.group(2)
    op = {"=": "==", "<>": "!="}.get(op, op)
    if version.endswith(".*") and op not in ("==", "!="):
        raise Unconvertible(f"{whole!r}: a wildcard needs == or !=")
    return f"{op}{version}"


def to_specifier(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier set ("" for any version); `||` is Unconvertible."""
    text = constraint.strip()
    if "|" in text:
        raise Unconvertible(f"{constraint!r} allows either of two ranges, which a PEP 440 specifier cannot say")
    if text in ("", "*"):
        return ""
    terms = [_single(t, constraint) for t in _AND_SPLIT.split(text.rstrip(",").rstrip())]
    return ",".join(t for t in terms if t)


def python_marker(constraint: str) -> str:
    """A Poetry `python` constraint as a PEP 508 marker ("" for any Python); `||` becomes `or`."""
    alternatives = []
    for part in re.split(r"\s*\|\|?\s*", constraint.strip()):
        terms = []
        for spec in filter(None, to_specifier(part).split(",")):
            op, version = re.match(r"^(===|==|!=|~=|>=|<=|>|<)(.+)$", spec).groups()  # type: ignore[union-attr]  # to_specifier wrote it
            variable = "python_full_version" if version.count(".") >= 2 else "python_version"  # noqa: PLR2004
            terms.append(f'{variable} {op} "{version}"')
        if not terms:
            return ""
        alternatives.append(" and ".join(terms))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" if " and " in a else a for a in alternatives)


def _join_markers(*markers: str) -> str:
    present = [m for m in markers if m]
    if len(present) <= 1:
        return present[0] if present else ""
    return " and ".join(f"({m})" if " or " in m else m for m in present)


def _requirement(name: str, value: object, *, where: str, notes: list[str]) -> tuple[list[str], bool]:
    """([PEP 508 strings], optional?) for one `[tool.poetry.dependencies]` entry (a list of tables: one each)."""
    if isinstance(value, list):
        pairs = [_requirement(name, item, where=where, notes=notes) for item in value]
        return [text for texts, _ in pairs for text in texts], any(optional for _, optional in pairs)
    if isinstance(value, str):
        return [name + to_specifier(value)], False
    if not isinstance(value, Mapping):
        raise Unconvertible(f"{where}.{name} must be a string or a table, not {type(value).__name__}")
    notes += [
        f"{where}.{name}: {key} = {value[key]!r} dropped (only Poetry's installer reads it)"
        for key in _INSTALLER_ONLY
        if key in value
    ]
    extras = value.get("extras") or []
    head = name + (f"[{','.join(extras)}]" if extras else "") + _source(name, value, where)
    platform = f'sys_platform == "{value["platform"]}"' if value.get("platform") else ""
    marker = _join_markers(
        python_marker(str(value["python"])) if "python" in value else "", str(value.get("markers", "")), platform
    )
    spaced = " " if "@" in head else ""
    return [head + (f"{spaced}; {marker}" if marker else "")], bool(value.get("optional", False))


def _source(name: str, value: Mapping[str, Any], where: str) -> str:
    """The version specifier, or ` @ URL` for a git or URL dependency."""
    if "path" in value:
        raise Unconvertible(
            f"{where}.{name} is a path dependency, which a PEP 508 requirement can only spell as "
            "an absolute file:// URL"
        )
    if "git" in value:
        ref = value.get("rev") or value.get("tag") or value.get("branch")
        url = f"git+{value['git']}" + (f"@{ref}" if ref else "")
        if value.get("subdirectory"):
            url += f"#subdirectory={value['subdirectory']}"
        return f" @ {url}"
    if "url" in value:
        return f" @ {value['url']}"
    return to_specifier(str(value.get("version", "*")))


def _table(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unconvertible(f"{where} must be a table")
    return value


def _convert_each(
    deps: Mapping[str, Any], where: str, notes: list[str], problems: list[str]
) -> list[tuple[str, list[str], bool]]:
    """(name, requirements, optional?) of every entry but `python`; what cannot be converted goes to `problems`."""
    out = []
    for name, value in deps.items():
        if name.lower() == "python":
            continue
        try:
            texts, optional = _requirement(name, value, where=where, notes=notes)
        except Unconvertible as err:  # collect every problem, report them together
            problems.append(str(err))
            continue
        out.append((name, texts, optional))
    return out


def _main(poetry: Mapping[str, Any], result: PoetryDeps, problems: list[str]) -> None:
    """[tool.poetry.dependencies] and [tool.poetry.extras] into requires-python, dependencies and extras."""
    main = _table(poetry.get("dependencies"), "[tool.poetry.dependencies]")
    if isinstance(main.get("python"), str):
        result.requires_python = to_specifier(main["python"]) or None
    optional_by_name: dict[str, list[str]] = {}
    for name, texts, optional in _convert_each(main, "[tool.poetry.dependencies]", result.notes, problems):
        if optional:
            optional_by_name[normalize_name(name)] = texts
        else:
            result.dependencies += texts
    used: set[str] = set()
    for extra, names in _table(poetry.get("extras"), "[tool.poetry.extras]").items():
        result.optional[extra] = []
        for raw in names:
            key = normalize_name(re.split(r"[\[\s;<>=!~]", str(raw), maxsplit=1)[0])
            if key not in optional_by_name:
                problems.append(f"[tool.poetry.extras].{extra} names {raw!r}, which is no optional dependency")
                continue
            used.add(key)
            result.optional[extra] += optional_by_name[key]
    result.notes += [
        f"[tool.poetry.dependencies].{key} is optional but in no extra: dropped (Poetry ignores it as well)"
        for key in sorted(set(optional_by_name) - used)
    ]


def _groups(poetry: Mapping[str, Any], result: PoetryDeps, problems: list[str]) -> None:
    """[tool.poetry.dev-dependencies] (the `dev` group) and [tool.poetry.group.NAME] into PEP 735 groups."""
    dev = _table(poetry.get("dev-dependencies"), "[tool.poetry.dev-dependencies]")
    if dev:
        converted = _convert_each(dev, "[tool.poetry.dev-dependencies]", result.notes, problems)
        result.groups["dev"] = [text for _, texts, _ in converted for text in texts]
        result.group_origins["dev"] = "[tool.poetry.dev-dependencies]"
    for name, table in _table(poetry.get("group"), "[tool.poetry.group]").items():
        where = f"[tool.poetry.group.{name}]"
        group = _table(table, where)
        entries: list[Any] = [{"include-group": g} for g in group.get("include-groups", [])]
        converted = _convert_each(
            _table(group.get("dependencies"), f"{where}.dependencies"), f"{where}.dependencies", result.notes, problems
        )
        entries += [text for _, texts, _ in converted for text in texts]
        key = "dev" if normalize_name(name) == "dev" else name
        result.groups[key] = [*result.groups.get(key, []), *entries]
        result.group_origins[key] = " and ".join(filter(None, (result.group_origins.get(key), where)))
        if group.get("optional"):
            result.optional_groups.append(key)


def convert_poetry(poetry: Mapping[str, Any]) -> PoetryDeps:
    """Every dependency declaration of a `[tool.poetry]` table, converted; Unconvertible lists every problem."""
    result, problems = PoetryDeps(), list[str]()
    _main(poetry, result, problems)
    _groups(poetry, result, problems)
    if problems:
        raise Unconvertible("; ".join(problems))
    return result
