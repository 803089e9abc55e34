"""Read TOML files with errors that name the file and line.

The one place where a TOML file becomes data: whatever a file holds (bytes that are not UTF-8, a syntax error,
nesting 100 000 levels deep, a document too big for memory, a fifo or `/dev/zero` in its place), the caller
gets a dict or a ConfigError that names the file and says what to do, never a traceback or a hang.

A small text (a pyproject.toml, a lock's header: up to `_REMEMBER_MAX`) that parsed is remembered parsed in
corral's cache (`<cache>/toml-parsed/<sha256>.json`, keyed by the parser and the exact text; only documents JSON
holds exactly: no dates or times), so the next command with the same text reads JSON instead of importing tomllib
(~8 ms at start-up, most of it its regular expressions). A changed text is another key; an entry that is not one
corral wrote for that key is ignored and parsed again. Text that does not parse is never remembered.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from corral.errors import ConfigError
from corral.infra.safe_read import read_small

__all__ = ["REMEMBERED_FOLDER", "decode_text", "parse_toml", "read_bytes", "read_text", "read_toml"]

# pyproject.toml is a few KB; a pylock.toml of a large project with every wheel's hash, a few MB.
_LIMIT = 64 << 20
REMEMBERED_FOLDER = "toml-parsed"  # in corral's cache
_REMEMBER_MAX = 64 << 10  # a pyproject or a lock's header; a whole lock is read by core.pylock_read instead
_RECORD = 1  # the layout of a remembered parse


def _tomllib() -> Any:  # noqa: ANN401 - tomllib or tomli
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli

    return tomli


def _parser() -> str:
    """Which parser reads TOML here (a remembered parse is another parser's answer for nobody else)."""
    return f"tomllib-{sys.version_info[0]}.{sys.version_info[1]}" if sys.version_info >= (3, 11) else "tomli"


def _remembered_path(text: str) -> Path | None:
    """Where the parse of `text` is remembered; None for a text too big to remember or without corral's cache."""
    if len(text) > _REMEMBER_MAX:
        return None
    import hashlib

    from corral.infra.paths import CorralPaths

    try:
        cache = CorralPaths.from_environment().cache
    except (RuntimeError, OSError, ValueError):  # platformdirs finds no home folder: nothing to remember in
        return None
    key = hashlib.sha256(f"{_parser()}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return cache / REMEMBERED_FOLDER / f"{key}.json"


def _recall(path: Path) -> dict[str, Any] | None:
    from corral.infra.json_file import read_json_cache

    record = read_json_cache(path, follow=False)  # corral writes it, never as a link
    data = record.get("data") if record is not None else None
    if (
        record is None
        or record.get("record") != _RECORD
        or record.get("key") != path.stem
        or not isinstance(data, dict)
    ):
        return None
    return data


def _json_exact(value: object) -> bool:
    """`value` comes back from JSON as it is: tables, arrays, strings, numbers and booleans (no dates or times)."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _json_exact(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_json_exact(item) for item in value)
    return isinstance(value, (str, int, float))  # bool is an int


def _remember(path: Path, data: dict[str, Any]) -> None:
    import json

    from corral.infra.fs import atomic_write_text

    try:
        if not _json_exact(data):
            return
        text = json.dumps({"record": _RECORD, "key": path.stem, "data": data})
        atomic_write_text(path, text)
    except (OSError, RecursionError, ValueError):  # a cache only: an unwritable or odd one is no error
        return


def parse_toml(text: str, *, origin: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError naming `origin`, line and column."""
    remembered = _remembered_path(text)
    if remembered is not None:
        data = _recall(remembered)
        if data is not None:
            return data
    data = _parse(text, origin=origin)
    if remembered is not None:
        _remember(remembered, data)
    return data


def _parse(text: str, *, origin: str) -> dict[str, Any]:
    lib = _tomllib()
    try:
        return dict(lib.loads(text))
    except lib.TOMLDecodeError as err:
        msg = f"{origin}: invalid TOML: {err}; fix the file and run the command again"
        raise ConfigError(msg) from err
    except (RecursionError, MemoryError) as err:
        what = "nested too deeply" if isinstance(err, RecursionError) else "too large"
        msg = f"{origin}: the TOML is {what} to read; fix the file (or restore it from version control)"
        raise ConfigError(msg) from None


def decode_text(data: bytes, *, origin: str) -> str:
    """`data` decoded as UTF-8; ConfigError naming `origin` and the line when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        msg = (
            f"{origin}: not UTF-8 text ({err.reason} at line {line}, byte {err.start}); "
            "save it as UTF-8 and run the command again"
        )
        raise ConfigError(msg) from err


def read_bytes(path: Path) -> bytes:
    """The bytes of `path`; ConfigError naming the file when it is unreadable, not a regular file, or huge."""
    try:
        return read_small(path, limit=_LIMIT, what=path.name)
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror}"
        raise ConfigError(msg) from err


def read_text(path: Path) -> str:
    """`path` decoded as UTF-8; ConfigError naming the file when it is unreadable, not a file, or not UTF-8."""
    return decode_text(read_bytes(path), origin=str(path))


def read_toml(path: Path) -> dict[str, Any]:
    """Parse `path`; a syntax error becomes a ConfigError naming file, line and column."""
    return parse_toml(read_text(path), origin=str(path))
