"""A lock whose file URLs carry credentials (written by another tool or by hand) leaves no token in corral's files.

corral's own lock writer strips credentials, but a pylock.toml can come from anywhere. The sync stamp and quick
records hold such values by digest; the rebuild record (`cli.headstart`, which holds uv's command and input) and the
selection cache (`services.sync.selection_cache`, a 0644 file) are not written at all for such a lock.
"""

# The fixtures come from test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest
from test_headstart import cli, rebuild
from test_sync_one_install import cached_index, installed, make_project  # noqa: F401 - a fixture

if TYPE_CHECKING:
    from pathlib import Path

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

TOKEN = "TOKEN-3c9e7a1f"  # noqa: S105 - a marker, not a password


@pytest.mark.parametrize("seed", ["1", "0"])  # seeded: requirement lines; without pip: a pylock.toml of the files
def test_no_file_of_corral_holds_a_lock_urls_token(
    seed: str,
    tmp_path: Path,
    cached_index: LocalIndex,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CORRAL_HOME", str(home))
    monkeypatch.setenv("CORRAL_SEED", seed)
    root = make_project(tmp_path, cached_index)
    lock = root / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    assert "http://127.0.0.1" in text
    lock.write_text(text.replace("http://127.0.0.1", f"http://user:{TOKEN}@127.0.0.1"), encoding="utf-8")
    time.sleep(0.1)  # the lock settled: a record would be written
    cli(root, "sync")
    time.sleep(0.1)
    rebuild(root, tmp_path / "events.log")  # the rebuild that writes a rebuild record for an ordinary lock
    assert {"alpha", "beta"} <= set(installed(root))
    leaks = []
    for folder, _, names in os.walk(home):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    data = handle.read()
                    if TOKEN.encode() in data or TOKEN.encode().hex().encode() in data:  # records hex their texts
                        leaks.append(os.path.relpath(path, home))
    assert leaks == [], f"the token was written to {leaks}"
