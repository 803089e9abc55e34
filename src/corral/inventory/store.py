"""The inventory database: SQLite in WAL mode with a busy timeout and a versioned schema.

Every write runs in its own `BEGIN IMMEDIATE` transaction, so several corral processes can register,
touch and forget envs at once: SQLite serialises the writers and readers never block. The schema
version lives in the `meta` table; a database written by a newer corral is refused, not rewritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from corral.errors import EnvError
from corral.inventory.model import EnvRecord
from corral.inventory.pending import pending_rows

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final, final

    from corral.infra.paths import CorralPaths
else:

    def final(cls: type) -> type:  # typing.final: a mark for type checkers only
        return cls


__all__ = ["DB_NAME", "SCHEMA_VERSION", "Store", "env_key"]

DB_NAME: Final = "inventory.sqlite3"
SCHEMA_VERSION: Final = 1
_BUSY_MS: Final = 30_000
_OPEN_ATTEMPTS: Final = 20
# The WAL keeps its largest size once a checkpoint has folded it in (SQLite reuses the file, and corral's connections
# leave it at close); many corral processes at once (a parallel test run, a CI) grew it to 13 MB here. A connection
# that finds it larger folds it in and truncates it, unless a reader holds it (then a later connection does).
_WAL_LIMIT_BYTES: Final = 4 << 20

_COLUMNS: Final = "path, kind, project, interpreter, version, creator, created_at, last_used, source, extra"
_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    (
        "CREATE TABLE IF NOT EXISTS envs ("
        " path TEXT PRIMARY KEY, kind TEXT NOT NULL, project TEXT, interpreter TEXT, version TEXT, creator TEXT,"
        " created_at REAL NOT NULL, last_used REAL, source TEXT NOT NULL DEFAULT 'corral', extra TEXT)"
    ),
    # trash folders a removal renamed but may not have finished deleting (gc finishes them)
    "CREATE TABLE IF NOT EXISTS trash (path TEXT PRIMARY KEY, env TEXT NOT NULL, since REAL NOT NULL)",
)


def env_key(path: str | os.PathLike[str]) -> str:
    """The key an env is stored under: absolute and normalised, symlinks left as they are."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))


@final
class Store:
    """A connection to the inventory; use as a context manager (or call close())."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._conn = _connect(db_path)

    @classmethod
    def open(cls, paths: CorralPaths) -> Store:
        """The inventory in corral's data folder."""
        return cls(paths.data / DB_NAME)

    def __enter__(self) -> Store:  # noqa: PYI034 - final (typing.final is a type checkers' mark here)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: takes the write lock up front, waits up to the busy timeout)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def upsert(self, record: EnvRecord, *, keep_existing: bool = False) -> bool:
        """Insert or replace `record`; with keep_existing a known path is left alone. True when written."""
        verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
        with self.write() as conn:
            cur = conn.execute(f"{verb} INTO envs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", _values(record))
            return cur.rowcount > 0

    def upsert_many(self, records: Iterable[EnvRecord], *, keep_existing: bool = True) -> int:
        """Insert many records in one transaction; returns how many were new."""
        verb = "INSERT OR IGNORE" if keep_existing else "INSERT OR REPLACE"
        added = 0
        with self.write() as conn:
            for record in records:
                cur = conn.execute(f"{verb} INTO envs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", _values(record))
                added += cur.rowcount
        return added

    def set_versions(self, versions: Iterable[tuple[str, str, str | None]]) -> int:
        """(path, version, interpreter or None to keep it) of known envs whose Python changed; how many changed."""
        changed = 0
        with self.write() as conn:
            for path, version, interpreter in versions:
                cur = conn.execute(
                    "UPDATE envs SET version = ?1, interpreter = COALESCE(?2, interpreter) WHERE path = ?3 "
                    "AND (version IS NOT ?1 OR (?2 IS NOT NULL AND interpreter IS NOT ?2))",
                    (version, interpreter, env_key(path)),
                )
                changed += cur.rowcount
        return changed

    def touch(self, path: str, when: float | None = None) -> bool:
        """Set last_used; False when the path is not in the inventory."""
        with self.write() as conn:
            cur = conn.execute("UPDATE envs SET last_used = ? WHERE path = ?", (when or time.time(), path))
            return cur.rowcount > 0

    def delete(self, path: str) -> bool:
        """Drop a record; False when it was not there."""
        with self.write() as conn:
            return conn.execute("DELETE FROM envs WHERE path = ?", (path,)).rowcount > 0

    def get(self, path: str) -> EnvRecord | None:
        """The record for `path`, if any."""
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM envs WHERE path = ?", (path,)).fetchone()  # noqa: S608 - constant column list
        return EnvRecord.from_row(row) if row else None

    def all(self) -> list[EnvRecord]:
        """Every record, by path."""
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM envs ORDER BY path").fetchall()  # noqa: S608 - constant
        return [EnvRecord.from_row(r) for r in rows]

    def add_trash(self, trash: str, env: str) -> None:
        """Remember a trash folder before the rename that creates it."""
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO trash (path, env, since) VALUES (?,?,?)", (trash, env, time.time()))

    def drop_trash(self, trash: str) -> None:
        """Forget a trash folder once it is gone."""
        with self.write() as conn:
            conn.execute("DELETE FROM trash WHERE path = ?", (trash,))

    def pending_trash(self) -> list[tuple[str, str]]:
        """(trash folder, env it was) pairs still to finish."""
        return list(self._conn.execute("SELECT path, env FROM trash ORDER BY path").fetchall())


