"""Read TOML files with errors that name the file and line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from corral.errors import ConfigError

__all__ = ["read_toml"]


def read_toml(path: Path) -> dict[str, Any]:
    """Parse `path`; a syntax error becomes a ConfigError naming file, line and column."""
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover - exercised on 3.9/3.10 hosts only
        import tomli as tomllib  # noqa: PLC0415
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror}"
        raise ConfigError(msg) from err
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        msg = f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8"
        raise ConfigError(msg) from err
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: invalid TOML: {err}; fix the file and run the command again"
        raise ConfigError(msg) from err
