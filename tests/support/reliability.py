"""Helpers shared by the reliability and security tests: tree hashes, fake envs, subprocess environments."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from conftest import corral_exe

__all__ = ["corral_cmd", "fake_env", "subprocess_environ", "tree_digest"]


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> content hash (or link target / 'dir') of everything under `folder`, symlinks not followed."""
    out: dict[str, str] = {}
    if folder.is_symlink():
        return {".": "link:" + os.readlink(folder)}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            rel = str(full.relative_to(folder))
            if full.is_symlink():
                out[rel] = "link:" + os.readlink(full)
            elif full.is_dir():
                out[rel] = "dir"
            else:
                st = full.stat()
                out[rel] = f"{hashlib.sha256(full.read_bytes()).hexdigest()}:{st.st_mode:o}:{st.st_uid}"
    return out


def fake_env(path: Path, *, corral_record: bool = True) -> Path:
    """A minimal PEP 405 env at `path` (pyvenv.cfg, bin/python link, site-packages), optionally with corral's record."""
    (path / "bin").mkdir(parents=True, exist_ok=True)
    (path / "lib" / "python3.11" / "site-packages").mkdir(parents=True, exist_ok=True)
    (path / "pyvenv.cfg").write_text(f"home = {Path(sys.base_prefix) / 'bin'}\nversion = 3.11.2\n", encoding="utf-8")
    link = path / "bin" / "python"
    if not link.exists():
        link.symlink_to(sys.executable)
    if corral_record:
        record: dict[str, object] = {
            "creator": "uv",
            "location": str(path),
            "interpreter": sys.executable,
            "project": None,
            "options": {},
            "kind": "project",
            "corral_version": "0",
        }
        (path / "corral-env.json").write_text(json.dumps(record), encoding="utf-8")
    return path


def subprocess_environ(index_url: str | None = None, **extra: str) -> dict[str, str]:
    """This process's (already isolated) environment for a corral subprocess, pointed at the local index."""
    environ = dict(os.environ)
    if index_url:
        environ["UV_INDEX_URL"] = environ["PIP_INDEX_URL"] = index_url
    environ.update(extra)
    return environ


def corral_cmd(*args: str) -> list[str]:
    """argv for a corral subprocess."""
    return [*corral_exe(), *args]
