"""Where a distribution was installed from, as its PEP 610 `direct_url.json` says, spelled as a record can name it.

A distribution installed by hand from a folder, a file, a VCS checkout or a URL (`pip install -e ../lib`,
`pip install git+https://...`) is not the index's release of that name: recording `name>=version` would lock
whatever the index serves under the name, or nothing. The same source is named instead: a local path as a
`[tool.uv.sources]` entry relative to the project (`core.local_paths`), a VCS checkout pinned at its commit, a URL
as a direct reference (PEP 508). Stdlib only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from corral.core.local_paths import PathSource, relative_to_folder

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import PurePath

__all__ = ["DirectOrigin", "origin_of"]

_VCS = ("git", "hg", "svn", "bzr")
_SUBDIRECTORY = re.compile(r"(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]{1,200}")


class DirectOrigin(NamedTuple):
    """The requirement to record, and the source of a local one (None: the requirement names it)."""

    requirement: str
    source: PathSource | None
    local: str | None  # the local file or folder's absolute path (for a message), None for a URL


def origin_of(name: str, data: Mapping[str, object], root: str | PurePath) -> DirectOrigin | None:
    """How to record `name` as installed from what `data` (a `direct_url.json` object) names; None: not direct.

    A local path gets the bare name and a source relative to `root` (editable as installed); a VCS checkout
    `name @ git+URL@COMMIT` (the commit installed, not the branch asked for); an archive URL `name @ URL`. None
    for a shape PEP 610 does not define or a URL no installer reads (no scheme, an unknown VCS).
    """
    url = data.get("url")
    if not isinstance(url, str) or not url or any(c in url for c in "\n\r\t \\"):
        return None
    subdirectory = data.get("subdirectory")
    if subdirectory is not None and not (isinstance(subdirectory, str) and _SUBDIRECTORY.fullmatch(subdirectory)):
        return None
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    parts = urlsplit(url)
    vcs, dir_info, archive = data.get("vcs_info"), data.get("dir_info"), data.get("archive_info")
    if isinstance(vcs, dict):
        return _from_vcs(name, url, vcs, fragment) if parts.scheme else None
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and not fragment:
        path = url2pathname(unquote(parts.path))
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
        source = PathSource(relative_to_folder(path, root), editable=editable)
        return DirectOrigin(name, source, path) if isinstance(dir_info, dict) or isinstance(archive, dict) else None
    if isinstance(archive, dict) and parts.scheme in ("http", "https"):
        return DirectOrigin(f"{name} @ {url}{fragment}", None, None)
    return None


def _from_vcs(name: str, url: str, vcs: Mapping[str, object], fragment: str) -> DirectOrigin | None:
    kind, commit = vcs.get("vcs"), vcs.get("commit_id")
    if kind not in _VCS or not isinstance(commit, str) or not commit.isalnum():
        return None
    return DirectOrigin(f"{name} @ {kind}+{url}@{commit}{fragment}", None, None)
