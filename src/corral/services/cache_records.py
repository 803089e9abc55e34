"""Whether a record, lock stamp or cached version in corral's cache is provably stale.

A record (`quick-records/*.txt`, `*.rebuild.txt`, `quick-lock-records/*.txt`) is stale when no corral reads it (not
a regular file of the user's own that others cannot write, damaged, not at the name its project's path gives), when
its project is gone (no pyproject.toml), or when a file it observed by device, inode and ctime is now another file
or gone: a ctime never goes back, so the record can never match again. Another corral's version or format: only
once older than the age. A lock stamp or cached version is stale when its project is gone or, a stamp, not at its
project's name; cached versions (one per commit of a project) and another version's stamps once unused for the age.
`services.cache_prune` removes what these say.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral import __version__

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["DAMAGED", "Ages", "Verdict", "judge_record", "judge_stamp", "read_private", "record_name"]

_RECORD_LIMIT: Final = 1 << 22
_HEADERS: Final = {  # (kind, is a rebuild record) -> header without the version
    ("quick-records", False): "corral-quick-record 1 ",
    ("quick-records", True): "corral-rebuild-record 1 ",
    ("quick-lock-records", False): "corral-quick-lock-record 1 ",
}
DAMAGED: Final = "damaged: no corral reads it"


@dataclass(frozen=True, slots=True)
class Ages:
    """The age past which what nothing else judges goes, and how old an entry is (written; last used)."""

    older_than: float
    written: float
    used: float

    @property
    def days(self) -> str:
        """The age limit, in days, for messages."""
        return f"{self.older_than / 86400:g}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why an entry is stale (None: kept), its project, and the uv inputs a kept rebuild record replays."""

    why: str | None
    project: str | None = None
    replayed: list[str] = field(default_factory=list)


def record_name(project: str) -> str:
    """`cli.quick.record_path`'s file name for `project` (64-bit FNV-1a of its path; a test keeps the two equal)."""
    from corral.infra.fnv import path_hash

    return f"{path_hash(project)}.txt"


