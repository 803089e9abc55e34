"""Packages the lock took from an index are installed as index packages: no PEP 610 `direct_url.json`.

`pip freeze` prints `name==version` for them and `pip list --outdated` sees them, while a lock entry that
really is a URL or a local path keeps its direct-URL record. Both engines, the local test index.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project

from conftest import RunResult, pyenv_python
from corral.infra.uvbin import uv_binary
from support.fixtures import isolated_environ
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Callable

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

W = "py2.py3-none-any.whl"
FROM_INDEX = {"alpha": "1.1", "beta": "1.0", "sdistonly": "1.0"}  # sdistonly: an sdist, built at install
BY_URL, BY_PATH = "delta", "cowsay-lite"


def _entry_block(text: str, name: str) -> tuple[int, int]:
    start = text.index(f'[[packages]]\nname = "{name}"')
    end = text.find("\n[[packages]]", start + 1)
    return start, len(text) if end < 0 else end


def _edit_entry(text: str, name: str, edit: Callable[[str], str]) -> str:
    start, end = _entry_block(text, name)
    return text[:start] + edit(text[start:end]) + text[end:]


def _lock(root: Path, index: LocalIndex, alpha: str = "1.1") -> None:
    """alpha, beta, sdistonly from the index; delta by URL only; cowsay-lite by a path beside the lock."""
    path_wheel = f"cowsay_lite-1.0-{W}"
    (root / "wheels").mkdir(exist_ok=True)
    shutil.copy(index.files[path_wheel].path, root / "wheels" / path_wheel)
    entries = [
        Entry(f"alpha-{alpha}-{W}"),
        Entry(f"beta-1.0-{W}"),
        Entry("sdistonly-1.0.tar.gz"),
        Entry(f"delta-1.2-{W}"),
        Entry(path_wheel),
    ]
    lock = write_lock(root, index, entries, isolated_environ())
    text = lock.read_text(encoding="utf-8")
    no_index = re.compile(r"^index = .*\n", re.MULTILINE)
    text = _edit_entry(text, BY_URL, lambda block: no_index.sub("", block))
    text = _edit_entry(
        text,
        BY_PATH,
        lambda block: re.sub(
            r"^url = .*$", f'path = "wheels/{path_wheel}"', no_index.sub("", block), flags=re.MULTILINE
        ),
    )
    lock.write_text(text, encoding="utf-8")


def _tools_environ(index: LocalIndex) -> dict[str, str]:
    return dict(isolated_environ(), PIP_INDEX_URL=index.simple_url, UV_INDEX_URL=index.simple_url)


def _freeze(root: Path, index: LocalIndex) -> dict[str, dict[str, str]]:
    """{tool: {normalized name: the rest of its freeze line}} as pip and uv print them."""
    python = str(root / ".venv" / "bin" / "python")
    outputs = {
        "pip": subprocess.run(
            [python, "-m", "pip", "freeze", "--all"],
            capture_output=True,
            text=True,
            check=True,
            env=_tools_environ(index),
            timeout=120,
        ).stdout,
        "uv": subprocess.run(
            [uv_binary(), "pip", "freeze", "--python", python],
            capture_output=True,
            text=True,
            check=True,
            env=_tools_environ(index),
            timeout=120,
        ).stdout,
    }
    found: dict[str, dict[str, str]] = {}
    for tool, out in outputs.items():
        lines = (re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line) for line in out.splitlines() if line.strip())
        found[tool] = {m[1].lower().replace("_", "-"): m[2] for m in lines if m}
    return found


def _direct_url_records(root: Path) -> dict[str, bool]:
    """{normalized name: whether its dist-info holds a direct_url.json}."""
    (site,) = (root / ".venv" / "lib").glob("python*/site-packages")
    return {
        info.name.split("-")[0].lower().replace("_", "-"): (info / "direct_url.json").is_file()
        for info in site.glob("*.dist-info")
    }


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_sync_installs_index_packages_as_index_packages_and_urls_as_urls(
    engine: str,
    tmp_path: Path,
    local_index: LocalIndex,
    monkeypatch: pytest.MonkeyPatch,
    corral: Callable[..., RunResult],
) -> None:
    # given: a lock holding index packages (wheels and an sdist), a URL-only entry and a local path entry
    require_wheelhouse()  # the seeded pip of the env runs `pip freeze` and `pip list`
    pyenv_python("3.12")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    root = write_project(tmp_path / "proj", deps=["beta", "sdistonly", BY_URL, BY_PATH])
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    _lock(root, local_index)

    # when
    result = corral("sync", "--frozen", "--engine", engine, cwd=root)

    # then: pip and uv both print `name==version` for index packages, `name @ url` only for the others
    assert result.exit_code == 0, result.stderr
    for tool, frozen in _freeze(root, local_index).items():
        for name, version in FROM_INDEX.items():
            assert frozen.get(name) == f"=={version}", (tool, name, frozen)
        assert frozen[BY_URL].startswith(f"@ {local_index.url}/files/delta-1.2-"), (tool, frozen)
        assert frozen[BY_PATH].startswith("@ file://"), (tool, frozen)
    records = _direct_url_records(root)
    assert not any(records[name] for name in FROM_INDEX), records
    assert records[BY_URL], records
    assert records[BY_PATH], records

    # and: pip's upgrade check sees the index package (alpha 1.1 installed, 2.0 on the index)
    outdated = subprocess.run(
        [str(root / ".venv/bin/python"), "-m", "pip", "list", "--outdated", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env=_tools_environ(local_index),
        timeout=120,
    )
    latest = {p["name"].lower(): p["latest_version"] for p in json.loads(outdated.stdout)}
    assert latest.get("alpha") == "2.0", outdated.stdout


@pytest.mark.parametrize("engine", ["uv", "pip"])
def test_a_version_change_from_the_index_stays_an_index_package(
    engine: str,
    tmp_path: Path,
    local_index: LocalIndex,
    monkeypatch: pytest.MonkeyPatch,
    corral: Callable[..., RunResult],
) -> None:
    require_wheelhouse()
    pyenv_python("3.12")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    root = write_project(tmp_path / "proj", deps=["beta", "sdistonly", BY_URL, BY_PATH])
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    _lock(root, local_index)
    assert corral("sync", "--frozen", "--engine", engine, cwd=root).exit_code == 0

    _lock(root, local_index, alpha="1.0")  # only wheels change: pip is given no index at all
    result = corral("sync", "--frozen", "--engine", engine, "--json", cwd=root)

    assert result.exit_code == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)["data"]["changed"]] == ["alpha"]
    assert _freeze(root, local_index)["pip"]["alpha"] == "==1.0"
    assert not _direct_url_records(root)["alpha"]
