"""The package indexes a project names in `[tool.uv]`, in the order uv asks them.

A project that makes its company index the default (`[[tool.uv.index]] default = true`, or the older
`[tool.uv] index-url`) must be resolved against it, never against PyPI: a lock from the public index where the
project named its own is a dependency-confusion hole. uv's order (its `index` docs): every `[[tool.uv.index]]`
entry that is not `explicit` (those serve only the packages a `[tool.uv.sources]` entry pins to them), in the order
written, then `extra-index-url`, then the default index (`default = true`, `index-url`, else PyPI). Stdlib only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from corral.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["UvIndexes", "index_spellings", "uv_indexes"]


class UvIndexes(NamedTuple):
    """The project's default index (None: uv's, PyPI) and the others uv asks, highest priority first."""

    default: str | None
    extra: tuple[str, ...]

    @property
    def declared(self) -> bool:
        """The project names an index of its own."""
        return self.default is not None or bool(self.extra)


def uv_indexes(data: Mapping[str, object], *, source: str = "pyproject.toml") -> UvIndexes:
    """The indexes `data` (a parsed pyproject) names in `[tool.uv]`.

    Raises:
        ConfigError: an index entry is not a table with a string `url`, or `index-url`/`extra-index-url` have the
            wrong type (uv would refuse the project with an error about corral's temporary copy).

    """
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if not isinstance(uv, dict):
        return UvIndexes(None, ())
    entries = uv.get("index", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) and _url(e.get("url")) for e in entries):
        msg = f'{source}: every [[tool.uv.index]] entry must be a table with url = "..."; fix it, then run again'
        raise ConfigError(msg)
    default = uv.get("index-url")
    extras = uv.get("extra-index-url", [])
    if default is not None and not _url(default):
        raise ConfigError(f"{source}: [tool.uv] index-url must be a URL string, not {default!r}")
    if not isinstance(extras, list) or not all(_url(e) for e in extras):
        raise ConfigError(f"{source}: [tool.uv] extra-index-url must be a list of URL strings")
    named = [e for e in entries if not e.get("explicit")]
    chosen = next((str(e["url"]) for e in named if e.get("default") is True), default)
    others = [str(e["url"]) for e in named if e.get("default") is not True] + [str(e) for e in extras]
    return UvIndexes(str(chosen) if chosen is not None else None, tuple(dict.fromkeys(others)))


def _url(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def index_spellings(data: Mapping[str, object]) -> list[str]:
    """Every index `[tool.uv]` names, spelled as uv's index variables spell one.

    `name=url` for a named one (so uv finds its `UV_INDEX_<NAME>_USERNAME`/`_PASSWORD`), the URL as written
    (credentials included) otherwise: where an installer looks up the lock's credential-free index URL
    (`engines.uv`), since the lock records no credentials.
    """
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if not isinstance(uv, dict):
        return []
    found = []
    for entry in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
        url, name = (entry.get("url"), entry.get("name")) if isinstance(entry, dict) else (None, None)
        if _url(url) and " " not in str(url):
            named = isinstance(name, str) and _NAME.fullmatch(name) is not None
            found.append(f"{name}={url}" if named else str(url))
    extras = uv.get("extra-index-url")
    others = [uv.get("index-url"), *(extras if isinstance(extras, list) else [])]
    found.extend(str(url) for url in others if _url(url) and " " not in str(url))
    return found


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
