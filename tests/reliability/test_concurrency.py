"""Concurrency: 8 adds at once, sync racing run, two projects sharing a cache: no lost record, healthy env."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.infra.uvbin import uv_binary
from support.index import LocalIndex, serve_index
from support.journals import pending_journals
from support.reliability import corral_cmd, subprocess_environ
from support.toml import tomllib
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

NAMES = [f"herd{i}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def herd_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """A private index with eight independent packages herd1..herd8 (1.0 and 2.0)."""
    folder = tmp_path_factory.mktemp("herd")
    build_packages(folder, tuple(Package(n, v) for n in NAMES for v in ("1.0", "2.0")))
    with serve_index(folder) as index:
        yield index


def _project(root: Path, deps: list[str] | None = None) -> Path:
    root.mkdir(parents=True)
    listed = ", ".join(json.dumps(d) for d in deps or [])
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{root.name}"\nversion = "0.1"\nrequires-python = ">=3.12"\ndependencies = [{listed}]\n'
        "\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return root


def _installed(root: Path) -> dict[str, str]:
    out = subprocess.run(
        [uv_binary(), "pip", "list", "--format", "json", "--python", str(root / ".venv/bin/python")],
        capture_output=True,
        text=True,
        check=True,
    )
    return {p["name"]: p["version"] for p in json.loads(out.stdout)}


def _locked(root: Path) -> set[str]:
    return {p["name"] for p in tomllib.loads((root / "pylock.toml").read_text())["packages"]}


def _all_at_once(commands: list[tuple[list[str], Path]], environ: dict[str, str]) -> list[tuple[int, str]]:
    procs = [
        subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd, cwd in commands
    ]
    results = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        results.append((proc.returncode, err))
    return results


def _assert_healthy(root: Path, environ: dict[str, str]) -> None:
    check = subprocess.run(
        corral_cmd("lock", "--check"), cwd=root, env=environ, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    doctor = subprocess.run(
        corral_cmd("doctor", "--json"), cwd=root, env=environ, capture_output=True, text=True, check=False
    )
    findings = json.loads(doctor.stdout)["data"].get("findings", [])
    serious = [f for f in findings if f.get("severity") not in {"info", "ok"}]
    assert doctor.returncode == 0, (serious, doctor.stderr)
    assert not list(root.glob(".*.corral-new-*"))
    assert not pending_journals(environ["CORRAL_HOME"])


def test_eight_adds_at_once_record_every_package(tmp_path: Path, herd_index: LocalIndex) -> None:
    root = _project(tmp_path / "proj")
    environ = subprocess_environ(herd_index.simple_url)
    results = _all_at_once([(corral_cmd("add", name), root) for name in NAMES], environ)
    assert [code for code, _ in results] == [0] * 8, [err for code, err in results if code]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(deps) == sorted(NAMES), "a record was lost"
    assert set(NAMES) <= _locked(root)
    assert set(NAMES) <= set(_installed(root))
    _assert_healthy(root, environ)


def test_sync_racing_run_ends_synced(tmp_path: Path, herd_index: LocalIndex) -> None:
    root = _project(tmp_path / "proj", ["herd1"])
    environ = subprocess_environ(herd_index.simple_url)
    assert subprocess.run(corral_cmd("sync"), cwd=root, env=environ, capture_output=True, check=False).returncode == 0
    text = (root / "pyproject.toml").read_text().replace('["herd1"]', '["herd1", "herd2==2.0", "herd3"]')
    (root / "pyproject.toml").write_text(text)
    run = ["run", "python", "-c", "import herd2, herd3; assert herd2.__version__ == '2.0'"]
    results = _all_at_once(
        [(corral_cmd("sync"), root), (corral_cmd(*run), root), (corral_cmd("sync"), root), (corral_cmd(*run), root)],
        environ,
    )
    assert [code for code, _ in results] == [0] * 4, results
    assert {"herd1", "herd2", "herd3"} <= set(_installed(root))
    _assert_healthy(root, environ)


def test_two_projects_share_the_cache_at_once(tmp_path: Path, herd_index: LocalIndex) -> None:
    first = _project(tmp_path / "one", ["herd4", "herd5==1.0"])
    second = _project(tmp_path / "two", ["herd5==2.0", "herd6"])
    environ = subprocess_environ(herd_index.simple_url)
    results = _all_at_once(
        [
            (corral_cmd("sync"), first),
            (corral_cmd("sync"), second),
            (corral_cmd("add", "herd7"), first),
            (corral_cmd("add", "herd8"), second),
        ],
        environ,
    )
    assert [code for code, _ in results] == [0] * 4, results
    assert _installed(first)["herd5"] == "1.0"
    assert _installed(second)["herd5"] == "2.0"
    assert {"herd4", "herd7"} <= set(_installed(first))
    assert {"herd6", "herd8"} <= set(_installed(second))
    for root in (first, second):
        _assert_healthy(root, environ)
