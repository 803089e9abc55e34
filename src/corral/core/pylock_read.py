r"""A fast reader of the pylock.toml layout corral writes (`core.pylock_write.render_pylock`), or None.

tomllib reads a 1 MB lock in ~120 ms, most of a first sync's choice of files. corral's own locks use a small part
of TOML, always laid out the same way: comment lines, then `key = value` lines and the table headers
`[[packages]]`, `[[packages.wheels]]`, `[packages.sdist|archive|directory|vcs]` and `[tool.corral]`, with values
that are basic strings without escapes, plain integers, booleans, UTC date-times (`...Z`), arrays of those strings
or of one-level inline tables, and one-level inline tables. `read_canonical` reads exactly that, line by line, and
answers None at the first thing it does not know (an escape, a tab, a `\r`, other spacing, a comment after a
value, a dotted or quoted key, a redefined key or table, any other header...): the caller then parses with
tomllib, which reads or rejects it as before. Where it answers, the answer is what tomllib gives (same keys in the
same order, same values and types), which tests check on every lock the test suite and benchmarks write and on
hostile variants.

Stdlib only (re, datetime).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["read_canonical"]

_KEY = re.compile(r"[A-Za-z0-9_-]+")
_STRING = r'"[^"\\\x00-\x1f\x7f]*"'  # a basic string without escapes, tabs or control characters
_PLAIN_STRING = re.compile(_STRING)
_SHA256 = re.compile(r'\{ sha256 = "([0-9a-f]{64})" \}')
_INT = re.compile(r"0|[1-9][0-9]*")
_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z")
_SCALAR = rf"(?:{_STRING}|0|[1-9][0-9]*|true|false)"
_PAIR = rf"[A-Za-z0-9_-]+ = {_SCALAR}"
_INLINE = rf"\{{ {_PAIR}(?:, {_PAIR})* \}}|\{{\}}"
_INLINE_TABLE = re.compile(_INLINE)
_PAIRS = re.compile(rf"([A-Za-z0-9_-]+) = ({_SCALAR})")
_ARRAY = re.compile(rf"\[(?:(?:{_STRING}|{_INLINE})(?:, (?:{_STRING}|{_INLINE}))*)?\]")
_ITEMS = re.compile(rf"{_STRING}|{_INLINE}")
_SUBTABLES = {"[packages.sdist]": "sdist", "[packages.archive]": "archive", "[packages.directory]": "directory"}
_SUBTABLES["[packages.vcs]"] = "vcs"


class _NotCanonical(Exception):
    """Something corral's writer never writes: the caller parses with tomllib instead."""


def read_canonical(text: str) -> dict[str, Any] | None:
    """`tomllib.loads(text)` for a lock in corral's own layout; None for anything else (then ask tomllib)."""
    try:
        return _read(text)
    except (_NotCanonical, ValueError, OverflowError):  # ValueError: a date-time tomllib would refuse
        return None


def _read(text: str) -> dict[str, Any]:  # noqa: C901, PLR0912, PLR0915 - one loop over the lines, a branch per kind
    top: dict[str, Any] = {}
    table = top  # where `key = value` lines go
    packages: list[dict[str, Any]] | None = None  # the array [[packages]] headers append to
    package: dict[str, Any] | None = None
    wheels: list[dict[str, Any]] | None = None  # the current package's array its [[packages.wheels]] headers made
    header_seen = tool_seen = False
    keys: set[str] = set()
    times: dict[str, datetime] = {}
    string, sha256 = _PLAIN_STRING.fullmatch, _SHA256.fullmatch
    for line in text.split("\n"):
        if not line:
            continue
        first = line[0]
        if first == "[":
            if tool_seen:
                raise _NotCanonical
            header_seen = True
            if line == "[[packages.wheels]]":
                if package is None:
                    raise _NotCanonical
                if wheels is None:
                    if "wheels" in package:  # a `wheels = [...]` line: TOML cannot append to it
                        raise _NotCanonical
                    wheels = package["wheels"] = []
                table = {}
                wheels.append(table)
            elif line == "[[packages]]":
                if packages is None:
                    if "packages" in top:
                        raise _NotCanonical
                    packages = top["packages"] = []
                package = table = {}
                wheels = None
                packages.append(package)
            elif line in _SUBTABLES:
                key = _SUBTABLES[line]
                if package is None or key in package:
                    raise _NotCanonical
                table = package[key] = {}
            elif line == "[tool.corral]":
                if "tool" in top:
                    raise _NotCanonical
                tool_seen = True
                table = {}
                top["tool"] = {"corral": table}
            else:
                raise _NotCanonical
            continue
        if first == "#":
            if header_seen or top or not line.isprintable():
                raise _NotCanonical
            continue
        key, sep, raw = line.partition(" = ")
        if key not in keys:  # each distinct key is checked once
            if not sep or not _KEY.fullmatch(key):
                raise _NotCanonical
            keys.add(key)
        if key in table:
            raise _NotCanonical
        if raw[:1] == '"' and string(raw):  # most values: a name, a version, a URL
            table[key] = raw[1:-1]
        elif raw[:1] == "{" and (digest := sha256(raw)):  # then each file's hashes
            table[key] = {"sha256": digest[1]}
        elif raw in times:  # many files of one release were uploaded in the same second
            table[key] = times[raw]
        else:
            table[key] = value = _value(raw)
            if isinstance(value, datetime):
                times[raw] = value
    return top


def _value(raw: str) -> Any:  # noqa: ANN401, C901, PLR0911 - one branch per kind of value
    first = raw[:1]
    if first == '"':
        if _PLAIN_STRING.fullmatch(raw):
            return raw[1:-1]
    elif first == "[":
        if _ARRAY.fullmatch(raw):
            return [_item(item) for item in _ITEMS.findall(raw)]
    elif first == "{":
        if _INLINE_TABLE.fullmatch(raw):
            return _inline(raw)
    elif raw == "true":
        return True
    elif raw == "false":
        return False
    elif _INT.fullmatch(raw):
        return int(raw)
    else:
        found = _DATETIME.fullmatch(raw)
        if found:
            year, month, day, hour, minute, second, fraction = found.groups()
            micro = int(fraction.ljust(6, "0")) if fraction else 0
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=timezone.utc
            )
    raise _NotCanonical


def _item(raw: str) -> Any:  # noqa: ANN401 - a string or an inline table
    return raw[1:-1] if raw[0] == '"' else _inline(raw)


def _inline(raw: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, value in _PAIRS.findall(raw):
        if key in table:
            raise _NotCanonical
        table[key] = _scalar(value)
    return table


def _scalar(raw: str) -> Any:  # noqa: ANN401 - a string, an integer or a boolean
    if raw[0] == '"':
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    return int(raw)
