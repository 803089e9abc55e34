"""One question to a PEP 503 package index: does it list a project? (stdlib only; one request, short timeout)."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Final

__all__ = ["TIMEOUT", "lists_project"]

TIMEOUT: Final = 1.5  # seconds: `corral init` must stay fast when the index is slow or unreachable


def lists_project(index_url: str, normalized_name: str, *, timeout: float = TIMEOUT) -> bool:
    """True when `index_url` answers 200 for the project's page; False on 404, on any error or when no answer comes.

    Only http(s) indexes are asked (a `file://` index is not a network one and is left alone).
    """
    if not index_url.startswith(("https://", "http://")):
        return False
    url = f"{index_url.rstrip('/')}/{normalized_name}/"
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "corral"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return bool(200 <= response.status < 300)  # noqa: PLR2004 - HTTP success range
    except (urllib.error.URLError, OSError, ValueError):
        return False
