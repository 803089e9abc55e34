"""The 64-bit FNV-1a hash that names corral's per-project and per-env records in its cache (stdlib only, cheap).

Not a digest against an adversary: it only spreads paths over file names, and each record holds its path and is
checked against it. The quick paths import this before anything else, so it imports nothing.
"""

from __future__ import annotations

__all__ = ["path_hash"]

_OFFSET = 0xCBF29CE484222325
_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF


def path_hash(path: str, *, prefix: bytes = b"") -> str:
    """16 hex digits: the FNV-1a of `prefix` and the path's bytes (UTF-8, undecodable bytes as they were)."""
    value = _OFFSET
    for byte in prefix + path.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * _PRIME) & _MASK
    return f"{value:016x}"
