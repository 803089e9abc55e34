from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, missing

pytestmark = pytest.mark.integration


@pytest.fixture
def index_env(local_index: object, pythons: dict[str, Path]) -> dict[str, str]:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    env = dict(os.environ)
    env["UV_INDEX_URL"] = local_index.simple_url  # type: ignore[attr-defined]
    env["CORRAL_PYTHON"] = "3.12"
    return env


def test_x_runs_a_tool_from_its_own_cached_env(index_env: dict[str, str], tmp_path: Path) -> None:
    first = subprocess.run(
        [*corral_exe(), "x", "cowsay-lite", "hello", "there"],
        env=index_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "moo hello there"
    assert "built the env" in first.stderr
    second = subprocess.run(
        [*corral_exe(), "x", "cowsay-lite", "again"],
        env=index_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert second.stdout.strip() == "moo again"
    assert "built the env" not in second.stderr
    envs = list((Path(index_env["CORRAL_HOME"]) / "cache" / "envs").glob("tool-*"))
    assert len([e for e in envs if e.is_dir()]) == 1


def test_x_from_package_and_missing_command(index_env: dict[str, str], tmp_path: Path) -> None:
    ok = subprocess.run(
        [*corral_exe(), "x", "--from", "cowsay-lite", "cowsay-lite", "x"],
        env=index_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run(
        [*corral_exe(), "x", "--from", "alpha", "alpha-cli"],
        env=index_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2
    assert "no command named 'alpha-cli'" in wrong.stderr
    unknown = subprocess.run(
        [*corral_exe(), "x", "no-such-tool-anywhere"],
        env=index_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode != 0
    assert "Traceback" not in unknown.stderr
    assert "no-such-tool-anywhere" in unknown.stderr


SCRIPT = """# /// script
# requires-python = ">=3.12"
# dependencies = ["alpha<2"]
# ///
import sys
import alpha
print(alpha.__version__, sys.prefix, sys.argv[1:])
"""


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*corral_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)


def test_pep723_script_env_is_built_once_and_rebuilt_when_the_block_changes(
    index_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "tool.py"
    script.write_text(SCRIPT)
    first = _run(["run", "tool.py", "x"], index_env, tmp_path)
    assert first.returncode == 0, first.stderr
    version, prefix, args = first.stdout.split(" ", 2)
    assert version == "1.1"
    assert args.strip() == "['x']"
    assert "built the env" in first.stderr
    again = _run(["run", "tool.py"], index_env, tmp_path)
    assert again.stdout.split(" ")[1] == prefix
    assert "built the env" not in again.stderr
    # when the block changes, a new env with exactly the new dependencies is made
    script.write_text(SCRIPT.replace('"alpha<2"', '"alpha>=2"'))
    changed = _run(["run", "tool.py"], index_env, tmp_path)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.split(" ")[0] == "2.0"
    assert changed.stdout.split(" ")[1] != prefix


def test_add_script_records_in_the_block_and_lock_script_pins_it(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("# keep this comment\nimport beta\nprint(beta.__version__)\n")
    added = _run(["add", "--script", "job.py", "beta"], index_env, tmp_path)
    assert added.returncode == 0, added.stderr
    text = script.read_text()
    assert "# /// script" in text and '"beta"' in text and "# keep this comment" in text
    bad = _run(["add", "--script", "job.py", "no-such-package-here"], index_env, tmp_path)
    assert bad.returncode != 0
    assert script.read_text() == text, "a failed add must leave the script untouched"
    locked = _run(["lock", "--script", "job.py"], index_env, tmp_path)
    assert locked.returncode == 0, locked.stderr
    lock = tmp_path / "pylock.job.toml"
    assert 'name = "beta"' in lock.read_text() and 'name = "alpha"' in lock.read_text()
    ran = _run(["run", "job.py"], index_env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "1.0"


def test_run_with_layers_over_the_project_env(index_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = ["delta==1.0"]\n'
    )
    code = "import alpha, delta; print(alpha.__version__, delta.__version__)"
    done = _run(["run", "--with", "alpha==1.0", "python", "-c", code], index_env, project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0 1.0"
    # the project's recorded env did not get the --with package
    plain = _run(["run", "python", "-c", "import alpha"], index_env, project)
    assert plain.returncode != 0
