"""Missing files: an installed distribution whose RECORD lists files the env no longer holds (`drift-files`).

A file removed by hand (`rm .venv/lib/python3.12/site-packages/six.py`, a clean-up script, a disk tool) leaves the
distribution's metadata in place: pip, uv and importlib.metadata still report it installed at its version, a sync
stamp still holds, and only an import fails. The installer's RECORD (`*.dist-info/RECORD`, PEP 376/627) lists every
file it wrote, so each listed file is looked for here; a RECORD that is gone is named too (pip and uv cannot
uninstall the distribution then).

The RECORD is untrusted text: it is read by `read_small` (a regular file, at most `_LIMIT` bytes, inside the env),
one naming more rows or folders than an installer writes is not read (each folder costs a listing), a row that is
absolute, leads out of the env or names no file (a NUL, longer than PATH_MAX) is skipped, a folder some link on the
way leads out of the env is neither listed nor vouched for, and nothing is ever opened or removed. Each folder is
listed once (`os.scandir`: a folder, or a link leading nowhere, where a file was counts as missing), which is
cheaper than one stat per file; one that cannot be listed (no permission) is unknown, not missing. Bytecode
(`__pycache__/`, `*.pyc`) is left out: Python writes it again, and clean-up tools remove it. An `*.egg-info` (no
RECORD) is not checked.

A dev env of a web project lists ~1 300 folders (~50 ms) named by ~9 000 rows (~50 ms to read). So a scan that
found every file records in corral's cache (`doctor-records/<64-bit FNV-1a of the env's path>.files.json`) when it
began, each RECORD's stat key and folders, and each folder's device and inode; the next scan reads only the RECORDs
whose key moved or one of whose folders moved, and lists only the folders that are another folder now, or whose
stat moved since (mtime, and on POSIX ctime, which no process can set back: a removed entry moves both), and every
folder of a RECORD whose key moved. Doctor's quick record takes its probes from the same (`record_folders`). A
folder shared by two distributions is listed once (but again for a RECORD whose key moved). A scan that found every
file, and listed something, records.
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

__all__ = ["DRIFT_FILES", "FIXES", "RECORDS_FOLDER", "Scan", "check_files", "missing_files", "record_folders"]

DRIFT_FILES: Final = "drift-files"
_LIMIT: Final = 32 << 20  # the largest real RECORDs (plotly, botocore) are a few MB
_MAX_ROWS: Final = 200_000  # plotly's RECORD has ~20 000 rows; more is not an installer's record
_MAX_FOLDERS: Final = 20_000  # folders one RECORD may name (each is listed: ~40 us)
_MAX_PATH: Final = 4096  # PATH_MAX: a longer row names no file
_SHOWN: Final = 3
_FINE_NS: Final = 50_000_000  # a nanosecond clock ticks at least every 10 ms: five ticks
_COARSE_NS: Final = 2_000_000_000  # times rounded to the second (or Windows' lazy updates)
RECORDS_FOLDER: Final = "doctor-records"  # services.doctor_record.RECORDS_FOLDER, in corral's cache

Folders = dict[str, set[str]]
# (began, RECORD keys, folder identities, each RECORD's folders) of the last whole scan that found every file
Earlier = tuple[int, dict[str, list[int]], dict[str, list[int]], dict[str, list[str]]]


class _TooMany(ValueError):
    """A RECORD naming more rows or folders than an installer writes."""


_PARSED: dict[str, tuple[list[int], Folders]] = {}  # RECORD path -> (its stat key, its folders)


def _record_folders(site: str, record: str, env_root: str) -> tuple[list[int], Folders | None]:
    """The RECORD's stat key and folders (parsed once per process while the key holds: the check and the recorder)."""
    from corral.infra.safe_read import read_small

    try:
        st = os.stat(record)
        key = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        known = _PARSED.get(record)
        if known is not None and known[0] == key:
            return key, known[1]
        # surrogateescape: a name that is no UTF-8 reads as os.listdir reads it
        text = read_small(record, limit=_LIMIT, what="RECORD", inside=env_root).decode("utf-8", "surrogateescape")
        folders = _folders(site, text, os.path.normpath(env_root))
    except (OSError, ValueError):
        return [], None
    _PARSED[record] = (key, folders)
    return key, folders


