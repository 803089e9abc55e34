"""`corral recreate`: rebuilt beside the old env, swapped atomically; SIGKILL at any point leaves a working env."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from support.envs import corral_cli, env_python, lock_and_sync, make_project, run
from support.journals import pending_journals

pytestmark = pytest.mark.integration


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha==1.0", "cowsay-lite"])
    lock_and_sync(root)
    return root


def _works(root: Path) -> None:
    done = run([env_python(root), "-c", "import alpha, cowsay_lite; print(alpha.__version__)"])
    assert done.returncode == 0 and done.stdout.strip() == "1.0", done.stderr
    assert run([root / ".venv/bin/cowsay-lite"]).returncode == 0


def _created_at(root: Path) -> str:
    return str(json.loads((root / ".venv/corral-env.json").read_text())["created_at"]) + str(
        (root / ".venv/pyvenv.cfg").stat().st_ino
    )


def test_recreate_rebuilds_from_the_lock_and_swaps_atomically(synced: Path, corral: object) -> None:
    before = _created_at(synced)
    done = corral("recreate", "--yes", cwd=synced)  # type: ignore[operator]
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "from the lock (atomic exchange)" in done.stdout
    assert _created_at(synced) != before
    _works(synced)
    record = json.loads((synced / ".venv/corral-env.json").read_text())
    assert record["location"] == str(synced / ".venv")
    assert not list(synced.glob(".venv.corral-*")) and not pending_journals()


def test_recreate_without_tty_or_yes_refuses(synced: Path) -> None:
    done = corral_cli("recreate", cwd=synced)
    assert done.returncode == 2 and "pass --yes" in done.stderr


@pytest.mark.parametrize(
    ("point", "fallback"),
    [
        ("recreate:created", False),
        ("recreate:synced", False),
        ("recreate:before-swap", False),
        ("recreate:swapped", False),
        ("recreate:cleaned", False),
        ("recreate:half-swapped", True),
    ],
)
def test_sigkill_during_recreate_leaves_a_working_env(synced: Path, point: str, fallback: bool) -> None:
    extra = {"CORRAL_FAULT": point}
    if fallback:
        extra["CORRAL_NO_RENAME_EXCHANGE"] = "1"
    killed = corral_cli("recreate", "--yes", cwd=synced, extra_env=extra)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [p.name for p in pending_journals() if p.name.endswith(".recreate.json")]
    if point != "recreate:half-swapped":
        _works(synced)  # old or new, never half of one
    doctor = corral_cli("doctor", cwd=synced)
    if point != "recreate:half-swapped":
        assert "recreate-unfinished" in doctor.stdout
    resumed = corral_cli("recreate", "--resume", cwd=synced)  # what the next corral command does first
    assert resumed.returncode == 0, resumed.stderr
    _works(synced)
    assert not list(synced.glob(".venv.corral-*")) and not pending_journals()
    assert not (synced / ".venv/.corral-recreate-id").exists()
    again = corral_cli("recreate", "--yes", cwd=synced)
    assert again.returncode == 0, again.stderr
    _works(synced)


def test_half_swapped_fallback_env_path_is_missing_until_recovery(synced: Path) -> None:
    killed = corral_cli(
        "recreate",
        "--yes",
        cwd=synced,
        extra_env={"CORRAL_FAULT": "recreate:half-swapped", "CORRAL_NO_RENAME_EXCHANGE": "1"},
    )
    assert killed.returncode == -signal.SIGKILL
    assert not (synced / ".venv").exists()  # the one window of the two-rename fallback, covered by the journal
    assert corral_cli("doctor", cwd=synced).returncode != 0
    assert corral_cli("recreate", "--resume", cwd=synced).returncode == 0
    _works(synced)
