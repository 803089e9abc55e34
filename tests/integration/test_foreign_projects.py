"""Projects corral did not make: Poetry (rich), setup.py + setup.cfg (click 8.1.7), `-e .[socks]` (requests).

The packaging files in tests/data/projects are the real ones (rich 14.3.3's pyproject.toml with rich 13's
python-limited typing-extensions line added; click 8.1.7's setup.py and setup.cfg; requests' requirements-dev.txt
and a trimmed pyproject.toml) beside stub packages. Their dependencies are tiny stand-ins served with the test
catalogue, poetry-core and setuptools from the wheelhouse, all on 127.0.0.1. Whatever corral does, `uv build` must
still build the project, with the same metadata plus what `corral add` recorded.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.infra.uvbin import uv_binary
from support.index import serve_index
from support.toml import tomllib
from support.wheelhouse import WHEELHOUSE, require_wheelhouse
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conftest import RunResult

    Runner = Callable[..., RunResult]  # the in-process CLI runner fixture

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "projects"
# Stand-ins for the real projects' dependencies (none of them sets Requires-Python, so every Python resolves).
STAND_INS = (
    Package("pygments", "2.17.2"),
    Package("markdown-it-py", "3.0.0"),
    Package("ipywidgets", "8.1.5"),
    Package("typing-extensions", "4.12.2"),
    Package("pytest", "7.4.4"),
    Package("black", "22.12.0"),
    Package("mypy", "1.11.2"),
    Package("pytest-cov", "3.0.0"),
    Package("attrs", "21.4.0"),
    Package("pre-commit", "2.21.0"),
    Package("importlib-metadata", "6.7.0"),
    Package("charset-normalizer", "3.4.0"),
    Package("idna", "3.10"),
    Package("urllib3", "2.2.3"),
    Package("certifi", "2024.8.30"),
    Package("pysocks", "1.7.1"),
    Package("chardet", "5.2.0"),
    Package("pytest-httpbin", "2.1.0"),
    Package("httpbin", "0.10.2"),
    Package("trustme", "1.2.0"),
)


@pytest.fixture(scope="module")
def index_url(built_packages: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test catalogue, the stand-ins and the wheelhouse (setuptools, poetry-core)."""
    require_wheelhouse("setuptools-84*.whl", "poetry_core-*.whl", "colorama-*.whl", "wheel-0.45*.whl")
    stand_ins = tmp_path_factory.mktemp("stand-ins")
    build_packages(stand_ins, STAND_INS)
    with serve_index(next(iter(built_packages.values()))[0].parent, stand_ins, WHEELHOUSE) as index:
        yield index.simple_url


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, index_url: str) -> str:
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    monkeypatch.setenv("PIP_INDEX_URL", index_url)
    monkeypatch.setenv("CORRAL_SEED", "0")
    return index_url


