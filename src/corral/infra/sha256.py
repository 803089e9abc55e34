"""The SHA-256 of bytes, in hex, without loading OpenSSL: the paths that run before uv starts import only os.

hashlib's first import loads OpenSSL (2-15 ms on a loaded machine); CPython's own `_sha2` (3.12+; `_sha256` before)
gives the same digest. hashlib when neither is built.
"""

from __future__ import annotations

__all__ = ["hexdigest"]


def hexdigest(data: bytes) -> str:
    """The SHA-256 of `data` as 64 lowercase hex digits (hashlib.sha256(data).hexdigest())."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found, no-redef, unused-ignore]  # 3.11 and older
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment, unused-ignore]
    return str(sha256(data).hexdigest())
