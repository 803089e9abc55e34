"""`corral run SCRIPT.py` answered before argparse (`cli.script_quick`) against odd and hostile inputs.

Each case is run twice: plainly (the quick path may answer) and with `-v` (`cli.run_cmd.fast_path`, never the quick
path); both must run the same env with the same argv and exit code, and the quick path must stand aside wherever
it cannot be sure. The scripts have no dependencies (nothing to download); the envs are built by the real CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_quick_path import corral, messages, was_quick
from test_script_quick import _BLOCK, _SHOW, built, folder, script

pytestmark = pytest.mark.integration
__all__ = ["folder"]  # the fixture, used by name


def same_answer(root: Path, *args: str) -> tuple[bool, list[object]]:
    """Whether the plain command was quick, and what it ran (prefix, argv), checked equal to `run -v`'s."""
    plain = corral(root, "run", *args)
    full = corral(root, "run", "-v", *args)
    assert not was_quick(full)
    assert plain.returncode == full.returncode == 3, (plain.stderr[-1500:], full.stderr[-1500:])
    assert messages(plain) == messages(full) == []
    ran = json.loads(plain.stdout)
    assert ran == json.loads(full.stdout)
    return was_quick(plain), ran[:2]


def test_folders_with_spaces_unicode_and_links_are_answered_as_the_full_path(folder: Path) -> None:
    for name in ("sp ace", "ünï", "real"):
        (folder / name).mkdir()
        script(folder / name)
    (folder / "linked").symlink_to(folder / "real")
    (folder / "link.py").symlink_to(folder / "real" / "tool.py")
    built(folder, "sp ace/tool.py")
    for given in ("sp ace/tool.py", "ünï/tool.py", "linked/tool.py", "link.py", str(folder / "linked" / "tool.py")):
        quick, (prefix, argv) = same_answer(folder, given, "a b")
        assert quick, given
        assert argv == [str(folder / given), "a b"], "the path as given, never resolved"
        assert Path(str(prefix)).parent.name == "envs"


