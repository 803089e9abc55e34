"""A project whose build backend fails: `corral sync` runs that build once and shows the build's own error.

The project's backend (tests/integration/pylock_helpers.py) is made to fail in the hook every installer calls first,
after writing a line to an attempts log (so the count is the backend's own, not a guess from corral's side) and
printing many lines of noise: the error shown must end with the backend's last words, bounded. uv's cache is
private to each test and the local index is served cacheable, as in test_sync_one_install.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_sync_one_install import builds, cached_index, fresh_sync, installed, make_project, programs

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration
__all__ = ["cached_index"]  # the fixture, used by name

_FAILING = """

def get_requires_for_build_editable(config_settings=None):
    import sys
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "attempts.log"), "a") as log:
        log.write("attempt\\n")
    for number in range(200):
        print("noise line %d" % number, file=sys.stderr)
    raise RuntimeError("the demo backend broke on purpose" + chr(27) + "]0;retitled" + chr(7))
"""


def attempts(root: Path) -> int:
    log = root / "_build" / "attempts.log"
    return log.read_text(encoding="utf-8").count("attempt") if log.exists() else 0


def break_backend(root: Path) -> str:
    """Make the project's build fail (and uv's cached build stale: pyproject.toml is a build input); the old text."""
    backend = root / "_build" / "demo_backend.py"
    text = backend.read_text(encoding="utf-8")
    backend.write_text(text + _FAILING, encoding="utf-8")
    stat = (root / "pyproject.toml").stat()
    os.utime(root / "pyproject.toml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    return text


def assert_build_error_shown(result: RunResult) -> None:
    """One error line: uv's words, the backend's last line, bounded and with its control characters escaped."""
    assert result.exit_code == 1, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    line = errors[0]
    assert "did not build" in line
    assert "Failed to build `demo @ file://" in line, "uv's own words name the build"
    assert "The build backend returned an error" in line
    assert "RuntimeError: the demo backend broke on purpose" in line, "the traceback's last line"
    assert "noise line 199" in line
    assert "noise line 100" not in line, "only the end of the backend's output"
    assert len(line) < 3000
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert "run `corral sync` again" in line


def test_a_failing_project_build_runs_once_and_the_env_keeps_the_lock(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the project synced once (every file in uv's cache, the set served from it), then its build broken
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    assert fresh_sync(root, corral, log).exit_code == 0
    good = break_backend(root)
    # when: a new env is synced (offline first: the backend's failure is not run again online, nor apart)
    result = fresh_sync(root, corral, log)
    # then
    assert_build_error_shown(result)
    assert attempts(root) == 1, programs(log)
    have = installed(root)
    assert {"alpha", "beta", "delta", "pip"} <= set(have), "the lock's packages and the seed are in the env"
    assert "demo" not in have
    check = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-c", "import alpha, beta, delta"], check=False, timeout=60
    )
    assert check.returncode == 0
    # when: the same env is synced again (its stamp was cleared): once more, from the index first
    again = corral("sync", cwd=root)
    assert_build_error_shown(again)
    assert attempts(root) == 2
    # when: the build is mended, the next sync installs the project
    (root / "_build" / "demo_backend.py").write_text(good, encoding="utf-8")
    mended = corral("sync", cwd=root)
    assert mended.exit_code == 0, mended.stderr
    assert " + demo (editable)" in mended.stdout
    assert "demo" in installed(root)
    assert builds(root) == 2, "built when first synced, then once mended"


def test_a_project_that_never_built_fails_once_on_an_empty_cache(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, cached_index)
    break_backend(root)
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = fresh_sync(root, corral, log)
    assert_build_error_shown(result)
    assert attempts(root) == 1, programs(log)
    assert {"alpha", "beta", "delta", "pip"} <= set(installed(root))


def test_the_pip_engine_names_the_build_and_escapes_what_the_backend_printed(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    """pip passes the backend's output on as it is (uv drops control characters itself)."""
    root = make_project(tmp_path, cached_index)
    assert corral("sync", cwd=root).exit_code == 0  # a seeded env: pip is there for the pip engine
    subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "uninstall", "-y", "-q", "demo"], check=True, timeout=120
    )
    break_backend(root)
    result = corral("sync", "--engine", "pip", cwd=root)
    assert result.exit_code == 1, result.stdout
    assert "the project at" in result.stderr
    assert "Getting requirements to build editable did not run successfully" in result.stderr
    assert "RuntimeError: the demo backend broke on purpose" in result.stderr
    assert "\x1b" not in result.stderr
    assert "RuntimeError: the demo backend broke on purpose\\x1b]0;retitled" in result.stderr, "shown escaped"
    assert attempts(root) == 1
