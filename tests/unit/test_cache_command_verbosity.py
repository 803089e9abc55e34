"""`corral cache ACTION -v` says what was kept (the summary's advice works), one line per entry, whatever its name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Corral


def cache() -> Path:
    return Path(os.environ["CORRAL_HOME"]) / "cache"


@pytest.mark.parametrize("action", ["clean", "prune"])
def test_v_after_the_action_lists_what_was_kept(corral: Corral, action: str) -> None:
    # given: a file of the user's in corral's cache
    cache().mkdir(parents=True)
    (cache() / "notes").write_text("mine", encoding="utf-8")
    (cache() / "quick-records").mkdir()
    (cache() / "quick-records" / "README").write_text("mine", encoding="utf-8")
    # when: without -v the summary advises it; with -v after the action, as advised
    terse = corral("cache", action, "--dry-run")
    told = corral("cache", action, "--dry-run", "-v")
    # then
    assert terse.exit_code == 0, terse.stderr
    if action == "clean":
        assert "-v says why" in terse.stderr
        assert told.exit_code == 0, told.stderr
        assert "kept notes: not corral's" in told.stderr
    else:
        assert told.exit_code == 0, told.stderr
    assert corral("cache", "-v", action, "--dry-run").stderr == told.stderr


def test_a_name_holding_a_newline_stays_one_line(corral: Corral) -> None:
    # given: an entry whose name holds a newline and an escape sequence
    (cache() / "quick-records").mkdir(parents=True)
    (cache() / "quick-records" / "a\nkept everything\x1b[2J").write_text("mine", encoding="utf-8")
    (cache() / "odd\nname").write_text("mine", encoding="utf-8")
    # when
    done = corral("cache", "clean", "-v")
    shown = corral("cache", "info")
    # then: each kept entry on a line of its own, its name escaped
    assert done.exit_code == 0, done.stderr
    kept = [line for line in done.stderr.splitlines() if line.startswith("kept ")]
    assert sorted(kept) == [
        "kept odd\\nname: not corral's",
        "kept quick-records/a\\nkept everything\\x1b[2J: not corral's",
    ]
    assert "kept everything" not in done.stderr.replace("a\\nkept everything", "")
    assert "not corral's (left alone): odd\\nname" in shown.stderr
    assert (cache() / "odd\nname").is_file()
