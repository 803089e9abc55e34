r"""A fast reader of `uv export --format pylock.toml`'s layout, or None: then tomllib reads it.

`corral lock` parses one export per selection (the plain project, each group, each extra), about a megabyte of TOML
for a project with a documentation group, and tomllib took most of the time a lock spends after `uv lock` (~350 ms
of a 1.5 MB export set). uv writes a small part of TOML, always the same way: `key = value` lines, one
`[[packages]]` header per package, values that are basic strings without escapes, plain integers, booleans, UTC
date-times (`...Z`), one-line inline tables (a file: `{ url = "...", upload-time = ..., size = N, hashes = { sha256
= "..." } }`) and arrays of them, on one line or one item a line (`wheels = [` ... `]`). `read_export` and
`read_package` read exactly that and answer None at the first thing they do not know (an escape, a tab, a `\r`,
other spacing, a comment, a dotted or quoted key, a redefined key, any other header...): the caller then parses
with tomllib, which reads or rejects it as before. Where they answer, the answer is what tomllib gives (same keys
in the same order, same values and types), which tests check on real exports and on hostile variants.

Stdlib only (re, datetime).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["PACKAGE_HEADER", "read_export", "read_package"]

PACKAGE_HEADER = "\n[[packages]]\n"  # what separates the packages of an export (uv: a blank line, then the header)

_KEY = r"[A-Za-z0-9_-]+"
_STRING = r'"[^"\\\x00-\x1f\x7f]*"'  # a basic string without escapes, tabs or control characters
_DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z"
_SCALAR = rf"(?:{_STRING}|{_DATETIME}|0|[1-9][0-9]*|true|false)"
_INNER = rf"\{{ {_KEY} = {_STRING}(?:, {_KEY} = {_STRING})* \}}"  # a file's hashes: strings only
_PAIR = rf"{_KEY} = (?:{_SCALAR}|{_INNER})"
_INLINE = rf"\{{ {_PAIR}(?:, {_PAIR})* \}}|\{{\}}"

_KEY_RE = re.compile(_KEY)
_PLAIN_STRING = re.compile(_STRING)
_INT = re.compile(r"0|[1-9][0-9]*")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z",
)
# uv's file table, by far the most common value (alone, alone in `wheels = [...]`, or as a line of `wheels = [`):
# read with one match; the other shapes' patterns are compiled at their first use (~25 ms of compiling otherwise)
_FILE_TABLE = (
    rf'\{{ url = "([^"\\\x00-\x1f\x7f]*)", upload-time = ({_DATETIME}), size = (0|[1-9][0-9]*), '
    r'hashes = \{ sha256 = "([0-9a-f]{64})" \} \}'
)
_FILE = re.compile(_FILE_TABLE)
_FILE_LINE = re.compile(rf"    {_FILE_TABLE},")
_ONE_FILE = re.compile(rf"\[{_FILE_TABLE}\]")
_RARE = {
    "inline": _INLINE,
    "pairs": rf"({_KEY}) = ({_SCALAR}|{_INNER})",
    "inner_pairs": rf"({_KEY}) = ({_STRING})",
    "array": rf"\[(?:(?:{_STRING}|{_INLINE})(?:, (?:{_STRING}|{_INLINE}))*)?\]",
    "items": rf"{_STRING}|{_INLINE}",
    "item_line": rf"    ({_STRING}|{_INLINE}),",  # one item of an array written one item a line
}
_COMPILED: dict[str, re.Pattern[str]] = {}
_TIMES: dict[str, datetime] = {}  # date-times read (many files of a release share a second; exports repeat files)
_TIMES_KEEP = 1 << 16


def _rare(name: str) -> re.Pattern[str]:
    found = _COMPILED.get(name)
    if found is None:
        found = _COMPILED[name] = re.compile(_RARE[name])
    return found


class _NotUvLayout(Exception):
    """Something uv's exporter does not write: the caller parses with tomllib instead."""


def read_export(text: str) -> dict[str, Any] | None:
    """`tomllib.loads(text)` for an export in uv's layout; None for anything else (then ask tomllib)."""
    head, *entries = text.split(PACKAGE_HEADER)
    top = read_package(head)
    if top is None or (entries and "packages" in top):  # `packages = []` when nothing is exported
        return None
    if entries:
        packages = []
        for entry in entries:
            package = read_package(entry)
            if package is None:
                return None
            packages.append(package)
        top["packages"] = packages
    return top


