"""The one validation of a pylock.toml's data before corral uses it (PEP 751, plus what corral can install safely).

A lock file ships with the repository, so it is untrusted input. Its values end up in requirements files
(`name @ url --hash=...` lines read by pip and uv), in engine command lines and in what `corral export`
writes, so every reader of a lock passes the parsed data through `check_lock` first:

- the top level: `packages` an array of tables; `extras`, `dependency-groups`, `default-groups` and
  `environments` arrays of strings; `lock-version`, `created-by`, `requires-python` strings;
- each package: a PEP 508 `name`, a PEP 440 `version`, string `marker` / `requires-python` / `index`;
- each file (`wheels`, `sdist`, `archive`) and source (`vcs`, `directory`): `url` / `path` strings without
  whitespace or control characters, URL schemes https, http or file (VCS also ssh, git, svn), hex `hashes`
  of the algorithm's length, a file `name` that is a plain file name, a plain `commit-id`.

PEP 751 leaves URL schemes open; corral accepts the ones its engines fetch. Every problem found is listed in
one LockError that names the file, the package entry and the fix (`corral lock` rewrites the lock).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corral.core.safe_text import NAME_RE, control_char, describe_char
from corral.errors import LockError

__all__ = ["check_lock"]

_HASH_ALGO = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_COMMIT = re.compile(r"^[A-Za-z0-9._-]+$")
_SPACE = re.compile(r"\s")  # what str.isspace() calls whitespace, every code point alike, in one C loop
_HEX_LENGTHS = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "blake2b": 128,
    "blake2s": 64,
    "sha3_256": 64,
    "sha3_512": 128,
}
_FILE_SCHEMES = ("https", "http", "file")
_VCS_SCHEMES = (*_FILE_SCHEMES, "ssh", "git", "svn")
_VCS_TYPES = ("git", "hg", "svn", "bzr")
_STRING_LISTS = ("extras", "dependency-groups", "default-groups", "environments")
_STRINGS = ("lock-version", "created-by", "requires-python")
_MAX_SHOWN = 5


class _Problems:
    """Collects every problem (packaging's _ErrorCollector idea) so one error lists them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.items.append(f"{where}: {text}")


def check_lock(data: Mapping[str, Any], *, origin: str) -> dict[str, Any]:
    """`data` (a parsed pylock.toml) unchanged as a dict, or LockError listing what is wrong in `origin`."""
    problems = _Problems()
    for key in _STRINGS:
        if key in data and not isinstance(data[key], str):
            problems.add(key, f"must be a string, not {_kind(data[key])}")
    for key in _STRING_LISTS:
        value = data.get(key)
        if value is not None and not _strings(value):
            problems.add(key, f"must be an array of strings, not {_kind(value)}")
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        problems.add("packages", f"must be an array of tables ([[packages]]), not {_kind(packages)}")
        packages = []
    for index, package in enumerate(packages):
        _check_package(index, package, problems)
    if problems.items:
        shown = "; ".join(problems.items[:_MAX_SHOWN])
        more = f" (and {len(problems.items) - _MAX_SHOWN} more)" if len(problems.items) > _MAX_SHOWN else ""
        msg = (
            f"{origin} is not a lock corral can install from: {shown}{more}; "
            "run `corral lock` to regenerate it from pyproject.toml"
        )
        raise LockError(msg)
    return dict(data)


def _check_package(index: int, package: object, problems: _Problems) -> None:
    if not isinstance(package, dict):
        problems.add(f"packages[{index}]", f"must be a table, not {_kind(package)}")
        return
    name = package.get("name")
    where = f"packages[{index}]" + (f" ({name})" if isinstance(name, str) and control_char(name) is None else "")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.add(where, f"name {name!r} is not a valid package name (PEP 508)")
    version = package.get("version")
    if version is not None and not _version_ok(version):
        problems.add(where, f"version {version!r} is not a valid version (PEP 440)")
    for key in ("marker", "requires-python"):
        if key in package and not _plain_string(package[key]):
            problems.add(where, f"{key} must be a one-line string, not {package[key]!r}")
    if "index" in package:
        _check_url(f"{where} index", package["index"], _FILE_SCHEMES, problems)
    dependencies = package.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(
        isinstance(d, dict) and isinstance(d.get("name", ""), str) for d in dependencies
    ):
        problems.add(where, "dependencies must be an array of tables with a string name")
    _check_sources(where, package, problems)


def _check_sources(where: str, package: dict[str, Any], problems: _Problems) -> None:
    wheels = package.get("wheels", [])
    if not isinstance(wheels, list):
        problems.add(f"{where} wheels", f"must be an array of tables, not {_kind(wheels)}")
        wheels = []
    for number, wheel in enumerate(wheels):
        _check_file(f"{where} wheels[{number}]", wheel, problems)
    for key in ("sdist", "archive"):
        if key in package:
            _check_file(f"{where} {key}", package[key], problems)
    if "vcs" in package:
        _check_vcs(f"{where} vcs", package["vcs"], problems)
    if "directory" in package:
        _check_directory(f"{where} directory", package["directory"], problems)


def _check_file(where: str, table: object, problems: _Problems) -> None:
    if not isinstance(table, dict):
        problems.add(where, f"must be a table, not {_kind(table)}")
        return
    _check_location(where, table, _FILE_SCHEMES, problems)
    name = table.get("name")
    if name is not None and (not _plain_string(name, spaces=False) or "/" in name or "\\" in name):
        problems.add(where, f"file name {name!r} must be a plain file name")
    size = table.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        problems.add(where, f"size must be a non-negative integer, not {size!r}")
    hashes = table.get("hashes")
    if hashes is None:
        return
    if not isinstance(hashes, dict) or not hashes:
        problems.add(where, f"hashes must be a table of algorithm = hex digest, not {hashes!r}")
        return
    for algo, digest in hashes.items():
        if not _HASH_ALGO.match(algo):
            problems.add(where, f"hash algorithm {algo!r} is not a plain name")
        elif not isinstance(digest, str) or not _HEX.match(digest):
            problems.add(where, f"{algo} hash {digest!r} is not a hexadecimal digest")
        elif algo in _HEX_LENGTHS and len(digest) != _HEX_LENGTHS[algo]:
            problems.add(where, f"{algo} hash has {len(digest)} hex digits, not {_HEX_LENGTHS[algo]}")


def _check_vcs(where: str, table: object, problems: _Problems) -> None:
    if not isinstance(table, dict):
        problems.add(where, f"must be a table, not {_kind(table)}")
        return
    if table.get("type") not in _VCS_TYPES:
        problems.add(where, f"type {table.get('type')!r} is not one of {', '.join(_VCS_TYPES)}")
    _check_location(where, table, _VCS_SCHEMES, problems)
    commit = table.get("commit-id")
    if not isinstance(commit, str) or not _COMMIT.match(commit):
        problems.add(where, f"commit-id {commit!r} must be a plain revision id (letters, digits, . _ -)")
    for key in ("subdirectory", "requested-revision"):
        if key in table and not _plain_string(table[key], spaces=False):
            problems.add(where, f"{key} {table[key]!r} must be a string without spaces or control characters")


def _check_directory(where: str, table: object, problems: _Problems) -> None:
    if not isinstance(table, dict):
        problems.add(where, f"must be a table, not {_kind(table)}")
        return
    path = table.get("path")
    if not _plain_path(path):
        problems.add(where, f"path {path!r} must be a string without control characters or whitespace but ' '")
    if "editable" in table and not isinstance(table["editable"], bool):
        problems.add(where, f"editable must be true or false, not {table['editable']!r}")
    if "subdirectory" in table and not _plain_string(table["subdirectory"], spaces=False):
        problems.add(where, f"subdirectory {table['subdirectory']!r} must be a string without spaces")


def _check_location(where: str, table: dict[str, Any], schemes: tuple[str, ...], problems: _Problems) -> None:
    url, path = table.get("url"), table.get("path")
    if url is None and path is None:
        problems.add(where, "names neither a url nor a path")
    if url is not None:
        _check_url(f"{where} url", url, schemes, problems)
    if path is not None and not _plain_path(path):
        problems.add(where, f"path {path!r} must be a string without control characters or whitespace but ' '")


def _check_url(where: str, url: object, schemes: tuple[str, ...], problems: _Problems) -> None:
    if not isinstance(url, str):
        problems.add(where, f"must be a string, not {_kind(url)}")
        return
    found = control_char(url)
    if found is not None:
        problems.add(where, f"{_short(url)!r} contains {describe_char(found[1])}")
    elif _SPACE.search(url):
        problems.add(where, f"{_short(url)!r} contains a space")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in schemes:
        problems.add(where, f"{_short(url)!r} is not a {'/'.join(schemes)} URL")


def _plain_path(value: object) -> bool:
    """A non-empty path whose only whitespace is ' ' (`../my lib`: every installer line spells it as a URL)."""
    return isinstance(value, str) and bool(value) and _plain_string(value.replace(" ", ""), spaces=False)


def _plain_string(value: object, *, spaces: bool = True) -> bool:
    """A string without control characters (and without whitespace unless `spaces`)."""
    if not isinstance(value, str) or control_char(value) is not None:
        return False
    return spaces or _SPACE.search(value) is None


def _version_ok(version: object) -> bool:
    if not isinstance(version, str):
        return False
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _kind(value: object) -> str:
    return {
        dict: "a table",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004 - one screen line
