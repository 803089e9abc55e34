"""Read the JSON records corral keeps in envs and kernel folders (corral-env.json, corral-sync.json, kernel.json).

The one place where such a file becomes data. Those files sit inside folders a repository can ship, so they
are untrusted: whatever they hold (not UTF-8, not JSON, nested too deep, a list instead of an object), the
caller gets a dict, or a ConfigError naming the file (`read_json_object`), or None for a record that is only
a cache (`read_json_cache`), never a traceback. A fifo, a device or a file of gigabytes in its place is an
OSError from `infra.safe_read` (never a hang). Stdlib only, and corral.errors is imported only to raise: the
no-op sync path reads corral-sync.json through this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from corral.infra.safe_read import read_small

__all__ = ["parse_json_object", "read_json_cache", "read_json_object"]

# corral's records are a few KB; a sync stamp lists every distribution's folder name (thousands at most).
_LIMIT = 16 << 20


def _decode(data: str | bytes) -> tuple[dict[str, Any] | None, str]:
    """(the object, "") or (None, why it is not one)."""
    try:
        value = json.loads(data)
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 text ({err.reason} at byte {err.start})"
    except json.JSONDecodeError as err:
        return None, f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
    except (RecursionError, MemoryError, ValueError) as err:
        return None, f"not a JSON record corral can read ({type(err).__name__})"
    if not isinstance(value, dict):
        return None, f"must hold a JSON object, not {type(value).__name__}"
    return value, ""


def parse_json_object(data: str | bytes, *, origin: str) -> dict[str, Any]:
    """`data` parsed as one JSON object; ConfigError naming `origin` (and the line) otherwise."""
    value, why = _decode(data)
    if value is None:
        from corral.errors import ConfigError

        msg = f"{origin}: {why}; delete or repair the file"
        raise ConfigError(msg)
    return value


def read_json_object(path: Path, *, follow: bool = True) -> dict[str, Any]:
    """The JSON object in `path`; OSError when it cannot be read, ConfigError when it is not a JSON object.

    `follow=False` for a record only corral writes (never a link: corral-env.json, corral-sync.json).
    """
    return parse_json_object(read_small(path, limit=_LIMIT, what=path.name, follow=follow), origin=str(path))


def read_json_cache(path: Path, *, follow: bool = True) -> dict[str, Any] | None:
    """The JSON object in `path`, None when it is missing, unreadable or damaged (a cache that is simply redone)."""
    try:
        data = read_small(path, limit=_LIMIT, what=path.name, follow=follow)
    except OSError:
        return None
    return _decode(data)[0]