def _paths(text: str) -> Iterator[str]:
    """The path field of each RECORD row (CSV: a path holding a comma, a quote or a line break is quoted)."""
    if '"' in text:
        import csv
        import io

        for row in csv.reader(io.StringIO(text, newline="")):
            if row:
                yield row[0]
        return
    for line in text.split("\n"):
        yield line.partition(",")[0].rstrip("\r")


def _folders(site: str, text: str, root: str) -> Folders:
    """{absolute folder: names} of the RECORD `text`'s rows, bytecode and paths out of the env `root` left out.

    Raises _TooMany for more rows or folders than an installer writes (each folder costs a listing).
    """
    raw: Folders = {}
    for head, leaf in _rows(text):
        leaves = raw.get(head)
        if leaves is None:
            if len(raw) >= _MAX_FOLDERS:
                raise _TooMany(len(raw))
            raw[head] = {leaf}
        else:
            leaves.add(leaf)
    folders: Folders = {}
    inside = root + os.sep
    for head, leaves in raw.items():
        if os.path.isabs(head) or os.path.splitdrive(head)[0]:
            continue
        folder = os.path.normpath(os.path.join(site, head))
        if folder != root and not folder.startswith(inside):
            continue  # a path out of the env: not this env's to vouch for
        folders.setdefault(folder, set()).update(leaves)
    return folders


def _rows(text: str) -> Iterator[tuple[str, str]]:
    """(folder as written, file name) of each row naming a file that is not bytecode; _TooMany past `_MAX_ROWS`."""
    windows = os.name == "nt"
    for rows, path in enumerate(_paths(text)):
        if rows >= _MAX_ROWS:
            raise _TooMany(rows)
        if windows:
            path = path.replace("\\", "/")  # noqa: PLW2901 - the row's path, spelt as the others
        if not path or path[0] == "/" or len(path) > _MAX_PATH or "\0" in path:
            continue  # absolute, or no file's name
        if "__pycache__" in path or path.endswith((".pyc", ".pyo")):
            continue
        head, _, leaf = path.rpartition("/")
        if leaf and leaf != "." and leaf != "..":  # noqa: PLR1714 - two compares beat a set's hash here
            yield head, leaf


class Scan:
    """What one look at an env's files found, and what a later scan may take from it."""

    __slots__ = ("identities", "keys", "listed", "lists", "missing", "unreadable")

    def __init__(self) -> None:
        self.missing: dict[str, list[str]] = {}  # distribution folder -> its files that are gone
        self.unreadable: list[str] = []
        self.keys: dict[str, list[int]] = {}  # RECORD path -> its stat key
        self.lists: dict[str, list[str]] = {}  # RECORD path -> the folders it names (a later scan need not parse it)
        self.identities: dict[str, list[int]] = {}  # folder -> [device, inode] (the folder a later scan must meet)
        self.listed = 0  # folders listed (the others were vouched for by an earlier whole scan)


