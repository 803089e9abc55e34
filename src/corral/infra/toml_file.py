"""Read TOML files with errors that name the file and line.

The one place where a TOML file becomes data: whatever a file holds (bytes that are not UTF-8, a syntax error,
nesting 100 000 levels deep, a document too big for memory, a fifo or `/dev/zero` in its place), the caller
gets a dict or a ConfigError that names the file and says what to do, never a traceback or a hang.

A process parses a given document once: `parse_toml` keeps the last few documents it parsed, keyed by their
whole text (content identity: an edit, even one that keeps the file's size and mtime, is another key), and hands
each caller its own copy of the tables and arrays. A sync reads pyproject.toml in five places; tomllib takes
~0.6 s of CPU per MB of it.
"""

from __future__ import annotations

import _thread
import sys
from pathlib import Path
from typing import Any

from corral.errors import ConfigError
from corral.infra.safe_read import TooLarge, read_small

__all__ = ["PYPROJECT_LIMIT", "decode_text", "parse_toml", "read_bytes", "read_text", "read_toml"]

# A pylock.toml of a large project with every wheel's hash: a few MB.
_LIMIT = 64 << 20
# pyproject.toml declares a project: a few kB. The largest real ones found (2026-12): getsentry/sentry 106 kB (its
# mypy overrides), apache/airflow 88 kB, home-assistant/core and PostHog 43 kB, pandas 23 kB. 1 MiB is ten times
# the largest; within it a parse stays under ~1.6 s of CPU (tomllib, worst shapes measured) and an edit (tomlkit,
# ~10x slower) within a minute, where 58 MB ran past 300 s.
PYPROJECT_LIMIT = 1 << 20
_PYPROJECT = "pyproject.toml"
# What one command reads again: pyproject.toml before and after an edit, the user's config.toml, the locks a sync
# or an edit writes and reads (small ones must not push a big pyproject out: `add` read it twice more).
_MEMO_ENTRIES = 16
_MEMO_CHARS = 4 * PYPROJECT_LIMIT  # the documents held, together
_MEMO_MAX_CHARS = PYPROJECT_LIMIT  # a bigger document (a lock of many MB) is parsed each time, never held
_MEMO: dict[str, dict[str, Any]] = {}  # text -> its parse, never handed out itself (callers get `_copied`)
_MEMO_LOCK = _thread.allocate_lock()  # a lock's helper thread parses uv's output while the main thread reads too


def _tomllib() -> Any:  # noqa: ANN401 - tomllib or tomli
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli

    return tomli


def parse_toml(text: str, *, origin: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError naming `origin`, line and column.

    The caller's own copy: mutating it changes nothing another caller sees. The same text again in this process
    is not parsed again (the memo above).
    """
    known = _MEMO.get(text)
    if known is not None:
        copy: dict[str, Any] = _copied(known)
        return copy
    data = _parsed(text, origin=origin)
    if len(text) > _MEMO_MAX_CHARS:
        return data
    try:
        mine: dict[str, Any] = _copied(data)
    except RecursionError:  # nested near the interpreter's limit (tomllib's frames per level are more): not kept
        return data
    with _MEMO_LOCK:
        _MEMO[text] = data
        while len(_MEMO) > _MEMO_ENTRIES or sum(map(len, _MEMO)) > _MEMO_CHARS:
            del _MEMO[next(iter(_MEMO))]  # the oldest
    return mine


def _parsed(text: str, *, origin: str) -> dict[str, Any]:
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


def _copied(value: Any) -> Any:  # noqa: ANN401 - any TOML value
    """`value` with fresh tables and arrays; strings, numbers and dates are immutable and shared."""
    kind = type(value)
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    return value


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
    """The bytes of `path`; ConfigError naming the file when it is unreadable, not a regular file, or huge.

    A pyproject.toml may hold `PYPROJECT_LIMIT` bytes, any other TOML file 64 MiB.
    """
    pyproject = path.name == _PYPROJECT
    try:
        return read_small(path, limit=PYPROJECT_LIMIT if pyproject else _LIMIT, what=path.name)
    except TooLarge as err:
        if not pyproject:
            raise ConfigError(f"cannot read {path}: {err.strerror}") from err
        msg = (
            f"{path} is {err.size / (1 << 20):.1f} MiB ({err.size} bytes), over corral's {err.limit >> 20} MiB "
            "limit for a pyproject.toml (real ones stay under ~100 kB); move bulky data out of it into files of "
            "its own (or restore it from version control) and run the command again"
        )
        raise ConfigError(msg) from None
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror}"
        raise ConfigError(msg) from err


def read_text(path: Path) -> str:
    """`path` decoded as UTF-8; ConfigError naming the file when it is unreadable, not a file, or not UTF-8."""
    return decode_text(read_bytes(path), origin=str(path))


def read_toml(path: Path) -> dict[str, Any]:
    """Parse `path`; a syntax error becomes a ConfigError naming file, line and column."""
    return parse_toml(read_text(path), origin=str(path))
