"""Rewrite the absolute env path baked into scripts, activation files, pyvenv.cfg and corral's record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from corral.core.env import Env
from corral.core.provenance import PROVENANCE_FILE
from corral.infra.envfiles import read_pyvenv_cfg
from corral.infra.fs import atomic_write_bytes, atomic_write_text
from corral.infra.json_file import read_json_cache
from corral.infra.safe_read import read_small

__all__ = ["relocate_paths"]

_ACTIVATION_PREFIXES = ("activate", "Activate", "deactivate")
_MAX_SCRIPT = 1 << 20


def _rewrite_script(path: Path, old: bytes, new: bytes) -> bool:
    data = read_small(path, limit=_MAX_SCRIPT, what="console script")
    if not data.startswith(b"#!") or old not in data[:1024]:
        return False
    lines = data.split(b"\n", 2)
    head = b"\n".join(lines[:2]).replace(old + b"/", new + b"/")  # only the #! line and pip's '''exec' line
    atomic_write_bytes(path, head + (b"\n" + lines[2] if len(lines) > 2 else b""))  # noqa: PLR2004
    return True


def relocate_paths(root: Path, old: str, new: str) -> list[str]:  # noqa: C901 - one flat pass over bin/, cfg, record
    """Make the env at `root`, built or last recorded at `old`, valid at `new`; returns the files changed."""
    changed: list[str] = []
    old_b, new_b = os.fsencode(old), os.fsencode(new)
    bin_dir = Env.at(root).bin_dir
    for entry in sorted(os.scandir(bin_dir), key=lambda e: e.name) if bin_dir.is_dir() else []:
        path = Path(entry.path)
        if entry.is_symlink():
            target = os.readlink(path)
            if target == old or target.startswith(old + os.sep):
                tmp = path.with_name(f".{path.name}.relink")
                os.symlink(new + target[len(old) :], tmp)
                os.replace(tmp, path)
                changed.append(entry.name)
            continue
        if not entry.is_file() or entry.stat().st_size > _MAX_SCRIPT:
            continue
        if entry.name.startswith(_ACTIVATION_PREFIXES):
            data = read_small(path, limit=_MAX_SCRIPT, what="activate script")
            if old_b in data:
                atomic_write_bytes(path, data.replace(old_b, new_b))
                changed.append(entry.name)
        elif _rewrite_script(path, old_b, new_b):
            changed.append(entry.name)
    cfg = root / "pyvenv.cfg"
    text = read_pyvenv_cfg(root).decode("utf-8")
    if old in text:
        atomic_write_text(cfg, text.replace(old, new))
        changed.append("pyvenv.cfg")
    record = root / PROVENANCE_FILE
    if record.is_file():
        record_data = read_json_cache(record, follow=False)  # None: not a file or damaged, left alone
        if record_data is not None and record_data.get("location") != new:
            record_data["location"] = new
            atomic_write_text(record, json.dumps(record_data, indent=2) + "\n")
            changed.append(PROVENANCE_FILE)
    return changed
