"""What each env's files said at the last `envs list`, kept so an env whose files did not change is not read again.

A health verdict reads pyvenv.cfg, corral-env.json, bin/activate and up to eight console scripts of every env
(`inventory.health.read_said`): ten files an env, most of the CPU of listing 1 000 envs, and each one a disk read
after a reboot. `<cache>/env-health.json` keeps, per env path, what those files said and the identity (st_dev,
st_ino, st_mode, mtime_ns, ctime_ns, size, or the error) each file and bin/ had right before it was read: the same
files stat-ed again with the same identities said the same, since a write, a rename over it, a new or removed
script in bin/ or a changed link each change one of them. Entries stamped within 2 s of their reading are not
kept (a coarse file system clock could hide a change in the same tick). Everything else a verdict looks at (the
env folder, bin/python and where it leads, the base interpreter's folder, where the named folders really are,
drift) is looked at again at every listing.

The file lives in the user's cache, never in a project or an env; it is still read as untrusted: an entry that is
not what corral writes is ignored (its env is read again), a file that is not is replaced. Written atomically,
and only when an entry was read again or dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, Final

from corral.infra.safe_read import read_small
from corral.inventory.health import Said, read_said

__all__ = ["CACHE_NAME", "HealthCache"]

CACHE_NAME: Final = "env-health.json"
_SCHEMA: Final = 1
_LIMIT: Final = 64 << 20
_TICK: Final = 2.0  # seconds: the coarsest file system clock (FAT)
_STAT_FIELDS: Final = 6  # st_dev, st_ino, st_mode, mtime_ns, ctime_ns, size
_FAR: Final = 1 << 63

# [relative path, follow links, st_dev, st_ino, st_mode, mtime_ns, ctime_ns, size] or [path, follow, errno]
Seen = list[object]


def _look(top: str, rel: str, follow: bool) -> Seen:
    try:
        st = os.stat(f"{top}{os.sep}{rel}") if follow else os.lstat(f"{top}{os.sep}{rel}")
    except OSError as err:
        return [rel, follow, err.errno or 0]
    return [rel, follow, st.st_dev, st.st_ino, st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_size]


class HealthCache:
    """What `read_said` found per env path, trusted while the files it read are unchanged.

    `said` may run in several threads at once (a listing judges envs in parallel). `settle`: seconds a file must
    have been unchanged before its reading for the entry to be kept (the coarsest file system clock).
    """

    def __init__(self, path: Path, *, settle: float = _TICK) -> None:
        self.path = path
        self._settle = settle
        self._entries: dict[str, tuple[list[Seen], Said]] = {}
        self._dirty = False
        self._load()

    def said(self, root: Path) -> Said:
        """What the env's files at `root` say (`read_said`'s answer); read again unless every file is unchanged."""
        top = os.fspath(root)
        known = self._entries.get(top)
        if known is not None and all(_look(top, str(row[0]), bool(row[1])) == row for row in known[0]):
            return known[1]
        seen: list[Seen] = []
        started = time.time()
        said = read_said(root, observe=lambda rel, follow: seen.append(_look(top, rel, follow)))
        if _racy(seen, started - self._settle):
            self._entries.pop(top, None)
        else:
            self._entries[top] = (seen, said)
        self._dirty = True
        return said

    def save(self, keep: set[str]) -> None:
        """Write the entries of the env paths in `keep` if anything changed since the file was read."""
        dropped = self._entries.keys() - keep
        for top in dropped:
            del self._entries[top]
        if not (self._dirty or dropped):
            return
        data = {
            "schema": _SCHEMA,
            "envs": {
                top: {"seen": seen, "said": [*_said_fields(said), [list(row) for row in said.scripts]]}
                for top, (seen, said) in sorted(self._entries.items())
            },
        }
        from corral.infra.fs import atomic_write_bytes

        payload = json.dumps(data, separators=(",", ":")).encode()
        with contextlib.suppress(OSError):  # a cache: the next listing reads the envs again
            if len(payload) > _LIMIT:  # would never be read back: drop the old file rather than write this one
                self.path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(self.path, payload)
        self._dirty = False

    def _load(self) -> None:
        try:
            if os.lstat(self.path).st_size > _LIMIT:
                self._dirty = True
                return
            data = json.loads(read_small(self.path, limit=_LIMIT, what=CACHE_NAME, follow=False))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError, MemoryError):
            self._dirty = True  # damaged or not a file corral wrote: read again and replaced
            return
        envs = data.get("envs") if isinstance(data, dict) and data.get("schema") == _SCHEMA else None
        if not isinstance(envs, dict):
            self._dirty = True
            return
        for top, entry in envs.items():
            parsed = _entry(entry)
            if parsed is None:
                self._dirty = True
                continue
            self._entries[top] = parsed


def _said_fields(said: Said) -> list[object]:
    return [said.home, said.version, said.relocatable, said.location, said.activate]


def _racy(seen: list[Seen], since: float) -> bool:
    """True when a file changed after `since` (epoch seconds): too close to its reading to prove nothing came after."""
    limit = int(since * 1e9)
    return any(len(row) > 3 and any(type(t) is int and t >= limit for t in row[5:7]) for row in seen)  # noqa: PLR2004


def _text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _seen_row(row: object) -> bool:
    if not (isinstance(row, list) and len(row) in {3, 2 + _STAT_FIELDS}):
        return False
    if not (isinstance(row[0], str) and type(row[1]) is bool):
        return False
    return all(type(n) is int and 0 <= n < _FAR for n in row[2:])


def _entry(entry: Any) -> tuple[list[Seen], Said] | None:  # noqa: ANN401 - JSON of any shape
    """The (rows seen, said) an entry records, None when it is not what corral wrote."""
    seen = entry.get("seen") if isinstance(entry, dict) else None
    said = entry.get("said") if isinstance(entry, dict) else None
    if not (isinstance(seen, list) and seen and all(_seen_row(row) for row in seen)):
        return None
    if not (isinstance(said, list) and len(said) == 6):  # noqa: PLR2004 - Said's fields
        return None
    home, version, relocatable, location, activate, scripts = said
    if not (_text(home) and _text(version) and type(relocatable) is bool and _text(location) and _text(activate)):
        return None
    rows = _scripts(scripts)
    return None if rows is None else (seen, Said(home, version, relocatable, location, activate, rows))


def _scripts(scripts: object) -> tuple[tuple[str, str, str], ...] | None:
    """The (script, program, env) rows of `scripts`, None when it is not a list of them."""
    if not isinstance(scripts, list):
        return None
    rows = []
    for row in scripts:
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(p, str) for p in row)):  # noqa: PLR2004
            return None
        rows.append((row[0], row[1], row[2]))
    return tuple(rows)
