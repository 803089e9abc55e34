"""Small on-disk env shapes for the inventory unit tests (real folders and links, no interpreter run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE_HOME = str(Path(sys.executable).resolve().parent)


def fake_env(
    root: Path,
    *,
    version: str = "3.12.1",
    home: str | None = None,
    python_target: str | None = None,
    location: str | None = None,
    activate: str | None = None,
    provenance: bool = False,
    kind: str = "project",
    project: str | None = None,
) -> Path:
    """A PEP 405 shaped folder: pyvenv.cfg, bin/python link, bin/activate, optional corral-env.json."""
    (root / "bin").mkdir(parents=True)
    (root / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = {home or BASE_HOME}\nversion_info = {version}\n", encoding="utf-8")
    os.symlink(python_target or str(Path(sys.executable).resolve()), root / "bin" / "python")
    (root / "bin" / "activate").write_text(f"VIRTUAL_ENV='{activate or root}'\nexport VIRTUAL_ENV\n", encoding="utf-8")
    if provenance or location:
        record = {
            "corral_version": "0",
            "creator": "uv",
            "location": location or str(root),
            "interpreter": "x",
            "interpreter_realpath": "x",
            "python_version": version,
            "implementation": "CPython",
            "project": project,
            "created_at": "2026-01-01T00:00:00+00:00",
            "kind": kind,
        }
        (root / "corral-env.json").write_text(json.dumps(record), encoding="utf-8")
    return root
