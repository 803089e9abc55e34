from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import EXPECTED_PYTHONS, IN_CI, Corral, corral_exe, missing

pytestmark = pytest.mark.integration


def _listing(corral: Corral) -> list[dict[str, Any]]:
    result = corral("python", "list", "--json")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert envelope["corral_json"] == "1"
    assert envelope["command"] == "python list"
    data: list[dict[str, Any]] = envelope["data"]
    return data


def test_list_shows_every_expected_interpreter_once(corral: Corral, pythons: dict[str, Path]) -> None:
    data = _listing(corral)
    versions = [str(d["version"]) for d in data]
    for minor in EXPECTED_PYTHONS:
        if minor not in pythons:
            missing(f"pyenv Python {minor}")
        assert any(v.startswith(minor + ".") for v in versions), f"{minor} missing from {versions}"
    # duplicates (python, python3, python3.12 symlinks) are folded into one entry each
    reals = [d["realpath"] for d in data]
    assert len(reals) == len(set(reals))
    for entry in data:
        assert entry["implementation"] and entry["architecture"] and entry["sources"]


def test_system_python_is_listed_and_marked_externally_managed(corral: Corral) -> None:
    if not Path("/usr/bin/python3").exists():
        missing("the distribution's /usr/bin/python3")
    data = _listing(corral)
    system = [d for d in data if "/usr/bin/python3" in [d["path"], *d["aliases"]]]
    assert len(system) == 1
    assert "system" in system[0]["sources"] or "path" in system[0]["sources"]
    managed = Path("/usr/lib/python3.11/EXTERNALLY-MANAGED").exists()
    assert system[0]["externally_managed"] is managed


def test_second_listing_runs_no_interpreter(tmp_path: Path) -> None:
    env = dict(os.environ)
    cmd = [*corral_exe(), "python", "list", "--json"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    cache = Path(env["CORRAL_HOME"]) / "cache" / "interpreters.json"
    assert cache.is_file()
    before = cache.stat().st_mtime_ns
    start = time.perf_counter()
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    assert json.loads(second.stdout)["data"] == json.loads(first.stdout)["data"]
    assert cache.stat().st_mtime_ns == before, "a cached listing must not re-probe (cache rewritten)"
    assert elapsed < (5 if IN_CI else 2), f"cached listing took {elapsed:.2f}s"


def test_cache_is_invalidated_when_the_binary_changes(tmp_path: Path, pythons: dict[str, Path]) -> None:
    from corral.discovery.prober import CachedProber

    if "3.12" not in pythons or "3.13" not in pythons:
        missing("pyenv 3.12 and 3.13")
    exe = tmp_path / "python"
    exe.symlink_to(pythons["3.12"])
    prober = CachedProber(tmp_path / "cache.json")
    assert prober.probe(exe)["version"].startswith("3.12")
    prober.save()
    exe.unlink()
    exe.symlink_to(pythons["3.13"])
    fresh = CachedProber(tmp_path / "cache.json")
    assert fresh.cached(exe) is None
    assert fresh.probe(exe)["version"].startswith("3.13")


@pytest.mark.parametrize(
    ("spec", "prefix"),
    [
        ("3.12", "3.12."),
        ("3", "3.13."),
        (">=3.9,<3.12", "3.11.7"),
        ("cpython@3.11", "3.11.7"),
        ("2.7", "2.7."),
        ("3.11.2", "3.11.2"),
    ],
)
def test_find_picks_the_best_match(corral: Corral, pythons: dict[str, Path], spec: str, prefix: str) -> None:
    if len(pythons) < len(EXPECTED_PYTHONS):
        missing("all pyenv Pythons 2.7, 3.6-3.13")
    if spec == "3.11.2" and not Path("/usr/bin/python3.11").exists():
        missing("Debian's python3.11")
    result = corral("python", "find", spec, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["version"].startswith(prefix)


def test_find_accepts_a_path(corral: Corral, pythons: dict[str, Path]) -> None:
    if "3.10" not in pythons:
        missing("pyenv 3.10")
    result = corral("python", "find", str(pythons["3.10"]))
    assert result.exit_code == 0
    assert result.stdout.strip() == str(pythons["3.10"])


def test_no_match_lists_what_was_found(corral: Corral) -> None:
    result = corral("python", "find", "3.99")
    assert result.exit_code == 2
    assert "no interpreter matches '3.99'" in result.stderr
    assert "found: 3.13" in result.stderr
    assert "Traceback" not in result.stderr
    bad = corral("python", "find", "three")
    assert bad.exit_code == 2
    assert "not a Python spec" in bad.stderr


def test_pin_writes_python_version(corral: Corral, project: Path, pythons: dict[str, Path]) -> None:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    result = corral("python", "pin", "3.12", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert (project / ".python-version").read_text() == "3.12\n"
    nothing = corral("python", "pin", "3.99", cwd=project)
    assert nothing.exit_code == 2
    assert (project / ".python-version").read_text() == "3.12\n"


def test_an_activated_venv_does_not_hide_its_base_interpreter(tmp_path: Path, pythons: dict[str, Path]) -> None:
    """A venv's python links to its base; first on PATH (an activated env), it must not fold the base away."""
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    venv = tmp_path / "active"
    subprocess.run([str(pythons["3.12"]), "-m", "venv", "--without-pip", str(venv)], check=True)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    env["CORRAL_HOME"] = str(tmp_path / "home")  # nothing probed before: the group's first member is the venv's
    found = subprocess.run(
        [*corral_exe(), "python", "find", "3.12"], env=env, capture_output=True, text=True, check=False
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith(os.path.realpath(pythons["3.12"]).rsplit("/bin/", 1)[0]), found.stdout
    assert str(venv) not in found.stdout
    listing = subprocess.run([*corral_exe(), "python", "list"], env=env, capture_output=True, text=True, check=True)
    assert str(venv) not in listing.stdout
