"""The SHA-256 of bytes, in hex, without loading OpenSSL for it: the paths before uv starts import only os.

hashlib's first import loads OpenSSL (2-15 ms on a loaded machine, more than hashing a small file); CPython's own
`_sha2` (3.12+; `_sha256` before) gives the same digest, ~2.5x slower per byte. So hashlib once it is loaded anyway
or for large data (a 400 KB lock: 8.5 ms with `_sha2`, 3.3 ms with OpenSSL here), else `_sha2`.
"""

from __future__ import annotations

import sys

__all__ = ["hexdigest"]

_LARGE = 1 << 18  # from here on, loading OpenSSL costs less than hashing without it


def hexdigest(data: bytes) -> str:
    """The SHA-256 of `data` as 64 lowercase hex digits (hashlib.sha256(data).hexdigest())."""
    if "hashlib" not in sys.modules and len(data) < _LARGE:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # CPython 3.12+
        except ImportError:
            try:
                from _sha256 import sha256  # type: ignore[import-not-found, no-redef, unused-ignore]  # 3.11 and older
            except ImportError:
                from hashlib import sha256  # type: ignore[assignment, unused-ignore]
        return str(sha256(data).hexdigest())
    import hashlib

    return hashlib.sha256(data).hexdigest()
