"""Missing files: an installed distribution whose RECORD lists files the env no longer holds (`drift-files`).

A file removed by hand (`rm .venv/lib/python3.12/site-packages/six.py`, a clean-up script, a disk tool) leaves the
distribution's metadata in place: pip, uv and importlib.metadata still report it installed at its version, a sync
stamp still holds, and only an import fails. The installer's RECORD (`*.dist-info/RECORD`, PEP 376/627) lists every
file it wrote, so each listed file is looked for here.

The RECORD is untrusted text: it is read by `read_small` (a regular file, at most `_LIMIT` bytes, inside the env),
a listed path that is absolute or leads out of the env is not looked at, and nothing is ever opened or removed;
each folder the RECORD names is listed once (`os.listdir`, through links as an import follows them), which is
cheaper than one stat per file. Bytecode (`__pycache__/`, `*.pyc`) is left out: Python writes it again, and clean-up
tools remove it. An `*.egg-info` (no RECORD) is not checked.

A dev env of a web project lists ~1 300 folders (~50 ms). So a scan that found every file records in corral's cache
(`doctor-records/<64-bit FNV-1a of the env's path>.files.json`) when it began and each RECORD's stat key; the next
scan lists only the folders whose stat moved since (mtime, and on POSIX ctime, which no process can set back: a
removed entry moves both), and every folder of a RECORD whose key moved. A folder shared by two distributions is
listed once (but again for a RECORD whose key moved). A scan that found every file, and listed something, records.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from corral.doctor.target import Target

__all__ = ["DRIFT_FILES", "FIXES", "RECORDS_FOLDER", "Scan", "check_files", "listed_files", "missing_files"]

DRIFT_FILES: Final = "drift-files"
_LIMIT: Final = 32 << 20  # the largest real RECORDs (plotly, botocore) are a few MB
_SHOWN: Final = 3
_FINE_NS: Final = 50_000_000  # a nanosecond clock ticks at least every 10 ms: five ticks
_COARSE_NS: Final = 2_000_000_000  # times rounded to the second (or Windows' lazy updates)
RECORDS_FOLDER: Final = "doctor-records"  # services.doctor_record.RECORDS_FOLDER, in corral's cache


def listed_files(site: Path, env_root: str) -> Iterator[tuple[str, str, list[int], dict[str, set[str]] | None]]:
    """(distribution folder, its RECORD's path, the RECORD's stat key, {folder: names it lists there}) in `site`.

    One row for each `*.dist-info`. The mapping is None when the RECORD cannot be read (gone, not a regular file,
    too large, a link out of the env; the key is then empty). Folders are absolute and normalised; only those
    inside `env_root` are kept.
    """
    try:
        names = sorted(os.listdir(site))
    except OSError:
        return
    for name in names:
        if not name.endswith(".dist-info"):
            continue
        record = os.path.join(site, name, "RECORD")
        key, folders = _record_folders(str(site), record, env_root)
        yield name, record, key, folders


_PARSED: dict[str, tuple[list[int], dict[str, set[str]]]] = {}  # RECORD path -> (its stat key, its folders)


def _record_folders(site: str, record: str, env_root: str) -> tuple[list[int], dict[str, set[str]] | None]:
    """The RECORD's stat key and folders (parsed once per process while the key holds: the check and the recorder)."""
    from corral.infra.safe_read import read_small

    try:
        st = os.stat(record)
        key = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        known = _PARSED.get(record)
        if known is not None and known[0] == key:
            return key, known[1]
        text = read_small(record, limit=_LIMIT, what="RECORD", inside=env_root).decode("utf-8", "replace")
    except OSError:
        return [], None
    folders = _folders(site, text, os.path.normpath(env_root))
    _PARSED[record] = (key, folders)
    return key, folders


