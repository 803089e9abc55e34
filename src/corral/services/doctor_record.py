"""Doctor's record of a healthy project env whose sync stamp holds in all but git's index.

A sync stamp that holds (`services.sync.stamp.is_noop`) spares doctor two checks: the env against the lock
(drift) and the lock against pyproject.toml (lock-stale). The stamp records git's index, because a checkout can
write files inside the env; but every `git add`, commit or `git status` rewrites the index, so in a git repository
doctor compared the env with the lock almost every time (the sync's selection cache, hashlib and the lock's
selection imported: ~15 M instructions of a ~225 M doctor).

Of what those two checks read, the stamp leaves out only the files inside each distribution's folder: the
`METADATA` of each `*.dist-info` and the `PKG-INFO` of each `*.egg-info` (`inspection.installed_distributions` and
`seed_closure` read them; the stamp lists the folders, not their files). Everything else they read is an input the
stamp compares (the lock, pyproject.toml, the selection, the settings' variables and file, the site-packages
listings, the interpreter the env's python resolves to), or the base's identity in corral's probe cache, or
pyvenv.cfg, which is observed here too.

So after a check whose comparisons found nothing (other checks' findings, a pip to upgrade, do not count) while
the stamp held in all but git's index, doctor records the stamp's identity and each of those files' (`observe`:
device, inode, mode, size, mtime and, but for the metadata, ctime of the file a read reaches, or its absence),
taken before the checks read them and again after. A later doctor for which the stamp holds in all but git's
index, and whose observation is the recorded one, skips both checks: each of their inputs is what it was when
they found nothing. Anything else runs them: another observation, a file changed within a clock tick of the
observation (its stat could hide the next write), a file that cannot be stat'ed, another corral.

The record lives in corral's cache (`doctor-records/<64-bit FNV-1a of the env's path>.json`, the path inside).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from corral import __version__
from corral.core.env import Env
from corral.infra.safe_read import read_small

TYPE_CHECKING = False  # typing itself is not imported here
if TYPE_CHECKING:
    from typing import Final

__all__ = ["RECORDS_FOLDER", "matches", "observe", "record_file", "write"]

RECORDS_FOLDER: Final = "doctor-records"
_SCHEMA: Final = 1
_LIMIT: Final = 16 << 20
_FINE_NS: Final = 50_000_000  # a nanosecond clock ticks at least every 10 ms: five ticks
_COARSE_NS: Final = 2_000_000_000  # times rounded to the second (or Windows' lazy updates)
_METADATA: Final = {"dist-info": "METADATA", "egg-info": "PKG-INFO"}


def record_file(cache: Path, env: Path) -> Path:
    """The record of `env` in corral's cache folder `cache`."""
    value = 0xCBF29CE484222325
    for byte in str(env).encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return cache / RECORDS_FOLDER / f"{value:016x}.json"


def _row(path: Path, now: int, *, ctime: bool = True) -> list[object] | None:
    """[path, mode, dev, ino, size, mtime_ns(, ctime_ns)] of the file a read of `path` reaches ([path]: none there).

    None when it cannot be told (a stat error other than absence), or it changed so recently that its stat may not
    show the next write yet. `ctime=False`: a distribution's metadata, which uv links from its cache: every env
    made from that cache since changes its ctime (the link count). Its inode, size and mtime are what the sync stamp
    records of the files directly in site-packages; a file git or an installer writes is a new inode.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return [str(path)]
    except OSError:
        return None
    margin = _FINE_NS if os.name == "posix" and st.st_ctime_ns % 1_000_000 else _COARSE_NS
    if st.st_ctime_ns + margin > now:
        return None
    row: list[object] = [str(path), st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return [*row, st.st_ctime_ns] if ctime else row


def observe(env: Path, stamp: Path) -> list[list[object]] | None:
    """The identity of the stamp, pyvenv.cfg and every distribution's metadata file in `env`; None when unsure."""
    now = time.time_ns()
    rows: list[list[object]] = []
    for path in (stamp, env / "pyvenv.cfg"):
        row = _row(path, now)
        if row is None or len(row) == 1:
            return None
        rows.append(row)
    for site in Env.at(env).site_packages():  # the folders the stamp and the drift check read
        try:
            names = sorted(os.listdir(site))
        except OSError:
            return None
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not (dot and stem) or suffix not in _METADATA:
                continue
            row = _row(site / name / _METADATA[suffix], now, ctime=False)
            if row is None:
                return None
            rows.append(row)
    return rows


def matches(cache: Path, env: Path, rows: list[list[object]]) -> bool:
    """The record of `env` holds exactly the observation `rows` (written by this corral)."""
    try:
        data = json.loads(read_small(record_file(cache, env), limit=_LIMIT, what="doctor record", follow=False))
    except (OSError, ValueError, RecursionError):
        return False
    return (
        isinstance(data, dict)
        and data.get("schema") == _SCHEMA
        and data.get("corral") == __version__
        and data.get("env") == str(env)
        and data.get("rows") == rows
    )


def write(cache: Path, env: Path, rows: list[list[object]]) -> None:
    """Record the observation `rows` of a healthy `env` (atomically; a failure only costs the next doctor time)."""
    from corral.infra.fs import atomic_write_text

    text = json.dumps({"schema": _SCHEMA, "corral": __version__, "env": str(env), "rows": rows})
    path = record_file(cache, env)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