def test_a_lock_that_is_a_fifo_or_a_folder_is_no_lock_on_either_path(folder: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    _, before = same_answer(folder, "tool.py")
    fifo = folder / "pylock.tool.toml"
    os.mkfifo(fifo)  # a quick path that opened it would wait for a writer for ever (the subprocess's timeout)
    assert same_answer(folder, "tool.py") == (True, before)
    fifo.unlink()
    fifo.mkdir()
    assert same_answer(folder, "tool.py") == (True, before)


def test_a_linked_env_folder_and_a_dangling_python(folder: Path, tmp_path: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    _, (prefix, _) = same_answer(folder, "tool.py")
    env = Path(str(prefix))
    elsewhere = tmp_path / "elsewhere"
    env.rename(elsewhere)
    env.symlink_to(elsewhere)  # corral's cache holds a link: both paths run it under the cache's name
    assert same_answer(folder, "tool.py") == (True, [str(env), [str(folder / "tool.py")]])
    env.unlink()
    elsewhere.rename(env)
    python = env / "bin" / "python"
    python.unlink()
    python.symlink_to(tmp_path / "gone")
    rebuilt = corral(folder, "run", "tool.py")
    assert not was_quick(rebuilt), "a python that points nowhere: the full path builds the env again"
    assert rebuilt.returncode == 3
    assert json.loads(rebuilt.stdout)[0] == str(env)


def unrunnable_python(folder: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The script env's bin/python made a file that is there but not executable, and another python on PATH."""
    script(folder)
    built(folder, "tool.py")
    prefix = Path(json.loads(corral(folder, "run", "tool.py").stdout)[0])
    python = prefix / "bin" / "python"
    target = os.path.realpath(python)
    python.unlink()
    python.write_text(f'#!/bin/sh\nexec {target} "$@"\n', encoding="utf-8")
    python.chmod(0o644)  # there, but not executable: `which` passes over it to the next python on PATH
    other = tmp_path / "other-bin"
    other.mkdir()
    (other / "python").symlink_to(target)
    return prefix, {"PATH": f"{other}{os.pathsep}{os.environ['PATH']}"}


def test_an_env_python_that_cannot_run_is_never_swapped_for_another_on_path(folder: Path, tmp_path: Path) -> None:
    _, path = unrunnable_python(folder, tmp_path)
    ran = corral(folder, "run", "tool.py", **path)
    assert not was_quick(ran), "the quick path execs the env's own python or nothing"


def test_the_full_path_never_runs_another_python_than_the_envs(folder: Path, tmp_path: Path) -> None:
    prefix, path = unrunnable_python(folder, tmp_path)
    ran = corral(folder, "run", "-v", "tool.py", **path)
    assert ran.returncode != 3 or json.loads(ran.stdout)[0] == str(prefix), "ran a python outside the env"
    assert ran.returncode == 1, ran.stderr[-1500:]
    assert f"{prefix} is broken: {prefix / 'bin' / 'python'} is missing, points nowhere or cannot run" in ran.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bom", "\ufeff" + _BLOCK + _SHOW),
        ("cr", (_BLOCK + _SHOW).replace("\n", "\r")),
        ("no-newline-after-the-block", _SHOW.replace("sys.exit(3)\n", "sys.exit(3)\n" + _BLOCK.rstrip("\n"))),
        ("line-separator-in-a-value", _BLOCK.replace("[]", "[] # \u2028") + _SHOW),
    ],
)
def test_odd_spellings_of_the_block_are_answered_as_the_full_path(folder: Path, name: str, text: str) -> None:
    (folder / "tool.py").write_bytes(text.encode("utf-8"))
    built(folder, "tool.py")
    quick, _ = same_answer(folder, "tool.py", "--", "x")
    assert quick, name


def test_a_script_that_is_not_utf8_goes_the_full_way(folder: Path) -> None:
    (folder / "tool.py").write_bytes((_BLOCK + "# caf\xe9\n" + _SHOW).encode("latin-1"))
    ran = corral(folder, "run", "tool.py")
    assert not was_quick(ran)
    assert ran.returncode != 3, "nothing runs"
    said = [line for line in messages(ran) if line.startswith("error: ")]
    expected = (
        f"error: {folder / 'tool.py'}: byte {len(_BLOCK) + 5} is not UTF-8 and no coding line says what the file is; "
        "save it as UTF-8 (or declare its encoding, PEP 263)"
    )
    assert said == [expected], ran.stderr[-1500:]


def test_a_script_with_a_coding_line_runs_in_its_env(folder: Path) -> None:
    (folder / "tool.py").write_bytes(("# -*- coding: latin-1 -*-\n" + _BLOCK + "# caf\xe9\n" + _SHOW).encode("latin-1"))
    ran = corral(folder, "run", "tool.py")
    assert "internal error" not in ran.stderr
    assert ran.returncode == 3, ran.stderr[-1500:]  # Python reads it as latin-1, and so does corral
    assert json.loads(ran.stdout)[1] == [str(folder / "tool.py")]


def test_an_ignored_sigint_stays_ignored_in_the_script(folder: Path) -> None:
    show = "import signal, sys\nprint(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)\nsys.exit(3)\n"
    (folder / "tool.py").write_text(_BLOCK + show, encoding="utf-8")
    built(folder, "tool.py")
    for verbose in ((), ("-v",)):
        done = subprocess.run(
            [sys.executable, "-m", "corral", "run", *verbose, "tool.py"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        assert (done.stdout, done.returncode) == ("True\n", 3), (verbose, done.stderr[-1500:])


def test_a_stale_lock_is_locked_again_even_after_run_frozen_built_an_env_from_it(folder: Path) -> None:
    """A lock put back to an older one is made again first by the full path, and an env `run --frozen` built from
    that stale lock (under a key of its own since round 12) is never what a plain run takes, quick or full."""
    path = script(folder)
    assert corral(folder, "lock", "--script", "tool.py").returncode == 0
    lock = folder / "pylock.tool.toml"
    old = lock.read_bytes()
    built(folder, "tool.py")
    path.write_text(_BLOCK.replace(">=3.12", ">=3.11") + _SHOW, encoding="utf-8")
    relocked = corral(folder, "run", "tool.py")
    assert not was_quick(relocked)
    assert "locked tool.py again" in relocked.stderr
    new = lock.read_bytes()
    lock.write_bytes(old)  # the block stays edited: this lock is stale
    again = corral(folder, "run", "tool.py")
    assert not was_quick(again), "no env was built from the stale lock: the full path locks again"
    assert "locked tool.py again" in again.stderr
    assert lock.read_bytes() == new
    lock.write_bytes(old)
    frozen = corral(folder, "run", "--frozen", "tool.py")
    assert frozen.returncode == 3
    assert lock.read_bytes() == old, "--frozen takes the stale lock as it is"
    plain = corral(folder, "run", "tool.py")
    assert not was_quick(plain)
    assert plain.returncode == 3
    assert "locked tool.py again" in plain.stderr
    assert lock.read_bytes() == new
    assert json.loads(plain.stdout)[0] != json.loads(frozen.stdout)[0], "not the env built from the stale lock"
    quick, ran = same_answer(folder, "tool.py")
    assert quick
    assert ran[0] == json.loads(plain.stdout)[0]
