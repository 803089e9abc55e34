"""What the full `corral sync` that makes a new env imports before it hands the lock to uv (issue 16).

The full path pays for every module it imports before uv starts. A project is locked and synced once (which
fills the selection cache and the interpreter cache), its env is deleted, and `python -X importtime -m corral
sync` makes it again: the modules below are the ones that path once imported only for rare branches (a probe
to run, a warning to log, uv's own finder). A warning logged later still reaches the user as corral's own line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project

from conftest import pyenv_python

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

W = "py2.py3-none-any.whl"
# imported only for what this path never does: probe an interpreter (threads), log a warning, ask `uv.find_uv_bin`,
# size the terminal for a help text (argparse's formatter), make a temporary file with tempfile (both import shutil),
# check the doctor's findings (doctor.pip)
RARE = ("concurrent.futures", "logging", "uv", "sysconfig", "shutil", "tempfile", "corral.doctor")


def _sync(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )


def _imported(done: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_a_new_env_is_made_without_the_rare_branches_imports(
    tmp_path: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("CORRAL_SEED", "0")  # a seeded env's pip is checked after the install (doctor.pip, rmtree)
    pyenv_python("3.12")
    root = write_project(tmp_path / "proj", deps=["beta"])
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    write_lock(root, local_index, [Entry(f"alpha-1.1-{W}"), Entry(f"beta-1.0-{W}")], dict(os.environ))
    first = _sync(root)
    assert first.returncode == 0, first.stderr[-3000:]
    shutil.rmtree(root / ".venv")

    again = _sync(root)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "installing 2 package(s): alpha, beta" in again.stderr
    modules = _imported(again)
    seen = {"corral.services.create", "corral.services.sync.apply", "subprocess"}
    assert seen <= modules, "the detector sees the path"
    assert [m for m in RARE if m in modules] == []


def test_a_warning_logged_after_the_lazy_import_is_corrals_own_line() -> None:
    code = (
        "import sys\n"
        "from corral.render.output import Output, attach_logging\n"
        "attach_logging(Output())\n"
        "assert 'logging' not in sys.modules\n"
        "import logging\n"
        "assert logging.__spec__.loader is logging.__loader__\n"
        "assert not [f for f in sys.meta_path if type(f).__name__ == '_AttachOnImport']\n"
        "logging.getLogger('corral.inventory').warning('could not record %s', 'env\\x1b')\n"
        "logging.getLogger('corral.inventory').info('detail for -v only')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "warning: could not record env\\x1b\n"
