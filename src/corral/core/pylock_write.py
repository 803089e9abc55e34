"""Build and render corral's multi-use PEP 751 pylock.toml, deterministically (same inputs -> same bytes).

uv exports one flattened package set per call; `merge_exports` folds the default set, one set per dependency group
and one per extra into a single list whose markers keep groups and extras selectable at install time:
a package reached by several selections gets the OR of `(selection term AND its environment marker)`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from corral.core.names import normalize_name
from corral.core.urls import strip_credentials

__all__ = [
    "LockDocument",
    "Selector",
    "document_data",
    "merge_exports",
    "package_identity",
    "render_pylock",
    "toml_document",
    "toml_string",
]

# (kind, name): ("default", ""), ("group", "dev"), ("extra", "fast")
Selector = tuple[str, str]
_SOURCE_KEYS = ("vcs", "directory", "archive")
_URL_KEYS = ("url",)


@dataclass(frozen=True, slots=True)
class LockDocument:
    """Everything a corral pylock.toml holds."""

    requires_python: str | None
    extras: Sequence[str]
    dependency_groups: Sequence[str]
    default_groups: Sequence[str]
    packages: Sequence[Mapping[str, Any]]
    inputs_hash: str
    # An environment-specific lock (the 2.7 locker) names where it holds, and says why in header comments.
    environments: Sequence[str] = ()
    notes: Sequence[str] = ()


def _term(selector: Selector) -> str | None:
    kind, name = selector
    if kind == "group":
        return f"'{name}' in dependency_groups"
    if kind == "extra":
        return f"'{name}' in extras"
    return None


def package_identity(package: Mapping[str, Any]) -> tuple[str, str, str]:
    """(normalized name, version, source): one locked package, whichever selection exported it."""
    for key in _SOURCE_KEYS:
        if key in package:
            value = package[key]
            return normalize_name(package["name"]), str(package.get("version", "")), f"{key}:{value!r}"
    return normalize_name(package["name"]), str(package.get("version", "")), "index"


def _clause(term: str | None, marker: str | None) -> str | None:
    parts = [p for p in (term, f"({marker})" if marker else None) if p]
    return " and ".join(parts) if parts else None


def merge_exports(
    exports: Iterable[tuple[Selector, Sequence[Mapping[str, Any]]]],
    dependencies: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """One package list from per-selection exports; markers carry group/extra terms; credentials stripped.

    A package is taken from the first export that has it; later ones add only their marker (with a selection term).
    """
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    clauses: dict[tuple[str, str, str], set[str | None]] = {}
    for selector, packages in exports:
        for package in packages:
            key = package_identity(package)
            if key not in merged:
                entry = {k: v for k, v in package.items() if k != "marker"}
                for wheel in entry.get("wheels", []):
                    if "name" not in wheel and isinstance(wheel.get("url"), str):
                        wheel["name"] = unquote(wheel["url"].rsplit("/", 1)[-1].split("#", 1)[0])
                merged[key] = _scrub(entry)
                clauses[key] = set()
            clauses[key].add(_clause(_term(selector), package.get("marker")))
    result = []
    normal: dict[str, str] = {}  # marker text -> its normal form: many packages share one selection's clauses
    for key in sorted(merged, key=lambda k: (k[0], _version_key(k[1]), k[2])):
        entry = merged[key]
        marker = _merged_marker(clauses[key], normal)
        if marker is not None:
            entry["marker"] = marker
        if dependencies and key[0] in dependencies and "dependencies" not in entry:
            names = sorted(set(dependencies[key[0]]))
            if names:
                entry["dependencies"] = [{"name": n} for n in names]
        result.append(entry)
    return result


def _merged_marker(found: set[str | None], normal: dict[str, str]) -> str | None:
    """The OR of a package's clauses, normalised (`normal` remembers each text's form); None: always installed."""
    if None in found:
        return None
    ordered = sorted(c for c in found if c is not None)
    text = ordered[0] if len(ordered) == 1 else " or ".join(f"({c})" for c in ordered)
    if text not in normal:
        from packaging.markers import Marker  # here: the temporary project is written before, uv lock starting sooner

        normal[text] = _quoted(str(Marker(text)))
    return normal[text]


def _quoted(marker: str) -> str:
    """Single-quoted marker values (as uv writes them), so the TOML string needs no escapes."""
    return marker.replace('"', "'") if "'" not in marker else marker


def _version_key(version: str) -> tuple[Any, ...]:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(version), version)
    except InvalidVersion:
        return (1, version, version)


_CREDENTIAL_KEYS = frozenset({"url", "index"})


def _scrub(value: Any, key: str = "") -> Any:  # noqa: ANN401 - TOML values are heterogeneous
    """A copy of `value` (tables and arrays copied) with credentials stripped from its `url` and `index` strings."""
    if isinstance(value, dict):
        return {k: _scrub(v, k) if _touched(v, k) else v for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, key) if _touched(v, key) else v for v in value]
    if isinstance(value, str) and key in _CREDENTIAL_KEYS and "@" in value:  # no "@": no credentials to strip
        return strip_credentials(value)
    return value


def _touched(value: Any, key: str) -> bool:  # noqa: ANN401 - TOML values are heterogeneous
    """`_scrub(value, key)` is not `value` itself: a table or array (copied), or a URL that may hold credentials."""
    return isinstance(value, (dict, list)) or (key in _CREDENTIAL_KEYS and isinstance(value, str) and "@" in value)


# ---------------------------------------------------------------- rendering

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ORDER = ("name", "version", "marker", "requires-python", "index")


_KEYS: dict[str, str] = {}  # a key as TOML writes it: a few distinct keys, written thousands of times


def _key(key: str) -> str:
    found = _KEYS.get(key)
    if found is None:
        found = key if _BARE_KEY.match(key) else toml_string(key)
        if len(_KEYS) < 1024:  # noqa: PLR2004 - a bound: keys come from the data (a pyproject's settings)
            _KEYS[key] = found
    return found


# What a TOML basic string must escape: the quote, the backslash, control characters (\t and \n by their short form).
_ESCAPES = {
    **{code: f"\\u{code:04x}" for code in (*range(0x20), 0x7F)},
    ord('"'): '\\"',
    ord("\\"): "\\\\",
    ord("\n"): "\\n",
    ord("\t"): "\\t",
}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    if ('"' not in text and "\\" not in text and text.isprintable()) or _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'  # almost every name, version, URL and hash: nothing to escape
    return f'"{text.translate(_ESCAPES)}"'


def _value(value: Any) -> str:  # noqa: ANN401, PLR0911 - one branch per TOML type
    if isinstance(value, str):  # the most common value first
        return toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # not in a pylock; a pyproject setting may hold one (toml_document)
        return repr(value)  # 1.5, 1e+20, inf, -inf, nan: each TOML as Python writes it
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    msg = f"cannot render {type(value).__name__} in pylock.toml"
    raise TypeError(msg)


_FILE_ORDER = ("name", "url", "path", "size", "upload-time", "hashes")


def _file_keys(table: Mapping[str, Any]) -> list[str]:
    return [k for k in _FILE_ORDER if k in table] + sorted(k for k in table if k not in _FILE_ORDER)


_UV_FILE_KEYS = frozenset({"name", "url", "size", "upload-time", "hashes"})


def _uv_file_lines(table: Mapping[str, Any]) -> list[str] | None:
    """The lines of a wheel as uv exports it (nearly every file of a lock), as the general path writes them; else None.

    The same text `_file_keys` and `_value` give (name, url, size, upload-time, hashes; one sha256), without their
    dispatch per value: a big stack's thousands of wheels were most of rendering its lock.
    """
    if table.keys() != _UV_FILE_KEYS:
        return None
    name, url, size, time, hashes = (table[k] for k in ("name", "url", "size", "upload-time", "hashes"))
    if not (
        type(name) is str
        and type(url) is str
        and type(size) is int
        and type(time) is dt.datetime
        and type(hashes) is dict
        and len(hashes) == 1
        and type(sha256 := hashes.get("sha256")) is str
    ):
        return None
    return [
        f"name = {toml_string(name)}",
        f"url = {toml_string(url)}",
        f"size = {size}",
        f"upload-time = {_value(time)}",
        f"hashes = {{ sha256 = {toml_string(sha256)} }}",
    ]


def _package_lines(package: Mapping[str, Any]) -> list[str]:
    lines = ["[[packages]]"]
    keys = [k for k in _ORDER if k in package] + sorted(k for k in package if k not in _ORDER)
    tables: list[str] = []
    for key in keys:
        value = package[key]
        is_table = key in {"sdist", *_SOURCE_KEYS} and isinstance(value, dict)
        if (key == "wheels" and isinstance(value, list)) or is_table:
            tables.append(key)
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key in tables:
        value = package[key]
        if key == "wheels":
            for wheel in value:
                lines += ["", "[[packages.wheels]]"]
                lines += _uv_file_lines(wheel) or [f"{_key(k)} = {_value(wheel[k])}" for k in _file_keys(wheel)]
        else:
            lines += ["", f"[packages.{key}]"] + [f"{_key(k)} = {_value(value[k])}" for k in _file_keys(value)]
    return lines


def render_pylock(doc: LockDocument) -> str:
    """The pylock.toml text: header, sorted packages, then [tool.corral] with the inputs hash."""
    lines = ["# This file is written by corral (`corral lock`); edit pyproject.toml instead."]
    lines += ["# " + " ".join(note.split()) for note in doc.notes]  # one comment line each, whatever the text
    lines += ['lock-version = "1.0"', 'created-by = "corral"']
    if doc.environments:
        lines.append(f"environments = {_value(list(doc.environments))}")
    if doc.requires_python:
        lines.append(f"requires-python = {toml_string(doc.requires_python)}")
    lines.append(f"extras = {_value(sorted(doc.extras))}")
    lines.append(f"dependency-groups = {_value(sorted(doc.dependency_groups))}")
    lines.append(f"default-groups = {_value(sorted(doc.default_groups))}")
    if not doc.packages:
        # PEP 751 requires the array; an empty lock must say "nothing", not omit it (uv >= 0.12 rejects that).
        lines.append("packages = []")
    for package in doc.packages:
        lines.append("")
        lines += _package_lines(package)
    lines += ["", "[tool.corral]", f"inputs-hash = {toml_string(doc.inputs_hash)}", ""]
    return "\n".join(lines)


def document_data(doc: LockDocument) -> dict[str, Any]:
    """What parsing `render_pylock(doc)` gives back (the same keys and values), without rendering and parsing."""
    data: dict[str, Any] = {"lock-version": "1.0", "created-by": "corral"}
    if doc.environments:
        data["environments"] = list(doc.environments)
    if doc.requires_python:
        data["requires-python"] = doc.requires_python
    data["extras"] = sorted(doc.extras)
    data["dependency-groups"] = sorted(doc.dependency_groups)
    data["default-groups"] = sorted(doc.default_groups)
    data["packages"] = [dict(package) for package in doc.packages]
    data["tool"] = {"corral": {"inputs-hash": doc.inputs_hash}}
    return data


def toml_document(doc: Mapping[str, Any]) -> str:
    """Parsed TOML data (tomllib's types) as TOML text: a table per nested table, everything below inline."""
    lines: list[str] = []

    def table(values: Mapping[str, Any], path: tuple[str, ...]) -> None:
        if path:
            lines.append("[" + ".".join(_key(part) for part in path) + "]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in values.items() if not isinstance(v, dict))
        for key, value in values.items():
            if isinstance(value, dict):
                table(value, (*path, key))

    table(doc, ())
    return "\n".join(lines) + "\n"
