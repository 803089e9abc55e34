"""`cli.lock_quick`: the plain no-op `corral lock` told before argparse, with the full path's verdict and words.

Real uv against the local index locks once; then `lock_quick.answer` is asked as `cli.quick` asks it.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Corral, pyenv_python
from corral.cli.lock_quick import RECORDS_FOLDER, answer, lookup
from support.projects import demo_pyproject

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    first = corral("lock", cwd=root)
    assert first.exit_code == 0, first.stderr
    return root


def ask(where: Path, argv: list[str]) -> int | None:
    """`lock_quick.answer` as `cli.quick` asks it, started in `where`."""
    before = os.getcwd()
    os.chdir(where)  # (contextlib.chdir is 3.11+; the suite runs on 3.10 too)
    try:
        return answer(argv, os.environ)
    finally:
        os.chdir(before)


def test_the_plain_no_op_lock_says_what_the_full_path_says(
    locked: Path, corral: Corral, capsys: pytest.CaptureFixture[str]
) -> None:
    full = corral("lock", cwd=locked)
    assert full.exit_code == 0 and full.stderr.startswith("unchanged: ")
    capsys.readouterr()
    assert ask(locked, ["lock"]) == 0
    quick = capsys.readouterr()
    assert quick.out == ""
    # the same line but for the seconds it took
    assert quick.err.rsplit(", ", 1)[0] == full.stderr.rsplit(", ", 1)[0]
    assert quick.err.endswith(" s)\n") and quick.err.count("\n") == 1
    assert ask(locked, ["lock", "-q"]) == 0
    assert ask(locked, ["lock", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv", [["lock", "--check"], ["lock", "-U"], ["lock", "--json"], ["lock", "-v"], ["-q", "lock"], ["sync"]]
)
def test_any_other_command_line_takes_the_full_path(locked: Path, argv: list[str]) -> None:
    assert ask(locked, argv) is None


def test_a_changed_input_or_no_stamp_takes_the_full_path(locked: Path, tmp_path: Path) -> None:
    assert ask(locked, ["lock", "-q"]) == 0
    pyproject = locked / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("alpha>=1.0", "alpha>=1.1"), encoding="utf-8")
    assert ask(locked, ["lock", "-q"]) is None
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text(demo_pyproject("alpha"), encoding="utf-8")
    assert ask(elsewhere, ["lock"]) is None  # never locked: no stamp


_SETTLE = 2.1  # cli.quick._SETTLED_NS, and a little more: no record is written while an input is younger


def recorded(locked: Path) -> None:
    """Let the inputs settle, let the stamp's verdict write the record, and check the record answers."""
    time.sleep(_SETTLE)
    assert ask(locked, ["lock", "-q"]) == 0
    assert lookup(str(locked), os.environ) == (str(locked / "pylock.toml"), 1)


def test_the_record_answers_with_the_full_paths_words(
    locked: Path, corral: Corral, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded(locked)
    full = corral("lock", cwd=locked)
    capsys.readouterr()
    assert ask(locked, ["lock"]) == 0
    quick = capsys.readouterr()
    assert quick.out == "" and quick.err.rsplit(", ", 1)[0] == full.stderr.rsplit(", ", 1)[0]
    assert not any(RECORDS_FOLDER in str(p) for p in locked.rglob("*"))  # corral's cache only, never the project


def change(locked: Path, what: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: C901
    pyproject = locked / "pyproject.toml"
    if what == "pyproject":  # the same size, one letter other
        pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("demo", "demp"), encoding="utf-8")
    elif what == "lock":
        lock = locked / "pylock.toml"
        lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif what == "pin-above":
        (locked.parent / ".python-version").write_text("3.11\n", encoding="utf-8")
    elif what == "index-variable":
        monkeypatch.setenv("UV_EXTRA_INDEX_URL", "https://example.invalid/simple")
    elif what == "corral-variable":
        monkeypatch.setenv("CORRAL_SHELL", "fish")  # shell bookkeeping: no sync input, but the stamp compares it
    elif what == "new-interpreter-folder":
        folder = tmp_path / "newbin"
        folder.mkdir()
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    elif what == "interpreter-in-a-path-folder":
        folder = tmp_path / "pathbin"
        (folder / "python3.99").write_text("#!/bin/sh\n", encoding="utf-8")
    elif what == "uv-config":
        config = tmp_path / "xdg"
        (config / "uv").mkdir(parents=True, exist_ok=True)
        (config / "uv" / "uv.toml").write_text("[pip]\n", encoding="utf-8")
    elif what == "journal":
        from corral.infra.journals import journal_path
        from corral.infra.paths import CorralPaths

        journal = journal_path(CorralPaths.from_environment(), locked, "txn")
        journal.parent.mkdir(parents=True, exist_ok=True)
        journal.write_text("{}", encoding="utf-8")
    elif what == "stamp":
        from corral.infra.paths import CorralPaths
        from corral.services.lock_stamp import stamp_path

        stamp = stamp_path(CorralPaths.from_environment(), locked)
        stamp.write_bytes(stamp.read_bytes())  # the same bytes, another write
    elif what == "record":
        from corral.cli.quick import corral_dirs

        dirs = corral_dirs(os.environ)
        assert dirs is not None
        for record in (Path(dirs[1]) / RECORDS_FOLDER).iterdir():
            record.write_text(record.read_text(encoding="utf-8").replace("packages 1", "packages 7"), encoding="utf-8")
            record.chmod(0o666)  # and others may write it now: never read


@pytest.mark.parametrize(
    "what",
    [
        "pyproject",
        "lock",
        "pin-above",
        "index-variable",
        "corral-variable",
        "new-interpreter-folder",
        "interpreter-in-a-path-folder",
        "uv-config",
        "journal",
        "stamp",
        "record",
    ],
)
def test_every_input_the_stamp_reads_sends_the_answer_the_full_way(
    locked: Path, what: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pathbin").mkdir()
    monkeypatch.setenv("PATH", f"{tmp_path / 'pathbin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert ask(locked, ["lock", "-q"]) is None  # the variables changed since the lock: the stamp says so too
    assert corral_lock(locked) == 0  # locks again under these variables
    recorded(locked)
    change(locked, what, monkeypatch, tmp_path)
    assert lookup(str(locked), os.environ) is None, f"a changed {what} must not be answered from the record"


def corral_lock(root: Path) -> int:
    from corral.cli.main import main

    with contextlib.redirect_stderr(io.StringIO()):
        return main(["-C", str(root), "lock", "-q"])


def test_git_describe_is_asked_on_every_answer(tmp_path: Path) -> None:
    """A dynamic version's inputs: an edit of a tracked file makes `git describe --dirty` (and the record) differ."""
    from corral.cli.lock_quick import _observe
    from corral.cli.quick import corral_dirs
    from corral.infra.git import git_command

    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndynamic = ["version"]\n', encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false", "-C", str(root)]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"], ["tag", "1.0"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    cmd = git_command(["describe"])
    dirs = corral_dirs(os.environ)
    assert cmd is not None and dirs is not None
    record = (str(root), str(root / ".venv"), dirs, [("git", cmd[0])])
    clean = _observe(record, os.environ, time.time_ns())
    assert clean is not None and any(line.startswith("git 1.0-0-g") for line in clean[0])
    (root / "pyproject.toml").write_text('[project]\nname = "y"\ndynamic = ["version"]\n', encoding="utf-8")
    dirty = _observe(record, os.environ, time.time_ns())
    assert dirty is not None and any(line.startswith("git 1.0-0-g") and line.endswith("-dirty") for line in dirty[0])
