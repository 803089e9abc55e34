"""`kernel-stale`: a kernelspec that starts the env, but not as corral (and ipykernel) would write it today.

A real synced env; the kernelspecs are written into its `share/jupyter/kernels` (one of the folders Jupyter and
doctor search). The finding must say what differs: the interpreter, or only ipykernel's debugger flag.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.integration

TAIL = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", [])  # Python 3.12: ipykernel's spec passes -Xfrozen_modules=off
    lock_and_sync(root)
    return root


def stale_messages(root: Path, argv: list[str]) -> list[str]:
    """The kernel-stale findings of doctor with a kernelspec `argv` that corral's record says starts the env."""
    spec = root / ".venv" / "share" / "jupyter" / "kernels" / "demo"
    spec.mkdir(parents=True, exist_ok=True)
    data = {
        "argv": argv,
        "display_name": "Python 3.12 (demo)",
        "language": "python",
        "metadata": {"corral": {"env": str(root / ".venv"), "project": str(root)}},
    }
    (spec / "kernel.json").write_text(json.dumps(data), encoding="utf-8")
    report, _ = diagnose(Context(cwd=root))
    return [f.message for f in report.findings if f.code == "kernel-stale"]


def test_a_kernel_without_the_debuggers_flag_is_stale_for_that_reason(project: Path) -> None:
    python = str(project / ".venv" / "bin" / "python")
    (message,) = stale_messages(project, [python, *TAIL])
    assert message == (
        f"Jupyter kernel 'demo' starts this env's {python} without -Xfrozen_modules=off, which ipykernel's "
        "debugger needs on Python 3.11+"
    )
    assert message.count(python) == 1


def test_a_kernel_starting_another_interpreter_names_both(project: Path) -> None:
    python = str(project / ".venv" / "bin" / "python")
    other = os.path.realpath(python)  # the base: the same program, without the env
    (message,) = stale_messages(project, [other, "-Xfrozen_modules=off", *TAIL])
    assert message == f"Jupyter kernel 'demo' starts {other}, not this env's {python}"


def test_a_kernel_as_corral_writes_it_is_not_stale(project: Path) -> None:
    python = str(project / ".venv" / "bin" / "python")
    assert stale_messages(project, [python, "-Xfrozen_modules=off", *TAIL]) == []