def _folders(site: str, text: str, root: str) -> dict[str, set[str]]:
    """{absolute folder: names} of the RECORD `text`'s rows, bytecode and paths out of the env `root` left out."""
    windows = os.name == "nt"
    raw: dict[str, set[str]] = {}
    for line in text.splitlines():
        path = _first_field(line) if '"' in line else line.partition(",")[0]
        if windows:
            path = path.replace("\\", "/")
        if not path or path[0] == "/" or "__pycache__" in path or path.endswith((".pyc", ".pyo")):
            continue
        head, _, leaf = path.rpartition("/")
        if leaf and leaf != "." and leaf != "..":  # noqa: PLR1714 - two compares beat a set's hash here
            leaves = raw.get(head)
            if leaves is None:
                raw[head] = {leaf}
            else:
                leaves.add(leaf)
    folders: dict[str, set[str]] = {}
    inside = root + os.sep
    for head, leaves in raw.items():
        if os.path.isabs(head) or os.path.splitdrive(head)[0]:
            continue
        folder = os.path.normpath(os.path.join(site, head))
        if folder != root and not folder.startswith(inside):
            continue  # a path out of the env: not this env's to vouch for
        folders.setdefault(folder, set()).update(leaves)
    return folders


def _first_field(line: str) -> str:
    """The path field of a RECORD row that holds a quote (CSV: a path with a comma or a quote is quoted)."""
    import csv

    try:
        row = next(csv.reader([line]), [])
    except csv.Error:
        return ""
    return row[0] if row else ""


class Scan:
    """What one look at an env's files found: the missing ones, the RECORDs not read, and the RECORDs' stat keys."""

    __slots__ = ("keys", "listed", "missing", "unreadable")

    def __init__(self) -> None:
        self.missing: dict[str, list[str]] = {}  # distribution folder -> its files that are gone
        self.unreadable: list[str] = []
        self.keys: dict[str, list[int]] = {}  # RECORD path -> its stat key
        self.listed = 0  # folders listed (the others were vouched for by an earlier whole scan)


def missing_files(env_root: Path, earlier: tuple[int, dict[str, list[int]]] | None = None) -> Scan:
    """Each installed distribution's files that its RECORD lists and the env no longer holds.

    A file is named from its site-packages folder (`six.py`), one outside it from the env (`bin/tool`).
    `earlier`: (when a scan that found every file began, the RECORDs' keys then). A folder of a RECORD that kept
    its key, whose stat has not moved since then (a removed entry moves its folder's mtime and ctime), still holds
    every file it held, so it is not listed again.
    """
    from corral.core.env import Env

    root = os.path.normpath(str(env_root))
    listings: dict[str, frozenset[str] | None] = {}
    scan = Scan()
    for site in Env.at(env_root).site_packages():
        for name, record, key, folders in listed_files(site, root):
            if not os.path.isfile(os.path.join(site, name, "METADATA")):
                continue  # `drift-damaged` (doctor.drift) names it
            if folders is None:
                if os.path.lexists(record):
                    scan.unreadable.append(record)
                continue
            scan.keys[record] = key
            since = earlier[0] if earlier is not None and earlier[1].get(record) == key else None
            gone = _gone(folders, listings, since, scan)
            if gone:
                scan.missing[name] = [_relative(path, str(site), root) for path in gone]
    return scan


def _gone(
    folders: dict[str, set[str]], listings: dict[str, frozenset[str] | None], since: int | None, scan: Scan
) -> list[str]:
    """The files of one RECORD's `folders` that are gone (`listings`: each folder listed once for all RECORDs)."""
    fold = os.path.normcase if os.name == "nt" else None
    gone: list[str] = []
    for folder, leaves in sorted(folders.items()):
        present = listings.get(folder, _UNSEEN)
        if present is _UNSEEN or (present is _UNMOVED and since is None):  # another RECORD's key may have vouched
            present = listings[folder] = _listing(folder, fold, since)
            scan.listed += present is not _UNMOVED
        if present is _UNMOVED:
            continue
        if present is None:
            gone += [os.path.join(folder, leaf) for leaf in sorted(leaves)]
        else:
            gone += [os.path.join(folder, x) for x in sorted(leaves) if (fold(x) if fold else x) not in present]
    return gone


def _relative(path: str, site: str, root: str) -> str:
    """`path` as a user knows it: within site-packages from there (`six.py`), else from the env (`bin/tool`)."""
    site = os.path.normpath(site)
    if path.startswith(site + os.sep):
        return path[len(site) + 1 :]
    return os.path.relpath(path, root)


