"""A dynamic version the build backend must state: `uv lock` begins meanwhile at the version a version file states
(services.lock's `_GuessedStart`), kept when the backend states exactly that version, else ended and begun again.

How many `uv lock` began is read from infra.faults' checkpoint log, with real uv and real backends against the
local index (test_lock_project's projects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_lock_project import copy_project, indexed, lock_entries, pluggy_like  # noqa: F401 - a fixture

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

pytestmark = pytest.mark.integration


def engines_run(corral: Corral, root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run `corral lock`; the programs it began and saw end, in order ("engine:uv lock", "engine-done:uv lock", ...).

    "build backend": the build env's uv commands, and (ended only) the server of its hooks.
    """
    log = root.parent / "faults.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = corral("lock", cwd=root)
    monkeypatch.delenv("CORRAL_FAULT_LOG")
    assert result.exit_code == 0, result.stderr
    ran = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return [step for step in ran if step.startswith(("engine:", "engine-done:"))]


def last(steps: list[str], step: str) -> int:
    return len(steps) - 1 - steps[::-1].index(step)


@pytest.mark.usefixtures("indexed")
def test_the_resolution_begun_at_the_files_version_is_kept_when_the_backend_states_it(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: typer-like's version is `__version__` in typer_like/__init__.py, read by setuptools' `attr:`
    root = copy_project("typer-like", tmp_path)
    # when: its build backend is asked (nothing cached)
    steps = engines_run(corral, root, monkeypatch)
    # then: one `uv lock`, begun before the backend's hooks answered, is the lock's (smokeshow-lite needs
    # typer-like>=0.12), begun after the build env's own uv commands ended
    assert steps.count("engine:uv lock") == 1
    assert last(steps, "engine-done:build backend") > steps.index("engine:uv lock"), steps
    assert steps.index("engine:uv lock") > last(steps, "engine:build backend"), steps
    assert lock_entries(root)["smokeshow-lite"]["version"] == "0.5.0"


@pytest.mark.usefixtures("indexed")
def test_a_wrong_guess_is_ended_and_the_backends_version_resolved(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: setuptools-scm says 1.6.1.dev1+g<sha>; the package's __init__.py states an old 0.1
    root = pluggy_like(tmp_path)
    (root / "src" / "pluggy_like" / "__init__.py").write_text('__version__ = "0.1"\n', encoding="utf-8")
    # when
    steps = engines_run(corral, root, monkeypatch)
    # then: the guess's resolution (pytest-lite 3.2, which does not need pluggy-like>=1.5) was ended, not kept
    assert steps.count("engine:uv lock") == 2
    hooks_done = last(steps, "engine-done:build backend")
    assert steps.index("engine:uv lock") < hooks_done < last(steps, "engine:uv lock"), steps
    assert lock_entries(root)["pytest-lite"]["version"] == "9.0"


@pytest.mark.usefixtures("indexed")
def test_without_a_stated_version_uv_begins_once_the_backend_answered(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pluggy_like(tmp_path)  # its __init__.py states no version
    steps = engines_run(corral, root, monkeypatch)
    assert steps.count("engine:uv lock") == 1
    assert last(steps, "engine-done:build backend") < steps.index("engine:uv lock"), steps
    assert lock_entries(root)["pytest-lite"]["version"] == "9.0"
