"""A project env that is a mount point of its own (a devcontainer's or Docker's volume at `.venv`).

corral builds a rebuilt env beside the old one and swaps the two (`services.recreate`: renameat2 exchange, else
two renames); a mount point takes part in neither (EBUSY). A sync that must rebuild (here: the project re-pinned
to another Python) failed with "..venv.corral-new-XXXXXXXX: Device or resource busy; check the path", naming a
temporary folder, left that folder and recreate's journal behind (doctor: "recreate-unfinished ... fix: corral
recreate --resume", which fails the same way), and every later sync and run failed alike. It should refuse before
building anything, in one line that names the mount point and what to do; nothing of corral's left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from support.full_disk import tmpfs

pytestmark = pytest.mark.integration


def test_a_rebuild_of_an_env_that_is_a_mount_point_is_refused_in_one_line(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_SEED", "false")
    pyenv_python("3.13")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["alpha"]\n',
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    with tmpfs(root / ".venv", "50m"):
        os.chmod(root / ".venv", 0o755)  # noqa: S103 - a tmpfs root is world-writable: corral would not trust it
        assert corral("sync", cwd=root).exit_code == 0  # an empty mount point: the env is made inside it
        (root / ".python-version").write_text("3.13\n", encoding="utf-8")
        done = corral("sync", cwd=root)
        errors = [line for line in done.stderr.splitlines() if "error:" in line]
        assert done.exit_code != 0 and len(errors) == 1, done.stderr
        assert "mount point" in errors[0], errors[0]
        assert ".corral-new-" not in errors[0]
        assert sorted(p.name for p in root.iterdir() if ".corral-" in p.name) == []
        assert not list(Path(os.environ["CORRAL_HOME"]).glob("data/journals/*.recreate.json"))
        assert (root / ".venv" / "pyvenv.cfg").is_file()  # the old env is still there, still usable
