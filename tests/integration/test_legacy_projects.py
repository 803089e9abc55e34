"""Legacy-zone projects end to end, through the CLI exactly as a user types it (a `corral` subprocess).

Python 2.7: uv cannot lock or install for it, so `corral lock` resolves with pip-tools 5.5.0 in the project's own
2.7 interpreter (corral.resolvers.legacy) and writes an environment-specific pylock.toml; pip 20.3.4 installs it.
Python 3.6 and 3.7: uv serves them; the same walk must pass (doctor included: a fresh env has the legacy table's pip).
The local index serves the test catalogue (an sdist-only `oldsdist` that only setup.py builds) and the wheelhouse
(virtualenv 20.21.1, pip-tools 5.5.0, click 7.1.2, the seed wheels). The `network` test does the same on PyPI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import corral_exe, pyenv_python
from corral.infra.toml_file import read_toml
from corral.toolchain.legacy import VIRTUALENV_VERSION
from corral.toolchain.virtualenv_tool import ensure_virtualenv
from support.fixtures import isolated_environ
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

TOOLCHAIN_WHEELS = (
    f"virtualenv-{VIRTUALENV_VERSION}-*.whl",
    "platformdirs-3.*.whl",
    "distlib-*.whl",
    "filelock-*.whl",
    "pip_tools-5.5.0-*.whl",
    "click-7.1.2-*.whl",
)
SEED_WHEELS = (
    "pip-20.3.4-*.whl",
    "setuptools-44.1.1-*.whl",
    "wheel-0.37.1-*.whl",
    "pip-21.3.1-*.whl",
    "pip-24.0-*.whl",
    "setuptools-59.6.0-*.whl",
    "setuptools-68.0.0-*.whl",
)


@pytest.fixture(scope="session")
def toolchain_home(tmp_path_factory: pytest.TempPathFactory, local_index: LocalIndex) -> Path:
    """A CORRAL_HOME whose virtualenv toolchain was installed once from the local index (pip-tools comes later)."""
    require_wheelhouse(*TOOLCHAIN_WHEELS, *SEED_WHEELS)
    home = tmp_path_factory.mktemp("legacy-projects-home")
    host = str(pyenv_python("3.13"))
    ensure_virtualenv(home / "data", environ=isolated_environ(), host=lambda: host, index_url=local_index.simple_url)
    return home


class User:
    """Types `corral ...` in a project folder, with a shell environment pointing at one index."""

    def __init__(self, root: Path, home: Path, index_url: str | None) -> None:
        self.root = root
        self.environ = isolated_environ()
        self.environ["CORRAL_HOME"] = str(home)
        if index_url:
            self.environ["UV_INDEX_URL"] = index_url

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*corral_exe(), *args],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if ok:
            assert done.returncode == 0, f"corral {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def pip(self, *args: str) -> None:
        subprocess.run(
            [str(self.root / ".venv" / "bin" / "python"), "-m", "pip", *args],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )

    def lock(self) -> dict[str, dict[str, object]]:
        data = read_toml(self.root / "pylock.toml")
        return {str(p["name"]): p for p in data.get("packages", [])}


def _dependencies(root: Path) -> list[str]:
    return list(read_toml(root / "pyproject.toml")["project"]["dependencies"])


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.7"])
def test_a_legacy_project_records_locks_syncs_runs_and_adopts_through_the_cli(  # noqa: PLR0915 - one user session
    version: str,
    tmp_path: Path,
    toolchain_home: Path,
    local_index: LocalIndex,
) -> None:
    pyenv_python(version)
    root = tmp_path / f"old{version.replace('.', '')}"
    root.mkdir()
    corral = User(root, toolchain_home, local_index.simple_url)
    legacy_lock = version == "2.7"

    # given a new project on the legacy Python
    corral("init", "--python", version)
    # when it is locked with no requirements at all
    empty = corral("lock")
    # then the lock is written; a 2.7 lock says it is environment-specific, in the file and in the output
    text = (root / "pylock.toml").read_text(encoding="utf-8")
    if legacy_lock:
        assert "environment-specific lock" in empty.stderr
        assert "environments = [\"python_version == '2.7'" in text
        assert "# Environment-specific lock" in text
    else:
        assert "environments" not in text

    # when requirements are added: one with a dependency, an sdist-only one (setup.py), an upper bound
    added = corral("add", "beta", "oldsdist", "alpha<2")
    assert "oldsdist" in added.stderr
    locked = corral.lock()
    assert {"alpha", "beta", "oldsdist"} <= set(locked)
    assert locked["alpha"]["version"] == "1.1"
    sdist = locked["oldsdist"]["sdist"]
    assert "wheels" not in locked["oldsdist"]
    assert isinstance(sdist, dict) and len(sdist["hashes"]["sha256"]) == 64  # hash-checked, like every file
    assert str(locked["alpha"]["index"]).rstrip("/") == local_index.simple_url.rstrip("/")
    corral("lock", "--check")
    assert "nothing to do" in corral("sync").stderr

    # the env runs the locked packages (the sdist was built by the env's own Python)
    code = (
        "import alpha, beta, oldsdist, sys; print('%s %s %d' % (alpha.__version__, oldsdist.__version__, "
        "sys.version_info[0]))"
    )
    ran = corral("run", "python", "-c", code)
    assert ran.stdout.split() == ["1.1", "1.0", version[0]]

    tree = corral("tree").stdout
    assert "beta 1.0" in tree and "alpha 1.1" in tree and "oldsdist 1.0" in tree
    outdated = corral("outdated").stdout
    assert "alpha" in outdated and "2.0" in outdated  # newer, but not allowed by alpha<2
    assert "epsilon" not in outdated
    exported = corral("export", "--hashes").stdout
    assert "oldsdist==1.0" in exported and "--hash=sha256:" in exported

    # when a requirement is removed, its now-unneeded dependency goes with it
    corral("remove", "beta")
    assert "beta" not in corral.lock()
    assert "oldsdist" in corral.lock()

    # when the user installs a package by hand, adopt records it and locks it
    corral.pip("install", "--index-url", local_index.simple_url, "delta==1.2")
    corral("adopt")
    assert any(d.startswith("delta") for d in _dependencies(root))
    assert corral.lock()["delta"]["version"] == "1.2"
    corral("lock", "--check")

    # a rebuild reinstalls everything from the lock, and doctor reports the legacy zone as info only
    corral("recreate", "--yes")
    again = corral("run", "python", "-c", "import alpha, delta, oldsdist; print(delta.__version__)")
    assert again.stdout.strip() == "1.2"
    doctor = corral("doctor")
    assert "legacy-python" in doctor.stdout + doctor.stderr
    assert f"Python {version} reached end of life" in doctor.stdout + doctor.stderr

    if legacy_lock:
        # when the project moves to Python 3, the 2.7-only lock is made again (by uv, universal) and installed
        pyenv_python("3.11")
        (root / ".python-version").write_text("3.11\n", encoding="utf-8")
        corral("sync")
        assert corral("run", "python", "-c", "import sys; print(sys.version_info[0])").stdout.strip() == "3"
        assert "environments" not in (root / "pylock.toml").read_text(encoding="utf-8")


def test_a_python_27_project_adds_a_sibling_folder_editable_and_sees_it_installed(
    tmp_path: Path, toolchain_home: Path, local_index: LocalIndex
) -> None:
    # uv cannot start Python 2.7, so `corral add ../lib27` failed reading the folder's name; pip 20.3.4 installs an
    # editable folder as an egg-link, which corral did not see (doctor said "missing" after every full check)
    pyenv_python("2.7")
    root, lib = tmp_path / "app", tmp_path / "lib27"
    (lib / "lib27").mkdir(parents=True)
    (lib / "lib27" / "__init__.py").write_text("VALUE = 27\n", encoding="utf-8")
    (lib / "setup.py").write_text(
        'from setuptools import setup\nsetup(name="lib27", version="1.0", packages=["lib27"])\n', encoding="utf-8"
    )
    root.mkdir()
    corral = User(root, toolchain_home, local_index.simple_url)
    corral("init", "--python", "2.7")
    corral("add", "--editable", "../lib27")
    assert read_toml(root / "pyproject.toml")["tool"]["uv"]["sources"] == {
        "lib27": {"path": "../lib27", "editable": True}
    }
    assert corral.lock()["lib27"]["directory"] == {"path": "../lib27", "editable": True}
    ran = corral("run", "python", "-c", "import lib27; print(lib27.__file__)")
    assert ran.stdout.strip().startswith(str(lib / "lib27")), "imported from the folder itself: editable"
    doctor = corral("doctor", "-v")
    assert "drift" not in doctor.stdout + doctor.stderr, doctor.stdout
    assert "nothing to do" in corral("sync").stderr
    corral("remove", "lib27")
    assert not list((root / ".venv" / "lib" / "python2.7" / "site-packages").glob("lib27*"))

    # pip 20.3.4's own editable install writes an egg-link, no direct_url.json: adopt reads the folder it names
    corral.pip("install", "--no-index", "--no-build-isolation", "-e", str(lib))
    adopted = corral("adopt")
    assert "recorded lib27 (path ../lib27, editable) in project" in adopted.stdout, adopted.stdout
    assert read_toml(root / "pyproject.toml")["tool"]["uv"]["sources"] == {
        "lib27": {"path": "../lib27", "editable": True}
    }
    assert "nothing to do" in corral("sync").stderr


@pytest.mark.network
def test_a_python_27_project_locks_a_real_27_era_stack_from_pypi(tmp_path: Path) -> None:
    pyenv_python("2.7")
    home = tmp_path / "home"
    host = str(pyenv_python("3.13"))
    ensure_virtualenv(home / "data", environ=isolated_environ(), host=lambda: host)
    root = tmp_path / "realproj"
    root.mkdir()
    corral = User(root, home, None)
    corral("init", "--python", "2.7")
    corral("add", "requests<2.28", "six", "futures")
    locked = corral.lock()
    assert locked["requests"]["version"] == "2.27.1"
    assert str(locked["urllib3"]["version"]).startswith("1.26.")
    assert {"certifi", "chardet", "idna", "six", "futures"} <= set(locked)
    assert all(p.get("index") == "https://pypi.org/simple" for p in locked.values())
    corral("lock", "--check")
    code = "import requests, six, concurrent.futures; print(requests.__version__)"
    assert corral("run", "python", "-c", code).stdout.strip() == "2.27.1"
    outdated = corral("outdated")  # nothing newer that Python 2.7 can install
    assert "every locked package is at its newest release" in outdated.stdout + outdated.stderr