def copy_project(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(DATA / name, root)
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def in_env(root: Path, code: str) -> None:
    """Run `code` with the project env's python (corral run would replace the test process)."""
    done = subprocess.run([str(root / ".venv/bin/python"), "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def build_metadata(root: Path, out: Path) -> dict[str, list[str]]:
    """`uv build --wheel` of `root` (from the local index) and its METADATA headers."""
    done = subprocess.run(
        [uv_binary(), "build", "--wheel", "--out-dir", str(out), "--python", str(pyenv_python("3.12")), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(out.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    message = HeaderParser().parsestr(text)
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        if key not in ("Metadata-Version", "Dynamic"):
            headers.setdefault(key, []).append(value)
    return headers


def test_poetry_project_is_refused_then_moved_by_init_and_still_builds(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    # given rich, a Poetry project: its dependencies live in [tool.poetry]
    root = copy_project("rich", tmp_path)
    before = files_of(root)
    original = build_metadata(copy_project("rich", tmp_path / "original"), tmp_path / "dist-original")
    # when it is locked or added to: refused in one line, nothing written
    for args in (("lock",), ("add", "alpha"), ("add", "--dev", "alpha"), ("sync",)):
        refused = corral(*args, cwd=root)
        assert refused.exit_code == 2, (args, refused.stderr)
        assert "[tool.poetry.dependencies]" in refused.stderr and "corral init" in refused.stderr
        assert len(errors(refused.stderr)) == 1, refused.stderr
        assert files_of(root) == before
    # when init moves the tables
    done = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    # then one line per change, and the standard tables say what [tool.poetry] said
    assert done.exit_code == 0, done.stderr
    assert "[project].dependencies = ['pygments>=2.13.0,<3.0.0'" in done.stderr
    assert "'poetry-core>=1.0.0' -> 'poetry-core>=2.0.0'" in done.stderr
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["project"] == {
        "name": "rich",
        "version": "14.3.3",
        "requires-python": ">=3.8.0",
        "dependencies": [
            "pygments>=2.13.0,<3.0.0",
            "markdown-it-py>=2.2.0",
            'typing-extensions>=4.0.0,<5.0; python_version < "3.11"',
        ],
        "optional-dependencies": {"jupyter": ["ipywidgets>=7.5.1,<9"]},
    }
    assert data["dependency-groups"]["dev"][:2] == ["pytest>=7.0.0,<8.0.0", "black>=22.6,<23.0"]
    assert data["build-system"]["requires"] == ["poetry-core>=2.0.0"]
    assert "dependencies" not in data["tool"]["poetry"] and data["tool"]["poetry"]["license"] == "MIT"
    # and corral works on it, and poetry-core builds it with the same metadata plus what was added
    assert corral("lock", cwd=root).exit_code == 0
    added = corral("add", "alpha<2", cwd=root)
    assert added.exit_code == 0, added.stderr
    built = build_metadata(root, tmp_path / "dist")
    assert built.pop("Requires-Dist") == sorted([*original.pop("Requires-Dist"), "alpha (<2)"])
    assert built == original


def test_setup_py_project_gets_project_table_from_setuptools_and_still_builds(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    # given click 8.1.7: setup.py names it and lists its dependencies, setup.cfg has the rest, no pyproject.toml
    root = copy_project("click-8.1.7", tmp_path)
    original = build_metadata(copy_project("click-8.1.7", tmp_path / "original"), tmp_path / "dist-original")
    refused = corral("add", "alpha", cwd=root)
    assert refused.exit_code == 2 and "corral init" in refused.stderr
    # when: init, which runs setup.py only when told to
    unasked = corral("init", "--python", str(pyenv_python("3.12")), cwd=root)
    assert unasked.exit_code == 2 and "run `corral init --run-build-backend`" in unasked.stderr
    assert not (root / "pyproject.toml").exists() and not (root / "src" / "click.egg-info").exists()
    done = corral("init", "--run-build-backend", "--python", str(pyenv_python("3.12")), cwd=root)
    # then [project] holds what setuptools itself built, everything else stays dynamic
    assert done.exit_code == 0, done.stderr
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["project"]["name"] == "click"
    assert data["project"]["dependencies"] == [
        'colorama; platform_system == "Windows"',
        'importlib-metadata; python_version < "3.8"',
    ]
    assert data["project"]["requires-python"] == ">=3.7"
    assert "version" in data["project"]["dynamic"] and "authors" not in data["project"]["dynamic"]
    assert data["build-system"] == {"requires": ["setuptools>=61.0"], "build-backend": "setuptools.build_meta"}
    # and the project is installed (editable) with its dependencies, and builds the same plus what was added
    added = corral("add", "alpha<2", cwd=root)
    assert added.exit_code == 0, added.stderr
    assert corral("sync", cwd=root).exit_code == 0
    in_env(root, "import click, alpha; assert click.__version__ == '8.1.7'")
    built = build_metadata(root, tmp_path / "dist")
    assert built.pop("Requires-Dist") == [*original.pop("Requires-Dist"), "alpha<2"]
    assert built == original


def test_setup_py_project_with_a_pyproject_lacking_project_table_is_refused_not_broken(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    # given a setup.py project whose pyproject.toml only configures tools
    root = copy_project("click-8.1.7", tmp_path)
    (root / "pyproject.toml").write_text("[tool.black]\nline-length = 88\n", encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    before = files_of(root)
    # when: a project requirement would need a [project] table, a group would leave setup.py's dependencies out
    for args in (("add", "alpha"), ("add", "--dev", "alpha"), ("lock",)):
        refused = corral(*args, cwd=root)
        # then refused, one line, nothing written
        assert refused.exit_code == 2, (args, refused.stderr)
        assert "corral init" in refused.stderr and len(errors(refused.stderr)) == 1
        assert files_of(root) == before
    # and init keeps the tool table, adds [project] and [build-system] above it
    assert corral("init", "--run-build-backend", cwd=root).exit_code == 0
    text = (root / "pyproject.toml").read_text()
    assert text.index("[project]") < text.index("[build-system]") < text.index("[tool.black]")


def test_import_records_editable_self_with_extra_as_a_self_reference(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    # given requests' requirements-dev.txt, which starts with `-e .[socks]`
    root = copy_project("requests", tmp_path)
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    # when
    done = corral("import", "requirements-dev.txt", "--dev", cwd=root)
    # then the project itself with its extra is recorded the PEP 735 way, and the rest is imported
    assert done.exit_code == 0, done.stderr
    assert "recorded as 'requests[socks]'" in done.stderr
    dev = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert dev == [
        "pytest<10,>=2.8.0",
        "pytest-cov",
        "pytest-httpbin==2.1.0",
        "httpbin~=0.10.0",
        "trustme",
        "wheel",
        "requests[socks]",
    ]
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert "pysocks" in {p["name"] for p in lock["packages"]}
    assert corral("sync", cwd=root).exit_code == 0
    in_env(root, "import pysocks, requests, trustme")
    build_metadata(root, tmp_path / "dist")


def test_import_into_project_dependencies_skips_the_project_itself_and_says_so(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\ndependencies = []\n')
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    (root / "requirements.txt").write_text("-e .[fast]\nalpha<2\n")
    done = corral("import", "requirements.txt", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "the project itself" in done.stderr and "corral sync --extra fast" in done.stderr
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"] == ["alpha<2"]


def test_init_puts_everything_back_when_the_backend_would_build_other_metadata(
    tmp_path: Path,
    corral: Runner,
    indexed: str,
) -> None:
    # given a setup.py that states another summary once a pyproject.toml exists
    root = tmp_path / "odd"
    root.mkdir()
    (root / "setup.py").write_text(
        "import os\nfrom setuptools import setup\n\n"
        "setup(name='odd', version='1.0', install_requires=['alpha'], py_modules=[],\n"
        "      description='with pyproject' if os.path.exists('pyproject.toml') else 'without')\n"
    )
    before = files_of(root)
    # when
    done = corral("init", "--run-build-backend", "--python", str(pyenv_python("3.12")), cwd=root)
    # then refused with the difference named, and no file of the project changed (setuptools' own egg-info aside)
    assert done.exit_code == 2, done.stderr
    assert "would change what the build backend builds" in done.stderr and "'summary: without'" in done.stderr
    assert {k: v for k, v in files_of(root).items() if ".egg-info" not in k} == before
