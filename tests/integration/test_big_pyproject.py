"""A pyproject.toml of a megabyte: parsed once per process, and one that no real project reaches is refused.

A 1.4 MB pyproject took 45 s per `corral sync` (tomllib parsed it five times, ~0.6 s of CPU per MB each) and a
58 MB one ran past 300 s. Now a process parses a given text once (`infra.toml_file`'s memo, keyed by the whole
text) and a pyproject.toml over `PYPROJECT_LIMIT` (1 MiB, ten times the largest real one found) is one error that
names the file, its size and the limit, before anything is written.

Real CLI in-process, a real interpreter and uv (a project without dependencies: nothing to download). The parses
are counted by wrapping the TOML library's `loads` (the real one still parses).
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.infra.toml_file import PYPROJECT_LIMIT
from support.toml import count_parses, tomllib

if TYPE_CHECKING:
    from pathlib import Path

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_HEAD = '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the TOML library parses from now on."""
    return count_parses(monkeypatch)


def _rows(count: int) -> str:
    return "".join(f'key_{i} = {{ a = "value {i}", b = [1, 2, 3] }}\n' for i in range(count))


def _project(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(body, encoding="utf-8")
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    return root


def test_sync_lock_and_doctor_parse_the_pyproject_once(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")
    pyenv_python("3.12")
    body = f"# {uuid.uuid4()}\n{_HEAD}[tool.corral]\nseed = false\n[tool.other]\n{_rows(2000)}"  # ~80 kB
    root = _project(tmp_path, body)
    done = corral("sync", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert parsed.count(body) == 1, "a fresh sync (lock, create, install) parses the pyproject once"
    os.utime(root / "pyproject.toml")  # the full no-op check, not the stamp's stat shortcut
    for command in (("sync",), ("lock",), ("doctor",)):
        done = corral(*command, cwd=root)
        assert done.exit_code in (0, 1), done.stderr
    assert parsed.count(body) == 1, "and nothing after it in the same process parses the same bytes again"


def test_add_and_remove_parse_each_text_of_the_pyproject_once(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex, parsed: list[str]
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    pyenv_python("3.12")
    body = f"# {uuid.uuid4()}\n{_HEAD}[tool.corral]\nseed = false\n[tool.other]\n{_rows(2000)}"
    root = _project(tmp_path, body)
    pyproject = root / "pyproject.toml"
    for command in (("add", "alpha"), ("remove", "alpha")):
        before = pyproject.read_text(encoding="utf-8")
        done = corral(*command, cwd=root)
        assert done.exit_code == 0, done.stderr
        after = pyproject.read_text(encoding="utf-8")
        assert after != before
        assert parsed.count(before) <= 1, f"{command[0]}: the pyproject it edits is parsed once"
        assert parsed.count(after) <= 1, f"{command[0]}: the pyproject it writes is parsed once, not again when read"
    assert tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"] == []


@pytest.mark.parametrize(
    "command",
    [("sync",), ("lock",), ("doctor",), ("add", "attrs"), ("remove", "attrs"), ("run", "true")],
    ids=lambda c: c[0],
)
def test_a_pyproject_over_the_limit_is_one_error_and_nothing_is_written(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")
    pyenv_python("3.12")
    pad = PYPROJECT_LIMIT + 1 - len(_HEAD) - 1
    root = _project(tmp_path, _HEAD + "#" * pad + "\n")  # valid TOML, fast to parse: only the size is wrong
    before = (root / "pyproject.toml").read_bytes()
    assert len(before) == PYPROJECT_LIMIT + 1
    done = corral(*command, cwd=root)
    assert done.exit_code == 2, done.stderr
    assert done.stderr.strip() == (
        f"error: {root / 'pyproject.toml'} is 1.0 MiB ({PYPROJECT_LIMIT + 1} bytes), over corral's 1 MiB limit "
        "for a pyproject.toml (real ones stay under ~100 kB); move bulky data out of it into files of its own "
        "(or restore it from version control) and run the command again"
    )
    assert sorted(p.name for p in root.iterdir()) == [".python-version", "pyproject.toml"]
    assert (root / "pyproject.toml").read_bytes() == before


def test_an_oversized_pyproject_naming_venv_dir_is_never_parsed(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    """The no-op sync's stdlib fast path (`stamp.locate`) parsed a pyproject that mentions venv-dir at any size up to
    64 MiB before the full path refused it: 58 MB took 60 s."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    pyenv_python("3.12")
    body = f'{_HEAD}[tool.corral]\nvenv-dir = ".venv"\n[tool.other]\n{_rows(40000)}'  # ~1.6 MB
    assert len(body) > PYPROJECT_LIMIT
    root = _project(tmp_path, body)
    done = corral("sync", cwd=root)
    assert done.exit_code == 2, done.stderr
    assert "over corral's 1 MiB limit" in done.stderr
    assert body not in parsed


def test_a_plain_lock_of_an_oversized_pyproject_is_the_limit_error_not_unchanged(tmp_path: Path) -> None:
    """A pyproject grown past the limit by a comment after a lock: the plain `corral lock` is the limit error, the lock
    untouched. `lock_stamp.pyproject_view` (the no-op lock's stamp check) read a pyproject up to 64 MiB and parsed it
    before the full path refused it (a 2.5 MB one: ~10 s at load 10, found by H7); it now stops at the same limit."""
    import subprocess

    from support.reliability import corral_cmd, subprocess_environ

    pyenv_python("3.12")
    root = _project(tmp_path, _HEAD)
    environ = subprocess_environ(UV_OFFLINE="1")
    first = subprocess.run(corral_cmd("lock"), cwd=root, env=environ, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    lock = (root / "pylock.toml").read_bytes()
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:  # a comment: nothing a lock reads
        handle.write("# padding\n" * (PYPROJECT_LIMIT // 10 + 1))
    done = subprocess.run(corral_cmd("lock"), cwd=root, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "over corral's 1 MiB limit" in done.stderr
    assert (root / "pylock.toml").read_bytes() == lock