def read_private(fd: int, name: str) -> tuple[bytes | None, str | None]:  # noqa: PLR0911 - one answer per reason
    """(the bytes, None) of a file corral would read, else (None, why no corral reads it)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file: no corral reads it"
        own = os.open(name, flags, dir_fd=fd)
    except PermissionError:
        return None, "unreadable: no corral reads it"
    except OSError:
        return None, None
    try:
        st = os.fstat(own)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _RECORD_LIMIT:
            return None, "not a record corral writes (too big, or not a regular file)"
        if hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return None, "not the user's own private file: no corral reads it"
        return os.read(own, _RECORD_LIMIT + 1), None
    except OSError:
        return None, "unreadable: no corral reads it"
    finally:
        os.close(own)


def judge_record(kind: str, name: str, data: bytes, ages: Ages) -> Verdict:
    """The verdict on the record file `name` of `kind` holding `data`."""
    rebuild = name.endswith(".rebuild.txt")
    lines = data.decode("utf-8", "replace").split("\n")
    header = _HEADERS[(kind, rebuild)]
    if len(lines) < 3 or not lines[0].startswith(header) or lines[-1] != "end":  # noqa: PLR2004 - header, project, end
        if not lines[0].startswith("corral-"):
            return Verdict(DAMAGED)
        if ages.written > ages.older_than:  # another corral's format (or damaged): by its age
            return Verdict(f"not this corral's format, written {ages.days} days ago or more")
        return Verdict(None)
    project = _project(lines[1], rebuild=rebuild)
    if project is None or not os.path.isabs(project):
        return Verdict(DAMAGED)
    why = _stale_record(lines, project, name, ages, rebuild=rebuild)
    if why is not None:
        return Verdict(why, project)
    return Verdict(None, project, list(_uv_inputs(lines)) if rebuild else [])


def _project(line: str, *, rebuild: bool) -> str | None:
    if not line.startswith("project "):
        return None
    text = line[len("project ") :]
    if not rebuild:
        return text
    try:
        return bytes.fromhex(text).decode("utf-8")
    except ValueError:
        return None


def _stale_record(lines: list[str], project: str, name: str, ages: Ages, *, rebuild: bool) -> str | None:
    """Why the parsed record is stale, or None."""
    variables = "\n".join(line for line in lines if line.startswith("environ "))
    expected = record_name(f"{project}\n{variables}" if rebuild else project)
    if rebuild:
        expected = expected[: -len(".txt")] + ".rebuild.txt"
    if name != expected:
        return "not at the name its project gives: no corral reads it"
    gone = _project_gone(project)
    if gone is not None:
        return gone
    changed = next((path for path in _observed_changes(lines)), None)
    if changed is not None:
        return f"{changed} changed since: the record can never match again"
    if lines[0].rsplit(" ", 1)[-1] != __version__ and ages.written > ages.older_than:
        return f"another corral version's, written {ages.days} days ago or more"
    return None


def _project_gone(project: str) -> str | None:
    try:
        os.stat(os.path.join(project, "pyproject.toml"))
    except (FileNotFoundError, NotADirectoryError):
        return f"its project is gone: {os.path.join(project, 'pyproject.toml')} does not exist"
    except OSError:
        return None
    return None


def _observed_changes(lines: list[str]) -> Iterator[str]:
    """Paths a record observed by (device, inode, ctime) that are now another file or gone."""
    for line in lines:
        parts = line.split(" ", 9)
        # a quick record's trust line can match again: a new trust.json is compared by the env's own entries
        if len(parts) != 10 or parts[0] == "trust" or not all(p.isdigit() for p in parts[1:9]):  # noqa: PLR2004
            continue
        recorded = (int(parts[1]), int(parts[2]), int(parts[8]))
        path = parts[9]
        seen: list[tuple[int, int, int]] = []
        unknown = False
        for follow in (True, False):
            try:
                now = os.stat(path, follow_symlinks=follow)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                unknown = True
                continue
            seen.append((now.st_dev, now.st_ino, now.st_ctime_ns))
        if not unknown and recorded not in seen:
            yield path


def _uv_inputs(lines: list[str]) -> Iterator[str]:
    """The uv-input folders (`<digest>`) of the files a rebuild record's uv command reads (`input <hex path> ...`)."""
    for line in lines:
        if line.startswith("input "):
            with contextlib.suppress(ValueError, IndexError):
                folder, file = os.path.split(os.path.normpath(bytes.fromhex(line.split(" ")[1]).decode("utf-8")))
                if file == "pylock.toml" and os.path.basename(os.path.dirname(folder)) == "uv-input":
                    yield os.path.basename(folder)


def judge_stamp(kind: str, name: str, found: dict[str, Any], ages: Ages) -> Verdict:
    """The verdict on a lock stamp or cached version (`kind`) holding the JSON object `found`."""
    inputs = found.get("inputs")
    root = found.get("root") if kind == "project-versions" else inputs.get("root") if isinstance(inputs, dict) else None
    ours = found.get("corral", __version__) == __version__
    unused = ages.used > ages.older_than
    if not isinstance(root, str) or not os.path.isabs(root):
        if ours:
            return Verdict(DAMAGED)
        return Verdict(f"another corral version's, unused for {ages.days} days" if unused else None)
    gone = _project_gone(root)
    if gone is not None:
        return Verdict(gone, root)
    if kind == "lock-stamps" and name != f"{_project_key(root)}.json":
        return Verdict("not at the name its project gives: no corral reads it", root)
    if unused and (kind == "project-versions" or not ours):  # a version is cached per commit: old ones pile up
        return Verdict(f"unused for more than {ages.days} days", root)
    return Verdict(None, root)


def _project_key(root: str) -> str:
    from corral.infra.journals import project_key

    return project_key(Path(root))