_UNMOVED: Final = frozenset({"\0unmoved"})  # a folder whose stat shows no change since an earlier whole scan
_UNSEEN: Final = frozenset({"\0unseen"})


def _listing(folder: str, fold: object, since: int | None) -> frozenset[str] | None:
    """The names in `folder` (case-folded on Windows); empty when it is gone; None when it cannot be listed.

    `_UNMOVED` when its last change (mtime, and on POSIX ctime, which no process can set back) is older than
    `since` by more than the clock's grain.
    """
    try:
        if since is not None:
            st = os.stat(folder)
            changed = max(st.st_mtime_ns, st.st_ctime_ns) if os.name == "posix" else st.st_mtime_ns
            margin = _FINE_NS if changed % 1_000_000 else _COARSE_NS
            if changed + margin < since:
                return _UNMOVED
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return frozenset()
    except OSError:
        return None
    return frozenset(os.path.normcase(n) for n in names) if fold else frozenset(names)


def _shown(folder: str, files: list[str]) -> str:
    stem = folder[: -len(".dist-info")]
    project, _, version = stem.partition("-")
    label = f"{project} {version}".strip()
    listed = ", ".join(files[:_SHOWN]) + (f" and {len(files) - _SHOWN} more" if len(files) > _SHOWN else "")
    return f"{label} ({listed})"


def check_files(target: Target) -> list[Finding]:
    """Each installed distribution's files, as its RECORD lists them, are all in the env."""
    import time

    started = time.time_ns()
    records = target.host.paths.cache / RECORDS_FOLDER
    earlier = _read_record(records, target.root)
    scan = missing_files(target.root, earlier)
    for record in scan.unreadable:
        target.skipped.append(f"files: {record} not read (not a regular file inside the env, or too large)")
    if not scan.missing:
        if not scan.unreadable and (earlier is None or scan.listed or earlier[1] != scan.keys):
            _write_record(records, target.root, started, scan.keys)
        return []
    items = sorted(scan.missing.items())
    shown = "; ".join(_shown(folder, files) for folder, files in items[:6])
    more = f"; and {len(items) - 6} more distributions" if len(items) > 6 else ""  # noqa: PLR2004
    project_env = target.is_project_env
    return [
        Finding(
            code=DRIFT_FILES,
            severity="error",
            fix="corral recreate" if project_env else "",
            message=f"installed distributions with files missing: {shown}{more} (removed by hand? their metadata "
            "still says installed, so pip, uv and a sync see nothing to do; an import may fail)"
            + ("" if project_env else "; reinstall them with the tool that made the env"),
            details={"missing": dict(items)},
        )
    ]


def _record_file(records: Path, env: Path) -> Path:
    """`<cache>/doctor-records/<64-bit FNV-1a of the env's path>.files.json`."""
    value = 0xCBF29CE484222325
    for byte in str(env).encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return records / f"{value:016x}.files.json"


def _read_record(records: Path, env: Path) -> tuple[int, dict[str, list[int]]] | None:
    """(when the last whole scan of `env` that found every file began, its RECORDs' keys), if this corral wrote it."""
    import json

    from corral import __version__
    from corral.infra.safe_read import read_small

    try:
        data = json.loads(read_small(_record_file(records, env), limit=_LIMIT, what="doctor record", follow=False))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("corral") != __version__ or data.get("env") != str(env):
        return None
    began, keys = data.get("began"), data.get("keys")
    if not isinstance(began, int) or not isinstance(keys, dict):
        return None
    return began, keys


def _write_record(records: Path, env: Path, began: int, keys: dict[str, list[int]]) -> None:
    """Record a whole scan that found every file (atomically; a failure only costs the next doctor the listing)."""
    import contextlib
    import json

    from corral import __version__
    from corral.infra.fs import atomic_write_text

    text = json.dumps({"corral": __version__, "env": str(env), "began": began, "keys": keys})
    with contextlib.suppress(OSError):
        records.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_record_file(records, env), text)


FIXES: Final[dict[str, Fix]] = {
    DRIFT_FILES: Fix(rebuild=True),  # the stamp still holds: a sync would find nothing to do
}
