"""URLs as corral records them: never with credentials in them.

Stdlib only (urllib.parse).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["redacted", "strip_credentials"]


def strip_credentials(url: str) -> str:
    """The URL without `user:password@` (credentials never enter a lock or a fingerprint)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def redacted(text: str) -> str:
    """`text` with the user part of every URL in it (`https://__token__:SECRET@host`) shown as `****`.

    For what corral prints of another program's words (a build backend may print its environment, where the index
    URLs are): `git@` (ssh's user, no secret) is left.
    """
    if "://" not in text or "@" not in text:
        return text
    import re

    return re.sub(r"\b([A-Za-z][A-Za-z0-9+.-]*://)(?!git@)[^\s/?#@'\"`]+@", r"\1****@", text)