def _values(record: EnvRecord) -> tuple[object, ...]:
    return (
        env_key(record.path),
        record.kind,
        record.project,
        record.interpreter,
        record.version,
        record.creator,
        record.created_at,
        record.last_used,
        record.source,
        json.dumps(record.extra) if record.extra else None,
    )


def _connect(db_path: Path) -> sqlite3.Connection:
    """Open, switch to WAL and migrate, retrying while another process holds the first-time setup lock."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"cannot create corral's data folder {db_path.parent}: {err}; set CORRAL_HOME to a writable folder"
        raise EnvError(msg) from err
    last: sqlite3.OperationalError | None = None
    for attempt in range(_OPEN_ATTEMPTS):
        conn = sqlite3.connect(str(db_path), timeout=_BUSY_MS / 1000, isolation_level=None)
        setconfig = getattr(conn, "setconfig", None)  # Python 3.12+
        if setconfig is not None:
            # Closing the last connection would copy the WAL into the file and sync it (1-10 ms for every env made,
            # a `corral sync` waits for it before uv starts); a later commit's automatic checkpoint does it instead.
            setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)  # type: ignore[attr-defined,unused-ignore]
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            _set_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn, db_path)
            _cut_wal(conn, db_path)
            _fold_pending(conn, db_path)
        except sqlite3.OperationalError as err:
            conn.close()
            last = err
            if "locked" not in str(err) and "busy" not in str(err):
                break
            time.sleep(0.01 * (attempt + 1))
            continue
        except BaseException:
            conn.close()
            raise
        return conn
    msg = (
        f"cannot open the inventory {db_path}: {last}; check the folder's permissions or delete the file to start over"
    )
    raise EnvError(msg)


def _cut_wal(conn: sqlite3.Connection, db_path: Path) -> None:
    """Fold a WAL grown past `_WAL_LIMIT_BYTES` into the database and truncate it, without waiting for anyone."""
    try:
        if os.stat(f"{db_path}-wal").st_size <= _WAL_LIMIT_BYTES:
            return
    except OSError:
        return
    conn.execute("PRAGMA busy_timeout = 0")
    try:  # busy (a reader or writer holds it): left as it is, for a later connection
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")


def _fold_pending(conn: sqlite3.Connection, db_path: Path) -> None:
    """The rows noted as files (`inventory.pending`, the rebuild replay's) written in, in their order; files removed.

    Before the connection serves anyone, so every reader and writer sees them. A file whose row is not to be folded
    (its folder gone or another now, or not a row) is removed too. Removed only after the commit: a kill between
    leaves files whose rows the next connection writes again, the same.
    """
    found = pending_rows(str(db_path.parent))
    if not found:
        return
    rows = [row for _, row in found if row is not None]
    try:
        _write_rows(conn, rows)
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise  # `_connect` tries again
        return  # a database this process cannot write (read-only): the rows wait for a connection that can
    for path, _ in found:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _write_rows(conn: sqlite3.Connection, rows: list[dict[str, object]]) -> None:
    """Insert or replace `rows` (`pending.note_made`'s fields) in one transaction; none: nothing."""
    if not rows:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for row in rows:
            conn.execute(
                f"INSERT OR REPLACE INTO envs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608 - constant
                _values(EnvRecord(**row)),  # type: ignore[arg-type]  # checked by pending._shaped
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _set_wal(conn: sqlite3.Connection) -> None:
    # journal_mode is persistent in the file: only the first opener has to switch it (which needs the lock).
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


def _migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    row = None
    with contextlib.suppress(sqlite3.OperationalError):  # no meta table yet
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(row[0]) == SCHEMA_VERSION:
        return
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        msg = (
            f"the inventory {db_path} has schema {row[0]}, newer than this corral understands "
            f"({SCHEMA_VERSION}); upgrade corral, or point CORRAL_HOME elsewhere"
        )
        raise EnvError(msg)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
