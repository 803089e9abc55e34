"""`corral add` on a disk with no room for the candidate lock: one error, and nothing of corral's left in the project.

`add` writes the lock it is about to try beside pylock.toml (`.pylock.toml.corral-candidate-XXXXXXXX.tmp`, so its
relative paths resolve alike) before it installs anything. On a full disk that write fails half way, and the
partial file stayed in the project while the error said "corral replaces files atomically: nothing was
half-written" (the next command's recovery removed it; a `git add -A` before that committed it). The project, the
env and corral's folders live on separate file systems here, so the candidate is the first write that fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from support.full_disk import fill, tmpfs

pytestmark = pytest.mark.integration


def test_add_that_cannot_write_its_candidate_lock_leaves_nothing_behind(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_SEED", "false")
    with tmpfs(tmp_path / "disk", "1m") as disk:
        root = disk / "proj"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["alpha"]\n',
            encoding="utf-8",
        )
        (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
        with tmpfs(root / ".venv", "30m"):
            os.chmod(root / ".venv", 0o755)  # noqa: S103 - a tmpfs root is world-writable: corral would not trust it
            assert corral("sync", cwd=root).exit_code == 0
            files = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
            fill(disk)
            done = corral("add", "delta", cwd=root)
            errors = [line for line in done.stderr.splitlines() if "error:" in line]
            assert done.exit_code == 1 and len(errors) == 1, done.stderr
            assert "No space left on device" in errors[0]
            assert {name: (root / name).read_bytes() for name in files} == files
            leftovers = sorted(p.name for p in root.iterdir() if ".corral-" in p.name)
            assert leftovers == [], f"{leftovers} left in the project; the error said: {errors[0]}"
