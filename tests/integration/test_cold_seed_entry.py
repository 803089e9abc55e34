"""A seeded sync on an empty uv cache: pip's entry is learned from the index first, then one pylock input installs all.

Issue 16's cold-cache target (`benchmarks/bench_cold.py`). Online, uv revalidates every index page it reads (PyPI's
pages come back stale), so a seed line beside the locked files' lines cost the install one request per package, where
the pylock input of `engines.uv_input` needs none. So the lesson asks the index for pip's page alone, and the install
takes every file, pip's wheel among them, as entries of a pylock input: no index page at all. The next rebuild's head
start runs that same input offline. Which uv command sent each request is read from the index's side: uv names its
subcommand in its User-Agent, so nothing here replaces corral or uv (H6's harness).
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_sync_one_install import cached_index, installed, make_project, programs  # noqa: F401

from conftest import corral_exe
from support.index import IndexHandler

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # a rebuild record is written only once every input is two seconds old (cli.headstart)


@pytest.fixture
def requests_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(uv subcommand, path) of every GET the local index answers from now on."""
    seen: list[tuple[str, str]] = []
    answer = IndexHandler.do_GET

    def recorded(self: IndexHandler) -> None:
        agent = self.headers.get("User-Agent", "")
        try:
            command = " ".join(json.loads(agent.split(" ", 1)[1])["installer"]["subcommand"])
        except (IndexError, ValueError, KeyError, TypeError):
            command = agent
        seen.append((command, self.path))
        answer(self)

    monkeypatch.setattr(IndexHandler, "do_GET", recorded)
    return seen


def fresh_sync(root: Path, log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`corral sync` into a new .venv in its own process (as a user runs it: the head start and its record), logged."""
    shutil.rmtree(root / ".venv", ignore_errors=True)
    log.unlink(missing_ok=True)
    cmd = [*corral_exe(), "sync", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False, timeout=300)


def recorded_argv(home: Path) -> list[str]:
    """The uv command of the project's rebuild record (`cli.headstart`: `argv` in hex, NUL between arguments)."""
    records = list(home.rglob("*.rebuild.txt"))
    assert len(records) == 1, records
    lines = records[0].read_text(encoding="utf-8").splitlines()
    found = [bytes.fromhex(line.split(" ", 1)[1]).decode() for line in lines if line.startswith("argv ")]
    assert len(found) == 1, lines
    return found[0].split("\0")


def test_an_empty_cache_gets_one_page_for_the_seed_and_the_install_reads_no_page(
    tmp_path: Path,
    cached_index: LocalIndex,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    requests_seen: list[tuple[str, str]],
) -> None:
    """The lesson asks for pip's page alone; the one install asks for no page; the next rebuild asks for nothing."""
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "programs.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    time.sleep(_SETTLE)
    requests_seen.clear()  # only the sync's requests
    done = fresh_sync(root, log)
    assert done.returncode == 0, done.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
    pages = [(command, path) for command, path in requests_seen if path.startswith("/simple/")]
    assert pages == [("pip compile", "/simple/pip/")], requests_seen  # lines: a page per package, pip's again
    assert {command for command, _path in requests_seen} == {"pip compile", "pip install"}, requests_seen
    home = Path(os.environ["CORRAL_HOME"])
    records = list(home.rglob("seed-wheels/*.json"))
    assert len(records) == 1, records
    assert json.loads(records[0].read_text(encoding="utf-8"))["version"] == installed(root)["pip"]
    argv = recorded_argv(home)  # what the next rebuild's head start runs: the pylock input, pip's entry in it
    assert argv[argv.index("--preview-features") + 1] == "pylock", argv
    assert argv[-1] == "--offline", argv
    requests_seen.clear()
    again = fresh_sync(root, log, "--offline")
    assert again.returncode == 0, again.stderr
    assert programs(log).count("uv pip install") == 1, programs(log)
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
    assert requests_seen == [], requests_seen
