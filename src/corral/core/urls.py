"""URLs as corral records them: never with credentials in them.

Stdlib only (urllib.parse).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["strip_credentials"]


def strip_credentials(url: str) -> str:
    """The URL without `user:password@` (credentials never enter a lock or a fingerprint)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
