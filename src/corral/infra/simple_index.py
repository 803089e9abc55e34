"""One question to a PEP 503 package index: does it list a project? (stdlib only; one request, short timeout)."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from typing import Final

__all__ = ["MAX_LISTING", "TIMEOUT", "close_names", "lists_project", "project_names"]

TIMEOUT: Final = 1.5  # seconds: `corral init` must stay fast when the index is slow or unreachable
MAX_LISTING: Final = 4 << 20  # bytes of an index's project list read at most: a private index's, never PyPI's ~30 MB
_ANCHOR = re.compile(r"<a\b[^>]*>([^<]+)</a>", re.IGNORECASE)


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


def project_names(index_url: str, *, timeout: float = TIMEOUT) -> list[str] | None:
    """Every project an index lists on its root page (PEP 503); None when it does not answer or the list is too long.

    Only http(s) indexes are asked; a list over MAX_LISTING bytes is not read to its end.
    """
    if not index_url.startswith(("https://", "http://")):
        return None
    request = urllib.request.Request(f"{index_url.rstrip('/')}/", headers={"User-Agent": "corral"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            body = response.read(MAX_LISTING + 1)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if len(body) > MAX_LISTING:
        return None
    return [html.unescape(m).strip() for m in _ANCHOR.findall(body.decode("utf-8", "replace"))]


def close_names(index_urls: list[str], name: str, *, timeout: float = TIMEOUT) -> list[str]:
    """The names the indexes list that are closest to `name` (a typo's likely meaning), best first; [] when none."""
    import difflib  # only when a name was not found

    known = {n for url in index_urls for n in (project_names(url, timeout=timeout) or [])}
    return difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.7)
