"""The env follows its record: a moved, copied or re-pinned project's env is rebuilt by `sync`/`run`, in one line.

Each test drives the CLI as a user does (`mv`, `cp -r`, `corral python pin`, editing requires-python) on a real
synced project whose lock holds a console-script package from the local test index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, pyenv_python
from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.integration


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    """A project on Python 3.12 with cowsay-lite (a console script) locked and synced."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    pyenv_python("3.12")
    root = make_project(tmp_path / "proj", ["cowsay-lite"], python="3.12")
    lock_and_sync(root)
    return root


def corral(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`corral ARGS` in a subprocess in `root` (`run` replaces its process, so never in-process)."""
    return subprocess.run(
        [*corral_exe(), *args], cwd=root, capture_output=True, text=True, check=False, timeout=300, env=dict(os.environ)
    )


def shebang(script: Path) -> str:
    return script.read_text(encoding="utf-8").splitlines()[0]


def rebuild_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rebuilding ")]


def cfg_version(root: Path) -> str:
    cfg = (root / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    return next(
        line.split("=", 1)[1].strip()
        for line in cfg.splitlines()
        if line.split("=", 1)[0].strip() in {"version", "version_info"}
    )


def test_a_moved_project_is_rebuilt_by_run_and_its_console_script_works(synced: Path, tmp_path: Path) -> None:
    # given a synced project moved to another folder
    moved = tmp_path / "project2"
    shutil.move(synced, moved)
    # when its console script is run through corral
    done = corral(moved, "run", "cowsay-lite", "hello")
    # then the env is rebuilt from the lock, saying so in one line, and the script runs
    assert done.returncode == 0, done.stderr
    assert done.stdout == "moo hello\n"
    lines = rebuild_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert str(moved / ".venv") in lines[0] and str(synced / ".venv") in lines[0]
    assert "Traceback" not in done.stderr
    assert shebang(moved / ".venv/bin/cowsay-lite") == f"#!{moved / '.venv/bin/python'}"
    # and the next run takes the no-op path: nothing is rebuilt again, doctor finds nothing to fix
    again = corral(moved, "run", "cowsay-lite", "again")
    assert again.returncode == 0 and again.stdout == "moo again\n", again.stderr
    assert again.stderr == ""
    assert corral(moved, "doctor").returncode == 0
    assert not list(moved.glob(".venv.corral-*"))


def test_a_moved_project_run_without_sync_names_the_missing_interpreter(synced: Path, tmp_path: Path) -> None:
    moved = tmp_path / "project2"
    shutil.move(synced, moved)
    done = corral(moved, "run", "--no-sync", "cowsay-lite")
    assert done.returncode == 126
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert str(synced / ".venv/bin/python") in line and "corral sync" in line, line
    assert "check the path" not in line


def test_a_broken_shebang_on_the_no_op_path_is_one_line_not_a_traceback(synced: Path) -> None:
    # given a synced project (the no-op fast path applies) whose console script names an interpreter that is gone
    script = synced / ".venv/bin/cowsay-lite"
    text = script.read_text(encoding="utf-8").split("\n", 1)
    script.write_text(f"#!{synced / 'gone' / 'python'}\n{text[1]}", encoding="utf-8")
    assert "nothing to do" in corral(synced, "sync").stderr  # the packages still match the lock
    # when it is run through corral
    done = corral(synced, "run", "cowsay-lite")
    # then one line names the missing interpreter
    assert done.returncode == 126
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"{synced / 'gone' / 'python'}" in line, line


def test_a_copied_project_runs_its_own_python_not_the_original(synced: Path, tmp_path: Path) -> None:
    # given a copy of a synced project (cp -r)
    copy = tmp_path / "copy"
    shutil.copytree(synced, copy, symlinks=True)
    assert shebang(copy / ".venv/bin/cowsay-lite") == f"#!{synced / '.venv/bin/python'}"
    # when corral runs the console script in the copy
    done = corral(copy, "run", "cowsay-lite", "copy")
    # then the copy's env is rebuilt (one line) and its script runs the copy's own Python
    assert done.returncode == 0 and done.stdout == "moo copy\n", done.stderr
    assert len(rebuild_lines(done.stderr)) == 1, done.stderr
    assert shebang(copy / ".venv/bin/cowsay-lite") == f"#!{copy / '.venv/bin/python'}"
    # the original is untouched, and the copy keeps working once the original is gone
    assert shebang(synced / ".venv/bin/cowsay-lite") == f"#!{synced / '.venv/bin/python'}"
    shutil.rmtree(synced)
    alone = corral(copy, "run", "cowsay-lite", "alone")
    assert alone.returncode == 0 and alone.stdout == "moo alone\n", alone.stderr


def test_a_moved_project_rebuilt_offline_uses_no_network_and_keeps_the_old_env_on_failure(
    synced: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "project2"
    shutil.move(synced, moved)
    # when sync is told --offline --frozen, the rebuild honours both (no re-lock, no index)
    done = corral(moved, "sync", "--offline", "--frozen")
    assert len(rebuild_lines(done.stderr)) == 1, done.stderr
    assert "Traceback" not in done.stderr
    if done.returncode != 0:  # files uv has not cached: one error line, and the old env is kept whole
        assert "network" in done.stderr.strip().splitlines()[-1], done.stderr
        assert shebang(moved / ".venv/bin/cowsay-lite") == f"#!{synced / '.venv/bin/python'}"
        assert not list(moved.glob(".venv.corral-*"))
        done = corral(moved, "sync", "--frozen")
        assert done.returncode == 0, done.stderr
    assert shebang(moved / ".venv/bin/cowsay-lite") == f"#!{moved / '.venv/bin/python'}"


def test_a_new_pin_is_seen_by_doctor_then_sync_rebuilds_and_run_uses_it(synced: Path) -> None:
    pyenv_python("3.13")
    # given a 3.12 project pinned to 3.13
    assert corral(synced, "python", "pin", "3.13").returncode == 0
    # then doctor reports the mismatch with its fix
    doctor = corral(synced, "doctor", "--json")
    assert doctor.returncode == 1
    findings = {f["code"]: f for f in json.loads(doctor.stdout)["data"]["findings"]}
    assert findings["python-mismatch"]["fix"] == "corral recreate", findings
    assert "3.13" in findings["python-mismatch"]["message"]
    # when sync runs, it rebuilds the env on 3.13 from the lock, saying so in one line
    done = corral(synced, "sync")
    assert done.returncode == 0, done.stderr
    (line,) = rebuild_lines(done.stderr)
    assert ".python-version" in line and "3.13" in line, line
    assert cfg_version(synced).startswith("3.13."), cfg_version(synced)
    # and run uses 3.13 with the locked package, without another rebuild
    ran = corral(synced, "run", "python", "-c", "import sys, cowsay_lite; print(sys.version_info[:2])")
    assert ran.returncode == 0 and ran.stdout.strip() == "(3, 13)", ran.stderr
    assert rebuild_lines(ran.stderr) == []
    assert corral(synced, "doctor").returncode == 0


def test_requires_python_that_excludes_the_env_rebuilds_it_on_run(synced: Path) -> None:
    pyenv_python("3.13")
    # given a 3.12 project without a pin whose requires-python now excludes 3.12
    (synced / ".python-version").unlink()
    pyproject = synced / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('">=3.8"', '">=3.13"'), encoding="utf-8")
    # when a command is run
    done = corral(synced, "run", "python", "-c", "import sys, cowsay_lite; print(sys.version_info[:2])")
    # then the env is rebuilt on an interpreter requires-python admits
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(3, 13)"
    (line,) = rebuild_lines(done.stderr)
    assert "requires-python" in line, line
    again = corral(synced, "run", "python", "-c", "pass")
    assert again.returncode == 0 and rebuild_lines(again.stderr) == [], again.stderr


def test_an_unmet_pin_is_one_clear_error_and_keeps_the_env(synced: Path) -> None:
    (synced / ".python-version").write_text("3.99\n", encoding="utf-8")
    done = corral(synced, "sync")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "3.99" in done.stderr.strip().splitlines()[-1]
    assert cfg_version(synced).startswith("3.12.")
