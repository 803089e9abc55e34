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

__all__ = ["DirectOrigin", "Unrecordable", "origin_of"]

_COMMITS = {
    "git": re.compile(r"[0-9a-f]{7,64}"),
    "hg": re.compile(r"[0-9a-f]{12,64}"),
    "svn": re.compile(r"[0-9]{1,12}"),
}
_SUBDIRECTORY = re.compile(r"(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]{1,200}")
_SAFE_URL = re.compile(r"[!-~]+")  # printable ASCII, no space: a URL as installers spell it


class Unrecordable(ValueError):
    """A `direct_url.json` names a source corral cannot write as a record (the reason is the message)."""


class DirectOrigin(NamedTuple):
    """The requirement to record, and the source of a local one (None: the requirement names it)."""

    requirement: str
    source: PathSource | None
    local: str | None  # the local file or folder's absolute path (for a message), None for a URL


def origin_of(name: str, data: Mapping[str, object], root: str | PurePath) -> DirectOrigin:
    """How to record `name` as installed from what `data` (a `direct_url.json` object) names.

    A local path gets the bare name and a source relative to `root` (editable as installed; a `subdirectory`
    joined to it); a VCS checkout `name @ git+URL@COMMIT` (the commit installed, not the branch asked for); an
    archive URL `name @ URL`.

    Raises:
        Unrecordable: a shape PEP 610 does not define, or one no record can spell safely (credentials in the URL,
            a fragment, control characters, an unknown VCS, a commit that is no commit id).

    """
    url = data.get("url")
    if not isinstance(url, str) or not _SAFE_URL.fullmatch(url):
        raise Unrecordable("its URL is missing, or holds spaces or control characters")
    parts = urlsplit(url)
    if parts.password is not None or (parts.username is not None and parts.scheme != "ssh"):  # ssh://git@: a login
        raise Unrecordable("its URL holds credentials, which corral never writes into pyproject.toml")
    if parts.fragment or parts.query:
        raise Unrecordable("its URL holds a query or a fragment")
    subdirectory = data.get("subdirectory")
    if subdirectory is not None and not (isinstance(subdirectory, str) and _SUBDIRECTORY.fullmatch(subdirectory)):
        raise Unrecordable(f"its subdirectory {subdirectory!r} is not a plain relative path")
    vcs, dir_info, archive = data.get("vcs_info"), data.get("dir_info"), data.get("archive_info")
    if isinstance(vcs, dict):
        return _from_vcs(name, url, vcs, f"#subdirectory={subdirectory}" if subdirectory else "")
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        if not isinstance(dir_info, dict) and not isinstance(archive, dict):
            raise Unrecordable("it names neither a folder nor a file (no dir_info, archive_info)")
        path = url2pathname(unquote(parts.path))
        if subdirectory:
            path = f"{path.rstrip('/')}/{subdirectory}"
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
        return DirectOrigin(name, PathSource(relative_to_folder(path, root), editable=editable), path)
    if isinstance(archive, dict) and parts.scheme in ("http", "https"):
        return DirectOrigin(f"{name} @ {url}{f'#subdirectory={subdirectory}' if subdirectory else ''}", None, None)
    raise Unrecordable(f"a {parts.scheme or 'scheme-less'} URL of this kind is not one corral records")


def _from_vcs(name: str, url: str, vcs: Mapping[str, object], fragment: str) -> DirectOrigin:
    kind, commit = vcs.get("vcs"), vcs.get("commit_id")
    pattern = _COMMITS.get(kind) if isinstance(kind, str) else None
    if pattern is None:
        raise Unrecordable(f"its VCS {kind!r} is not git, hg or svn")
    if not isinstance(commit, str) or not pattern.fullmatch(commit):
        raise Unrecordable(f"its commit {commit!r} is not a {kind} commit id")
    if not urlsplit(url).scheme:
        raise Unrecordable("its VCS URL has no scheme (scp-style `git@host:repo`)")
    return DirectOrigin(f"{name} @ {kind}+{url}@{commit}{fragment}", None, None)
