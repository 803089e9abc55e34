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

__all__ = ["DRIFT_FILES", "FIXES", "check_files", "listed_files", "missing_files"]

DRIFT_FILES: Final = "drift-files"
_LIMIT: Final = 32 << 20  # the largest real RECORDs (plotly, botocore) are a few MB
_SHOWN: Final = 3


def listed_files(site: Path, env_root: str) -> Iterator[tuple[str, str, dict[str, set[str]] | None]]:
    """(distribution folder, its RECORD's path, {folder: names it lists there}) for each `*.dist-info` in `site`.

    The mapping is None when the RECORD cannot be read (gone, not a regular file, too large, a link out of the
    env). Folders are absolute and normalised; only those inside `env_root` are kept.
    """
    try:
        names = sorted(os.listdir(site))
    except OSError:
        return
    for name in names:
        if not name.endswith(".dist-info"):
            continue
        record = os.path.join(site, name, "RECORD")
        yield name, record, _record_folders(str(site), record, env_root)


_PARSED: dict[str, tuple[tuple[int, ...], dict[str, set[str]]]] = {}  # RECORD path -> (its stat, its folders)


def _record_folders(site: str, record: str, env_root: str) -> dict[str, set[str]] | None:
    """The RECORD's folders (read once per process while its stat holds: the check and doctor's recorder read it)."""
    from corral.infra.safe_read import read_small

    try:
        st = os.stat(record)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        known = _PARSED.get(record)
        if known is not None and known[0] == key:
            return known[1]
        text = read_small(record, limit=_LIMIT, what="RECORD", inside=env_root).decode("utf-8", "replace")
    except OSError:
        return None
    folders = _folders(site, text, os.path.normpath(env_root))
    _PARSED[record] = (key, folders)
    return folders


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


def missing_files(env_root: Path) -> tuple[dict[str, list[str]], list[str]]:
    """({distribution folder: the files its RECORD lists that are gone}, the RECORDs that could not be read).

    A file is named from its site-packages folder (`six.py`), one outside it from the env (`bin/tool`).
    """
    from corral.core.env import Env

    root = os.path.normpath(str(env_root))
    listings: dict[str, frozenset[str] | None] = {}
    missing: dict[str, list[str]] = {}
    unreadable: list[str] = []
    fold = os.path.normcase if os.name == "nt" else None
    for site in Env.at(env_root).site_packages():
        for name, record, folders in listed_files(site, root):
            if not os.path.isfile(os.path.join(site, name, "METADATA")):
                continue  # `drift-damaged` (doctor.drift) names it
            if folders is None:
                if os.path.lexists(record):
                    unreadable.append(record)
                continue
            gone: list[str] = []
            for folder, leaves in sorted(folders.items()):
                if folder not in listings:
                    listings[folder] = _listing(folder, fold)
                present = listings[folder]
                if present is None:
                    gone += [os.path.join(folder, leaf) for leaf in sorted(leaves)]
                else:
                    gone += [os.path.join(folder, x) for x in sorted(leaves) if (fold(x) if fold else x) not in present]
            if gone:
                missing[name] = [_relative(path, str(site), root) for path in gone]
    return missing, unreadable


def _relative(path: str, site: str, root: str) -> str:
    """`path` as a user knows it: within site-packages from there (`six.py`), else from the env (`bin/tool`)."""
    site = os.path.normpath(site)
    if path.startswith(site + os.sep):
        return path[len(site) + 1 :]
    return os.path.relpath(path, root)


def _listing(folder: str, fold: object) -> frozenset[str] | None:
    """The names in `folder` (case-folded on Windows); empty when it is gone; None when it cannot be listed."""
    try:
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
    missing, unreadable = missing_files(target.root)
    for record in unreadable:
        target.skipped.append(f"files: {record} not read (not a regular file inside the env, or too large)")
    if not missing:
        return []
    items = sorted(missing.items())
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


FIXES: Final[dict[str, Fix]] = {
    DRIFT_FILES: Fix(rebuild=True),  # the stamp still holds: a sync would find nothing to do
}