class _Folders:
    """Each folder's state, looked at once for every RECORD that names it."""

    __slots__ = ("earlier", "proven", "real_root", "root", "scan", "seen")

    def __init__(self, root: str, earlier: Earlier | None, scan: Scan) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.earlier = earlier
        self.scan = scan
        self.seen: dict[str, frozenset[str] | None] = {}
        self.proven: dict[str, bool] = {root: True}

    def present(self, folder: str, *, vouched: bool) -> frozenset[str] | None:
        """The names of the files in `folder`; `_UNMOVED` (nothing to look for), `_GONE` or None (unreadable).

        `vouched`: the RECORD naming it kept its key since the earlier whole scan, so an unmoved folder holds what
        it held then. A folder some link leads out of the env is not this env's: `_UNMOVED`.
        """
        found = self.seen.get(folder, _UNSEEN)
        if found is _UNSEEN or (found is _UNMOVED and not vouched):
            found = self.seen[folder] = self._look(folder, vouched=vouched)
        return found

    def _look(self, folder: str, *, vouched: bool) -> frozenset[str] | None:
        try:
            st = os.stat(folder)
        except (FileNotFoundError, NotADirectoryError):
            return _GONE
        except (OSError, ValueError):
            return None
        identity = [st.st_dev, st.st_ino]
        if vouched and self.earlier is not None and self.earlier[2].get(folder) == identity:
            changed = max(st.st_mtime_ns, st.st_ctime_ns) if os.name == "posix" else st.st_mtime_ns
            margin = _FINE_NS if changed % 1_000_000 else _COARSE_NS
            if changed + margin < self.earlier[0]:  # the folder the earlier scan proved inside, listed and recorded
                self.scan.identities[folder] = identity
                return _UNMOVED  # the same folder, and no entry added, removed or renamed since
        if not self._inside(folder):
            return _UNMOVED
        self.scan.identities[folder] = identity
        self.scan.listed += 1
        return _files_in(folder)

    def _inside(self, folder: str) -> bool:
        """No link on the way from the env's folder to `folder` leads out of the env (one lstat per folder)."""
        known = self.proven.get(folder)
        if known is not None:
            return known
        parent = os.path.dirname(folder)
        result = parent != folder and self._inside(parent)
        if result:
            try:
                link = os.path.islink(folder)
            except ValueError:
                link = True
            if link:
                real = os.path.realpath(folder)
                result = real == self.real_root or real.startswith(self.real_root + os.sep)
        self.proven[folder] = result
        return result


def _files_in(folder: str) -> frozenset[str] | None:
    """The names of the files (through links, as an import opens them) in `folder`; None when it cannot be listed.

    A folder, or a link leading nowhere, where a file was is no file.
    """
    fold = os.path.normcase if os.name == "nt" else None
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return _GONE
    except OSError:
        return None
    return frozenset(fold(name) for name in names) if fold else frozenset(names)


_UNMOVED: Final = frozenset({"\0unmoved"})  # nothing to look for: unmoved since an earlier whole scan, or not ours
_UNSEEN: Final = frozenset({"\0unseen"})
_GONE: Final = frozenset[str]()


def missing_files(env_root: Path, earlier: Earlier | None = None) -> Scan:
    """Each installed distribution's files that its RECORD lists and the env no longer holds.

    A file is named from its site-packages folder (`six.py`), one outside it from the env (`bin/tool`); a
    distribution's missing RECORD is named too (pip and uv cannot uninstall it). `earlier`: (when a scan that found
    every file began, the RECORDs' keys then, the folders' device and inode then). A folder of a RECORD that kept
    its key, still the same folder, whose stat has not moved since then (a removed entry moves its folder's mtime
    and ctime), holds every file it held, so it is not listed again.
    """
    from corral.core.env import Env

    root = os.path.normpath(str(env_root))
    scan = Scan()
    looked = _Folders(root, earlier, scan)
    for site in Env.at(env_root).site_packages():
        for name in _dist_infos(site):
            if not os.path.isfile(os.path.join(site, name, "METADATA")):
                continue  # `drift-damaged` (doctor.drift) names it
            record = os.path.join(site, name, "RECORD")
            if _unmoved(record, earlier, looked, scan):
                continue
            key, folders = _record_folders(str(site), record, root)
            if folders is None:
                if os.path.lexists(record):
                    scan.unreadable.append(record)
                else:
                    scan.missing[name] = [_relative(record, str(site), root)]
                continue
            scan.keys[record], scan.lists[record] = key, sorted(folders)
            gone = _gone(folders, looked, vouched=earlier is not None and earlier[1].get(record) == key)
            if gone:
                scan.missing[name] = [_relative(path, str(site), root) for path in gone]
    return scan


def _gone(folders: Folders, looked: _Folders, *, vouched: bool) -> list[str]:
    """The files of one RECORD's `folders` that are not there (a folder that cannot be listed: unknown, not gone)."""
    fold = os.path.normcase if os.name == "nt" else None
    gone: list[str] = []
    for folder, leaves in sorted(folders.items()):
        present = looked.present(folder, vouched=vouched)
        if present is _UNMOVED or present is None:
            continue
        gone += [os.path.join(folder, x) for x in sorted(leaves) if (fold(x) if fold else x) not in present]
    return gone


