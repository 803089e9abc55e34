"""Read TOML files with errors that name the file and line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from corral.errors import ConfigError

__all__ = ["parse_toml", "read_toml"]


def _tomllib() -> Any:  # noqa: ANN401 - tomllib or tomli
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415

        return tomllib
    import tomli  # noqa: PLC0415 - exercised on 3.9/3.10 hosts only

    return tomli


def parse_toml(text: str, *, origin: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError naming `origin`, line and column."""
    lib = _tomllib()
    try:
        return dict(lib.loads(text))
    except lib.TOMLDecodeError as err:
        msg = f"{origin}: invalid TOML: {err}; fix the file and run the command again"
        raise ConfigError(msg) from err


def read_toml(path: Path) -> dict[str, Any]:
    """Parse `path`; a syntax error becomes a ConfigError naming file, line and column."""
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror}"
        raise ConfigError(msg) from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        msg = f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8"
        raise ConfigError(msg) from err
    return parse_toml(text, origin=str(path))
