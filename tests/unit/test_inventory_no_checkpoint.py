"""The inventory under Python 3.12+: closing a connection leaves the WAL as it is (no checkpoint, no sync).

Every env corral makes is registered before `corral sync` starts uv; the checkpoint a closing connection used to run
copied the WAL into the database file and synced it. The commits are kept all the same: another process reads
every record, and a later commit's automatic checkpoint folds the WAL in. The dev venv may run an older Python,
so the store is driven by the pyenv 3.12 interpreter here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import corral
from conftest import pyenv_python

_REGISTER = """
import json, sys
from pathlib import Path
from corral.infra.paths import CorralPaths
from corral.inventory.record import known, register_env
root = Path(sys.argv[1])
paths = CorralPaths(data=root / "data", cache=root / "cache", config=root / "config")
for i in range(int(sys.argv[2])):
    register_env(paths, path=root / f"env{i}", kind="script", project=None, interpreter=None, version="3.12.1",
                 creator="uv")
print(json.dumps(sorted(p.name for p in (root / "data").iterdir())))
"""

_READ = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("SELECT count(*) FROM envs").fetchone()[0])
"""


def _python(code: str, *args: str) -> str:
    python = pyenv_python("3.12")
    src = str(Path(corral.__file__).parent.parent)
    done = subprocess.run(
        [str(python), "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONPATH": src},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_closed_connection_leaves_the_wal_and_every_record_is_read(tmp_path: Path) -> None:
    files = json.loads(_python(_REGISTER, str(tmp_path), "3"))
    assert files == ["inventory.sqlite3", "inventory.sqlite3-shm", "inventory.sqlite3-wal"]
    assert _python(_READ, str(tmp_path / "data" / "inventory.sqlite3")).strip() == "3"


def test_the_wal_is_folded_in_by_later_commits(tmp_path: Path) -> None:
    _python(_REGISTER, str(tmp_path), "400")  # a few pages a commit: well past the 1000-page automatic checkpoint
    assert _python(_READ, str(tmp_path / "data" / "inventory.sqlite3")).strip() == "400"
    alone = tmp_path / "alone.sqlite3"  # the database file without its WAL: what the checkpoints folded in
    shutil.copyfile(tmp_path / "data" / "inventory.sqlite3", alone)
    assert int(_python(_READ, str(alone))) > 0


_GROW = """
import os, sqlite3, sys
from pathlib import Path
from corral.infra.paths import CorralPaths
from corral.inventory.record import register_env
root = Path(sys.argv[1])
paths = CorralPaths(data=root / "data", cache=root / "cache", config=root / "config")
register_env(paths, path=root / "env0", kind="script", project=None, interpreter=None, version="3.12.1", creator="uv")
db = str(root / "data" / "inventory.sqlite3")


def connect():  # as corral's own connections: closing one leaves the WAL (infra: inventory.store)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
    return conn


conn, reader = connect(), connect()  # a burst of writes while a reader holds the WAL: no checkpoint, it grows
conn.execute("CREATE TABLE filler (x TEXT)")
reader.execute("BEGIN")
reader.execute("SELECT count(*) FROM envs").fetchone()
for _ in range(4000):
    conn.execute("INSERT INTO filler VALUES (?)", ("x" * 1000,))
reader.execute("COMMIT")
reader.close()
conn.execute("DROP TABLE filler")
conn.close()
grown = os.path.getsize(db + "-wal")
register_env(paths, path=root / "env1", kind="script", project=None, interpreter=None, version="3.12.1", creator="uv")
print(grown, os.path.getsize(db + "-wal"))
"""


def test_the_wal_a_burst_grew_is_cut_back_after_a_checkpoint(tmp_path: Path) -> None:
    grown, after = (int(n) for n in _python(_GROW, str(tmp_path)).split())
    assert grown > 4_000_000  # the burst did grow it
    assert after <= 4 << 20  # corral's next connection cut it back