def _dist_infos(site: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(site) if name.endswith(".dist-info"))
    except OSError:
        return []


def _stat_key(path: str) -> list[int]:
    """[device, inode, size, mtime, ctime] of the file `path` leads to; [] when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return []
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _stored_folders(record: str, earlier: Earlier | None) -> list[str] | None:
    """The folders the earlier scan read in `record`, while its key is the same (None: it must be read)."""
    if earlier is None:
        return None
    key = _stat_key(record)
    stored = earlier[3].get(record)
    if not key or earlier[1].get(record) != key or not isinstance(stored, list):
        return None
    return stored if all(isinstance(folder, str) for folder in stored) else None


def _unmoved(record: str, earlier: Earlier | None, looked: _Folders, scan: Scan) -> bool:
    """The RECORD kept its key and each of its folders is unmoved: it holds its files, and is not read again."""
    stored = _stored_folders(record, earlier)
    if stored is None or not all(looked.present(folder, vouched=True) is _UNMOVED for folder in stored):
        return False
    assert earlier is not None  # noqa: S101 - _stored_folders found it
    scan.keys[record], scan.lists[record] = earlier[1][record], stored
    return True


def record_folders(cache: Path, env: Path) -> list[tuple[str, list[str]]]:
    """(each RECORD's path, the folders it names), as the files check reads them: the probes of doctor's record.

    From the last whole scan's record (`cache`: corral's cache) while a RECORD's key holds, else read.
    """
    from corral.core.env import Env

    root = os.path.normpath(str(env))
    earlier = _read_record(cache / RECORDS_FOLDER, env)
    found = []
    for site in Env.at(env).site_packages():
        for name in _dist_infos(site):
            record = os.path.join(site, name, "RECORD")
            stored = _stored_folders(record, earlier)
            if stored is None:
                folders = _record_folders(str(site), record, root)[1]
                stored = sorted(folders or ())
            found.append((record, stored))
    return found


def _relative(path: str, site: str, root: str) -> str:
    """`path` as a user knows it: within site-packages from there (`six.py`), else from the env (`bin/tool`)."""
    site = os.path.normpath(site)
    if path.startswith(site + os.sep):
        return path[len(site) + 1 :]
    return os.path.relpath(path, root)


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
        target.skipped.append(
            f"files: {record} not read (not a regular file inside the env, too large, or more rows than an installer "
            "writes)"
        )
    if not scan.missing:
        if not scan.unreadable and (earlier is None or scan.listed or earlier[1] != scan.keys):
            _write_record(records, target.root, started, scan)
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
    from corral.infra.fnv import path_hash

    return records / f"{path_hash(str(env))}.files.json"


def _read_record(records: Path, env: Path) -> Earlier | None:
    """(when the last whole scan of `env` that found every file began, its RECORDs' keys and folders, and identities).

    None unless this corral wrote it, for this env.
    """
    import json

    from corral import __version__
    from corral.infra.safe_read import read_small

    try:
        data = json.loads(read_small(_record_file(records, env), limit=_LIMIT, what="doctor record", follow=False))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("corral") != __version__ or data.get("env") != str(env):
        return None
    began, keys, identities, lists = data.get("began"), data.get("keys"), data.get("folders"), data.get("lists")
    if isinstance(began, int) and isinstance(keys, dict) and isinstance(identities, dict) and isinstance(lists, dict):
        return began, keys, identities, lists
    return None


def _write_record(records: Path, env: Path, began: int, scan: Scan) -> None:
    """Record a whole scan that found every file (atomically; a failure only costs the next doctor the listing)."""
    import contextlib
    import json

    from corral import __version__
    from corral.infra.fs import atomic_write_text

    text = json.dumps(
        {
            "corral": __version__,
            "env": str(env),
            "began": began,
            "keys": scan.keys,
            "folders": scan.identities,
            "lists": scan.lists,
        }
    )
    with contextlib.suppress(OSError):
        records.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_record_file(records, env), text)


FIXES: Final[dict[str, Fix]] = {
    DRIFT_FILES: Fix(rebuild=True),  # the stamp still holds: a sync would find nothing to do
}
