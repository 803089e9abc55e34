"""The input of `uv pip install` that fetches the locked files directly: a minimal pylock.toml of the selection.

Given `name==version --hash` lines, uv reads each package's index page before it downloads the file the lock
already names (on an empty cache, one round trip per package before any wheel arrives). Given a pylock.toml
whose entries carry the index (`index = ...`) and the file's URL and sha256, uv 0.11+ goes straight to the
file, verifies its hash (every entry has one; `--require-hashes` is honoured from 0.11.13, earlier ones verify
the hashes given), installs it as an index package (no PEP 610 `direct_url.json`: `pip freeze` prints
`name==version`), and shares its cache with index installs (the wheel cache is keyed by the index, so an offline
try finds what `uv sync` or a line install left, and they find what this one left). An editable project is a
`[packages.directory]` entry, built once and served from uv's cache like `-e <root>` in a requirements file.
uv refuses other requirements beside a pylock.toml, so a seed goes in as an entry too (`uv_seed`: pip's
wheel as uv's cache seeds it), or the batch keeps the lines.

A lock is untrusted input: an entry's file goes in only when the index and the file are https (or http) URLs
without credentials, on the index's own host or, for PyPI's and TestPyPI's indexes, on the host their pages
name (files.pythonhosted.org); so uv contacts no host the index path would not. Anything else (file: URLs,
other hosts, characters outside a plain URL) returns None and the caller keeps the lines through the index.

The file is written under corral's cache, named by its content, so the uv command stays a function of the
selection and the settings (the head start replays it); it is rewritten whenever it is missing or differs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.core.pylock_select import Chosen

__all__ = ["pylock_args", "pylock_text"]

# The host an index's pages send files to, beside the index's own host.
_FILE_HOSTS: Final = {"pypi.org": "files.pythonhosted.org", "test.pypi.org": "test-files.pythonhosted.org"}
# A URL a TOML basic string holds as it is: no quote, backslash, space or control character.
_PLAIN_URL: Final = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]!$&'()*+,;=%@-]+")
_PLAIN_WORD: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]*")
_HEX: Final = re.compile(r"[0-9a-f]{64}")


def pylock_text(items: Sequence[Chosen], editable: str | None = None, *, name: str | None = None) -> str | None:
    """A pylock.toml installing exactly `items` (and the project at `editable`), or None when one cannot go in.

    `name`: the project's `[project] name` as the caller read it; else read from its pyproject.toml.
    """
    if not items and editable is None:
        return None
    lines = ['lock-version = "1.0"', 'created-by = "corral"', ""]
    for item in items:
        entry = _entry(item)
        if entry is None:
            return None
        lines += entry
    if editable is not None:
        path = _toml_path(editable)
        name = _project_name(Path(editable)) if name is None else name if _PLAIN_WORD.fullmatch(name) else None
        if path is None or name is None:
            return None
        lines += ["[[packages]]", f'name = "{name}"', f"directory = {{ path = {path}, editable = true }}", ""]
    return "\n".join(lines)


def pylock_args(
    items: Sequence[Chosen],
    editable: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    name: str | None = None,
) -> list[str] | None:
    """`--preview-features pylock -r <pylock.toml>` for uv, the file written in corral's cache; None: keep the lines."""
    text = pylock_text(items, editable, name=name)
    if text is None:
        return None
    import hashlib

    from corral.infra.fs import atomic_write_text
    from corral.infra.paths import CorralPaths

    env = dict(os.environ if environ is None else environ)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    path = CorralPaths.from_environment(env).cache / "uv-input" / digest / "pylock.toml"
    try:
        same = path.read_text(encoding="utf-8") == text
    except OSError:
        same = False
    if not same:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        except OSError:
            return None
    return ["--preview-features", "pylock", "-r", str(path)]


def _toml_path(path: str) -> str | None:
    """An absolute path as a TOML basic string (JSON's escapes are TOML's); None when it is not UTF-8 text.

    A path a requirements line cannot spell (` #` starts a comment there, ` ;` a marker) is a plain value here.
    """
    import json

    if not path.startswith("/"):
        return None
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return json.dumps(path, ensure_ascii=False)


def _entry(item: Chosen) -> list[str] | None:
    """The `[[packages]]` lines of one file the lock took from an index, or None when it may not go in."""
    if not (item.from_index and item.index and item.version and item.sha256 and _HEX.fullmatch(item.sha256)):
        return None
    url = item.url.split("#", 1)[0]
    if not (_trusted(url, item.index) and _PLAIN_WORD.fullmatch(item.name) and _PLAIN_WORD.fullmatch(item.version)):
        return None
    filename = url.rsplit("/", 1)[-1]
    if not _PLAIN_WORD.fullmatch(filename):
        return None
    file = f'{{ name = "{filename}", url = "{url}", hashes = {{ sha256 = "{item.sha256}" }} }}'
    body = f"wheels = [{file}]" if item.kind == "wheel" else f"sdist = {file}"
    return ["[[packages]]", f'name = "{item.name}"', f'version = "{item.version}"', f'index = "{item.index}"', body, ""]


def _trusted(url: str, index: str) -> bool:
    """Whether uv may fetch `url` for a package of `index` (see the module's docstring)."""
    if not (_PLAIN_URL.fullmatch(url) and _PLAIN_URL.fullmatch(index)):
        return False
    file, home = urlsplit(url), urlsplit(index)
    if file.username or file.password or home.username or home.password or not file.hostname or not home.hostname:
        return False
    if file.scheme == "http" and home.scheme == "https":  # never downgrade what the index serves over TLS
        return False
    return file.netloc == home.netloc or _FILE_HOSTS.get(home.hostname) == file.netloc


def _project_name(root: Path) -> str | None:
    """The `[project] name` of the project at `root` (uv refuses an entry whose name is not its metadata's)."""
    from corral.errors import CorralError
    from corral.infra.toml_file import read_toml

    try:
        project = read_toml(root / "pyproject.toml").get("project")
    except (CorralError, OSError):
        return None
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) and _PLAIN_WORD.fullmatch(name) else None
