"""Read TOML files with errors that name the file and line.

The one place where a TOML file becomes data: whatever a file holds (bytes that are not UTF-8, a syntax error,
nesting 100 000 levels deep, a document too big for memory, a fifo or `/dev/zero` in its place), the caller
gets a dict or a ConfigError that names the file and says what to do, never a traceback or a hang.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from corral.errors import ConfigError
from corral.infra.safe_read import read_small

__all__ = ["decode_text", "parse_toml", "read_bytes", "read_text", "read_toml"]

# pyproject.toml is a few KB; a pylock.toml of a large project with every wheel's hash, a few MB.
_LIMIT = 64 << 20


def _tomllib() -> Any:  # noqa: ANN401 - tomllib or tomli
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli

    return tomli


def parse_toml(text: str, *, origin: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError naming `origin`, line and column."""
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
