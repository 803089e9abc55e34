"""`cli.doctor_quick`'s metadata probe: a file's stat, and its bytes' digest read again only when its ctime alone moved.

Real files in a temporary folder (no env needed: the probe is a stat and a read).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from corral.cli.doctor_quick import _metadata_holds, probe


def recorded(path: Path) -> str:
    return probe("m", str(path))[0]


def later() -> None:
    time.sleep(0.02)  # past a coarse clock's tick: the next change shows in the ctime


def test_another_link_moves_the_ctime_and_the_digest_still_vouches(tmp_path: Path) -> None:
    meta = tmp_path / "METADATA"
    meta.write_text("Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n", encoding="utf-8")
    seen = recorded(meta)
    assert _metadata_holds(str(meta), seen)
    later()
    os.link(meta, tmp_path / "elsewhere")  # uv links the file into another env
    assert recorded(meta) != seen
    assert _metadata_holds(str(meta), seen)


def test_an_edit_in_place_with_its_mtime_given_back_does_not_hold(tmp_path: Path) -> None:
    meta = tmp_path / "METADATA"
    meta.write_text("Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n", encoding="utf-8")
    seen = recorded(meta)
    before = meta.stat()
    later()
    with meta.open("r+", encoding="utf-8") as handle:
        handle.write("Metadata-Version: 2.1\nName: alpha\nVersion: 9.0\n")
    os.utime(meta, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (meta.stat().st_ino, meta.stat().st_size, meta.stat().st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    assert not _metadata_holds(str(meta), seen)


def test_an_absent_file_holds_while_absent(tmp_path: Path) -> None:
    """An `*.egg-info` file (distutils) is the metadata itself: its `PKG-INFO` probe is of nothing, and stays so."""
    egg = tmp_path / "old-1.0.egg-info"
    egg.write_text("Metadata-Version: 1.0\nName: old\nVersion: 1.0\n", encoding="utf-8")
    seen = recorded(egg / "PKG-INFO")
    assert seen == "-"
    assert _metadata_holds(str(egg / "PKG-INFO"), seen)
    meta = tmp_path / "METADATA"
    meta.write_text("x\n", encoding="utf-8")
    present = recorded(meta)
    meta.unlink()
    assert not _metadata_holds(str(meta), present)
