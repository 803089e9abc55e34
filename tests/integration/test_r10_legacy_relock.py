"""A Python 2.7 project's lock after `corral sync`: the env's arrival is no change, a real change still resolves.

`corral lock` on a project with no env resolves with the base 2.7 interpreter (pip-tools in that Python); `corral
sync` then makes the env with corral's virtualenv 20.21.1, which copies python into it. The next lock would take the
env's python: the same program, so the lock stamp (services.lock_stamp) answers `unchanged` without running
pip-tools, as for a 3.x env whose python links to its base. Through the CLI as a user types it, on the local index.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import corral_exe, pyenv_python
from corral.infra.paths import CorralPaths
from corral.services.lock_stamp import env_made_from
from corral.toolchain.legacy import VIRTUALENV_VERSION
from corral.toolchain.virtualenv_tool import ensure_virtualenv
from support.fixtures import isolated_environ
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

# the toolchain (virtualenv), the resolver (pip-tools, in 2.7) and the 2.7 seed: the wheelhouse tools/dev.py fetched
WHEELS = (f"virtualenv-{VIRTUALENV_VERSION}-*.whl", "pip_tools-5.5.0-*.whl", "pip-20.3.4-*.whl")
PYPROJECT = '[project]\nname = "l27"\nversion = "0.1"\nrequires-python = "==2.7.*"\ndependencies = [{deps}]\n'
RESOLVING = "with pip-tools in Python 2.7"  # the full path's progress line: pip-tools runs


@pytest.fixture(scope="session")
def relock_home(tmp_path_factory: pytest.TempPathFactory, local_index: LocalIndex) -> Path:
    """A CORRAL_HOME whose virtualenv toolchain was installed once from the local index (pip-tools comes later)."""
    require_wheelhouse(*WHEELS)
    home = tmp_path_factory.mktemp("legacy-relock-home")
    host = str(pyenv_python("3.13"))
    ensure_virtualenv(home / "data", environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    return home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The brief's project: `six`'s stand-in from the local index, `.python-version` 2.7."""
    pyenv_python("2.7")
    root = tmp_path / "l27"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(deps='"alpha<2"'), encoding="utf-8")
    (root / ".python-version").write_text("2.7\n", encoding="utf-8")
    return root


def _corral(root: Path, home: Path, index: LocalIndex, *args: str) -> subprocess.CompletedProcess[str]:
    environ = isolated_environ()
    environ.update(CORRAL_HOME=str(home), UV_INDEX_URL=index.simple_url)
    done = subprocess.run(
        [*corral_exe(), *args], cwd=root, env=environ, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, f"corral {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _locked_then_synced(root: Path, home: Path, index: LocalIndex) -> bytes:
    """`corral lock; corral sync` (the first resolves with the base 2.7, the second copies it into the env)."""
    assert RESOLVING in _corral(root, home, index, "lock").stderr
    _corral(root, home, index, "sync")
    assert not (root / ".venv" / "bin" / "python").is_symlink()  # virtualenv's copy, the case under test
    return (root / "pylock.toml").read_bytes()


def test_lock_after_the_first_sync_is_a_no_op_and_check_says_up_to_date(
    project: Path, relock_home: Path, local_index: LocalIndex
) -> None:
    # given a 2.7 project locked, then synced (the env did not exist when it was locked)
    locked = _locked_then_synced(project, relock_home, local_index)
    # when it is locked again, unchanged
    again = _corral(project, relock_home, local_index, "lock")
    # then the stamp answers: no pip-tools run, the same bytes
    assert again.stderr.startswith("unchanged: "), again.stderr
    assert RESOLVING not in again.stderr
    assert (project / "pylock.toml").read_bytes() == locked
    checked = _corral(project, relock_home, local_index, "lock", "--check")
    assert "pylock.toml is up to date (1 package)" in checked.stderr
    assert RESOLVING not in checked.stderr

    # when the env is rebuilt from the same interpreter (a new copy, a new trust record), still nothing to do
    shutil.rmtree(project / ".venv")
    _corral(project, relock_home, local_index, "sync")
    assert _corral(project, relock_home, local_index, "lock").stderr.startswith("unchanged: ")

    # when pyproject.toml changes what is locked, it resolves again
    (project / "pyproject.toml").write_text(PYPROJECT.format(deps='"alpha<2", "beta"'), encoding="utf-8")
    changed = _corral(project, relock_home, local_index, "lock")
    assert RESOLVING in changed.stderr
    assert "+ beta 1.0" in changed.stderr


def test_an_env_python_that_is_not_the_locked_interpreters_copy_resolves_again(
    project: Path, relock_home: Path, local_index: LocalIndex
) -> None:
    # given a 2.7 project locked, then synced
    locked = _locked_then_synced(project, relock_home, local_index)
    # when the env's python no longer holds the base interpreter's bytes (trust covers pyvenv.cfg, not this file)
    with (project / ".venv" / "bin" / "python").open("ab") as handle:
        handle.write(b"\0")  # trailing bytes: an ELF program still runs
    relocked = _corral(project, relock_home, local_index, "lock")
    # then the lock is resolved again, with the env's python, to the same lock
    assert RESOLVING in relocked.stderr
    assert (project / "pylock.toml").read_bytes() == locked


def test_a_copy_of_the_same_bytes_from_another_folder_is_not_the_interpreter_the_env_was_made_from(
    project: Path, relock_home: Path, local_index: LocalIndex, tmp_path: Path
) -> None:
    # given a 2.7 env corral made from the pyenv interpreter (trusted by corral's record)
    _locked_then_synced(project, relock_home, local_index)
    paths = CorralPaths.from_environment({**isolated_environ(), "CORRAL_HOME": str(relock_home)})
    env, base = project / ".venv", pyenv_python("2.7")
    assert env_made_from(paths, env, str(base.parent / "python"))
    # when the interpreter named is a launcher of the same bytes in another installation's folder
    other = tmp_path / "other" / "bin" / base.name
    other.parent.mkdir(parents=True)
    shutil.copy2(base, other)
    # then it is not the one the env runs (it would link another libpython and stdlib): a lock resolves again
    assert not env_made_from(paths, env, str(other))


def test_lock_after_adding_to_a_project_with_no_env_is_a_no_op(
    project: Path, relock_home: Path, local_index: LocalIndex
) -> None:
    # given a 2.7 project with no requirement, no lock and no env
    (project / "pyproject.toml").write_text(PYPROJECT.format(deps=""), encoding="utf-8")
    # when a requirement is added (locked with the base 2.7, then installed into the env it makes: a copy of it)
    _corral(project, relock_home, local_index, "add", "alpha<2")
    locked = (project / "pylock.toml").read_bytes()
    # then the next lock is answered by the stamp add recorded, as the env's python
    again = _corral(project, relock_home, local_index, "lock")
    assert again.stderr.startswith("unchanged: "), again.stderr
    assert (project / "pylock.toml").read_bytes() == locked
