"""The trust entry's creation time (`services.trust.record_created`): datetime's ISO form, written without datetime.

A real env folder (pyvenv.cfg) and corral's trust record in a temporary data folder.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from corral.infra.paths import CorralPaths
from corral.services.trust import TRUST_FILE, record_created


def test_created_at_is_utc_iso_to_the_second(tmp_path: Path) -> None:
    paths = CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")
    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    before = int(time.time())
    assert record_created(paths, env, warn=False)
    after = time.time()
    entry = json.loads((paths.data / TRUST_FILE).read_text(encoding="utf-8"))["created"][str(env.resolve())]
    written = entry["created_at"]
    when = datetime.fromisoformat(written)
    assert when.tzinfo == timezone.utc
    assert written == when.isoformat(timespec="seconds"), "datetime's own spelling"
    assert before <= when.timestamp() <= after
