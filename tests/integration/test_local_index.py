"""The local PEP 503 index and its hand-built packages, driven by real uv and pip."""

# The fixtures are imported (the root conftest may not exist yet), so parameters shadow them:
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from uv import find_uv_bin

from support.fixtures import built_packages, clean_env, local_index  # noqa: F401
from support.index import LocalIndex, serve_index
from support.wheelhouse import require_wheelhouse
from support.wheels import CATALOGUE, build_packages

if TYPE_CHECKING:
    from collections.abc import Sequence

pytestmark = pytest.mark.integration

PYENV = Path("/root/.pyenv/versions")
PY27 = PYENV / "2.7.18/bin/python2.7"
PY311 = PYENV / "3.11.7/bin/python3.11"
PY312 = PYENV / "3.12.1/bin/python3.12"
PY313 = PYENV / "3.13.0/bin/python3.13"
UV = find_uv_bin()
TIMEOUT = 300
INSTALLERS = ["uv", "pip"]
SEED_PIP = "pip-26.3-*.whl"  # what `uv venv --seed` takes for Python 3.12 from the wheelhouse

# What each installer says when it refuses a package, by case.
REFUSALS = {
    ("uv", "broken"): "Bad CRC",
    ("pip", "broken"): "Bad CRC-32",
    ("uv", "winonly"): "platform tag",
    ("pip", "winonly"): "No matching distribution found for winonly",
    ("uv", "epsilon"): "Python>=3.13",
    ("pip", "epsilon"): "Requires-Python >=3.13",
    ("uv", "conflict"): "unsatisfiable",
    ("pip", "conflict"): "ResolutionImpossible",
}


def run(command: Sequence[str | Path], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output (stderr folded into stdout)."""
    return subprocess.run(
        [str(part) for part in command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """Return the output of a command that must have succeeded."""
    assert result.returncode == 0, result.stdout
    return result.stdout


def need(python: Path) -> Path:
    """Return `python`, skipping the test when this machine lacks it."""
    if not python.is_file():
        pytest.skip(f"{python} is not installed")
    return python


def make_venv(where: Path, python: Path, installer: str, index: LocalIndex, env: dict[str, str]) -> Path:
    """Create a venv with uv (seeded with pip from the local index for pip) and return its python."""
    command: list[str | Path] = [UV, "venv", "--quiet", "--no-cache", "--python", need(python), where]
    if installer == "pip":
        require_wheelhouse(SEED_PIP)
        command += ["--seed", "--index-url", index.simple_url]
    ok(run(command, env))
    return where / "bin" / "python"


def install(
    installer: str, python: Path, index: LocalIndex, env: dict[str, str], *requirements: str
) -> subprocess.CompletedProcess[str]:
    """Install `requirements` into the venv of `python` from the local index only."""
    command: list[str | Path]
    if installer == "uv":
        command = [UV, "pip", "install", "--no-cache", "--index-url", index.simple_url, "--python", python]
    else:
        command = [python, "-m", "pip", "install", "--no-cache-dir", "--index-url", index.simple_url]
    return run([*command, *requirements], env)


def versions(python: Path, env: dict[str, str], *modules: str) -> dict[str, str]:
    """Return the ``__version__`` of each module as imported by `python`."""
    code = (  # runs on Python 2.7 too
        "import importlib, sys\n"
        "for m in sys.argv[1:]:\n"
        '    sys.stdout.write("%s %s\\n" % (m, importlib.import_module(m).__version__))'
    )
    output = ok(run([python, "-c", code, *modules], env))
    return dict(line.split() for line in output.splitlines())


def fetch(url: str) -> tuple[str, bytes]:
    """GET `url`, following redirects; return the final URL and the body."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a loopback URL)
        return response.geturl(), response.read()


@pytest.fixture(params=INSTALLERS)
def installer(request: pytest.FixtureRequest) -> str:
    """Name the installer under test."""
    return str(request.param)


@pytest.fixture
def venv(installer: str, tmp_path: Path, local_index: LocalIndex, clean_env: dict[str, str]) -> Path:
    """Return the python of a fresh Python 3.12 venv ready for `installer`."""
    return make_venv(tmp_path / "venv", PY312, installer, local_index, clean_env)


# --- the index and the packages themselves -----------------------------------------------------


def test_root_page_lists_normalized_projects(local_index: LocalIndex) -> None:
    _, body = fetch(f"{local_index.simple_url}/")
    page = body.decode()
    for package in CATALOGUE:
        assert f'href="/simple/{package.name}/"' in page
    assert "cowsay_lite" not in page


def test_project_page_has_hashes_and_escaped_requires_python(local_index: LocalIndex) -> None:
    _, body = fetch(f"{local_index.simple_url}/epsilon/")
    page = body.decode()
    assert 'data-requires-python="&gt;=3.13"' in page
    entry = local_index.files["epsilon-1.0-py2.py3-none-any.whl"]
    assert f'href="/files/epsilon-1.0-py2.py3-none-any.whl#sha256={entry.sha256}"' in page


def test_files_are_served_with_their_hash(local_index: LocalIndex) -> None:
    entry = local_index.files["sdistonly-1.0.tar.gz"]
    _, body = fetch(f"{local_index.url}/files/{entry.filename}")
    assert hashlib.sha256(body).hexdigest() == entry.sha256


@pytest.mark.parametrize("path", ["/simple/alpha", "/simple/Cowsay_Lite/", "/simple/cowsay.lite", "/simple"])
def test_non_canonical_pages_redirect(local_index: LocalIndex, path: str) -> None:
    final, _ = fetch(local_index.url + path)
    assert final.endswith("/")
    assert final.startswith(local_index.simple_url)
    assert final.rstrip("/").rsplit("/", 1)[-1] in {"alpha", "cowsay-lite", "simple"}


def test_unknown_project_is_404(local_index: LocalIndex) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(f"{local_index.simple_url}/no-such-project/")
    assert caught.value.code == 404


def test_wheels_record_matches_their_content(built_packages: dict[str, list[Path]]) -> None:
    for path in (p for paths in built_packages.values() for p in paths if p.name.endswith(".whl")):
        if path.name.startswith("broken-"):
            continue
        with zipfile.ZipFile(path) as archive:
            record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
            for row in archive.read(record).decode().splitlines():
                name, digest, size = row.rsplit(",", 2)
                if name != record:
                    data = archive.read(name)
                    assert int(size) == len(data), (path.name, name)
                    assert digest.startswith("sha256="), (path.name, name)


def test_build_is_idempotent(tmp_path: Path) -> None:
    first = build_packages(tmp_path)
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for paths in first.values() for p in paths}
    second = build_packages(tmp_path)
    assert second == first
    assert stamps == {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in stamps}