def read_package(text: str) -> dict[str, Any] | None:
    """The table of `key = value` lines (one `[[packages]]` entry's, or an export's head); None: ask tomllib."""
    try:
        return _read(text.split("\n"))
    except (_NotUvLayout, ValueError, OverflowError):  # ValueError: a date-time tomllib would refuse
        return None


def _read(lines: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    times = _TIMES
    if len(times) > _TIMES_KEEP:
        times.clear()
    items: list[Any] | None = None  # the array being read one item a line
    for line in lines:
        if items is not None:
            if line == "]":
                items = None
            else:
                items.append(_item_line(line, times))
            continue
        if not line:
            continue
        key, sep, raw = line.partition(" = ")
        if not sep or key in table or not _KEY_RE.fullmatch(key):
            raise _NotUvLayout
        if raw == "[":
            items = table[key] = []
        else:
            table[key] = _value(raw, times)
    if items is not None:
        raise _NotUvLayout  # an array left open
    return table


def _item_line(line: str, times: dict[str, datetime]) -> Any:  # noqa: ANN401 - a string or an inline table
    """One line of an array written one item a line: four spaces, the item, a comma."""
    file = _FILE_LINE.fullmatch(line)
    if file is not None:
        return _file(file, times)
    found = _rare("item_line").fullmatch(line)
    if found is None:
        raise _NotUvLayout
    return _item(found[1], times)


def _value(raw: str, times: dict[str, datetime]) -> Any:  # noqa: ANN401, PLR0911 - one branch per kind of value
    first = raw[:1]
    if first == '"':
        if _PLAIN_STRING.fullmatch(raw):
            return raw[1:-1]
    elif first == "{":
        return _inline(raw, times)
    elif first == "[":
        file = _ONE_FILE.fullmatch(raw)
        if file is not None:
            return [_file(file, times)]
        if _rare("array").fullmatch(raw):
            return [_item(item, times) for item in _rare("items").findall(raw)]
    elif raw == "true":
        return True
    elif raw == "false":
        return False
    elif _INT.fullmatch(raw):
        return int(raw)
    else:
        return _datetime(raw, times)
    raise _NotUvLayout


def _item(raw: str, times: dict[str, datetime]) -> Any:  # noqa: ANN401 - a string or an inline table
    return raw[1:-1] if raw[0] == '"' else _inline(raw, times)


def _inline(raw: str, times: dict[str, datetime]) -> dict[str, Any]:
    found = _FILE.fullmatch(raw)
    if found is not None:
        return _file(found, times)
    if not _rare("inline").fullmatch(raw):
        raise _NotUvLayout
    table: dict[str, Any] = {}
    for key, value in _rare("pairs").findall(raw):
        if key in table:
            raise _NotUvLayout
        table[key] = _inner(value) if value[0] == "{" else _scalar(value, times)
    return table


def _file(found: re.Match[str], times: dict[str, datetime]) -> dict[str, Any]:
    url, when, size, sha256 = found.groups()
    return {"url": url, "upload-time": _datetime(when, times), "size": int(size), "hashes": {"sha256": sha256}}


def _inner(raw: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for key, value in _rare("inner_pairs").findall(raw):
        if key in table:
            raise _NotUvLayout
        table[key] = value[1:-1]
    return table


def _scalar(raw: str, times: dict[str, datetime]) -> Any:  # noqa: ANN401 - a string, integer, boolean or date-time
    if raw[0] == '"':
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.fullmatch(raw):
        return int(raw)
    return _datetime(raw, times)


def _datetime(raw: str, times: dict[str, datetime]) -> datetime:
    """A UTC date-time as tomllib reads it (many files of one release share a second: read once)."""
    known = times.get(raw)
    if known is not None:
        return known
    found = _DATETIME_RE.fullmatch(raw)
    if found is None:
        raise _NotUvLayout
    year, month, day, hour, minute, second, fraction = found.groups()
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=timezone.utc)
    times[raw] = value
    return value