def test_serve_index_stops_cleanly(tmp_path: Path) -> None:
    build_packages(tmp_path)
    with serve_index(tmp_path) as index:
        fetch(f"{index.simple_url}/")
    with pytest.raises(urllib.error.URLError):
        fetch(f"{index.simple_url}/")


# --- installs with uv and with pip ---------------------------------------------------------------


def test_dependency_is_pulled_in(
    installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    ok(install(installer, venv, local_index, clean_env, "beta"))
    assert versions(venv, clean_env, "beta", "alpha") == {"beta": "1.0", "alpha": "2.0"}


def test_extra_pulls_in_its_dependency(
    installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    ok(install(installer, venv, local_index, clean_env, "gamma[fast]"))
    assert versions(venv, clean_env, "gamma", "delta") == {"gamma": "1.0", "delta": "1.2"}


def test_pinned_older_version(installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]) -> None:
    ok(install(installer, venv, local_index, clean_env, "alpha==1.1", "delta<1.2"))
    assert versions(venv, clean_env, "alpha", "delta") == {"alpha": "1.1", "delta": "1.0"}


def test_console_script_works(installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]) -> None:
    ok(install(installer, venv, local_index, clean_env, "cowsay-lite"))
    assert ok(run([venv.parent / "cowsay-lite", "hello", "there"], clean_env)).strip() == "moo hello there"


def test_sdist_builds_offline(installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]) -> None:
    ok(install(installer, venv, local_index, clean_env, "sdistonly"))
    assert versions(venv, clean_env, "sdistonly") == {"sdistonly": "1.0"}


def test_broken_wheel_is_refused(
    installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    result = install(installer, venv, local_index, clean_env, "broken")
    assert result.returncode != 0
    assert REFUSALS[installer, "broken"] in result.stdout


def test_windows_only_wheel_is_refused_on_linux(
    installer: str,
    tmp_path: Path,
    local_index: LocalIndex,
    clean_env: dict[str, str],
) -> None:
    # cp311 matches the wheel's tag: only the platform differs.
    python = make_venv(tmp_path / "venv311", PY311, installer, local_index, clean_env)
    result = install(installer, python, local_index, clean_env, "winonly")
    assert result.returncode != 0
    assert REFUSALS[installer, "winonly"] in result.stdout


def test_requires_python_is_honoured(
    installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    result = install(installer, venv, local_index, clean_env, "epsilon")
    assert result.returncode != 0
    assert REFUSALS[installer, "epsilon"] in result.stdout


def test_requires_python_admits_313(
    installer: str, tmp_path: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    python = make_venv(tmp_path / "venv313", PY313, installer, local_index, clean_env)
    ok(install(installer, python, local_index, clean_env, "epsilon"))
    assert versions(python, clean_env, "epsilon") == {"epsilon": "1.0"}


def test_conflicting_pins_do_not_resolve(
    installer: str, venv: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    result = install(installer, venv, local_index, clean_env, "conflict-a", "conflict-b")
    assert result.returncode != 0
    assert REFUSALS[installer, "conflict"] in result.stdout


def test_python27_virtualenv_installs_from_the_index(
    tmp_path: Path, local_index: LocalIndex, clean_env: dict[str, str]
) -> None:
    where = tmp_path / "venv27"
    # Python 2.7 envs come from virtualenv 20.21.1 (the last that creates them), which corral installs into its
    # own toolchain; the dev env's virtualenv is newer. corral's creator takes the toolchain from this index.
    env = dict(clean_env, UV_INDEX_URL=local_index.simple_url)
    ok(run([sys.executable, "-m", "corral", "venv", where, "--python", need(PY27)], env))
    python = where / "bin" / "python"
    ok(
        run(
            [python, "-m", "pip", "install", "--no-cache-dir", "--index-url", local_index.simple_url, "alpha"],
            clean_env,
        )
    )
    assert versions(python, clean_env, "alpha") == {"alpha": "2.0"}
