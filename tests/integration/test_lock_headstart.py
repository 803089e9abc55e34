"""A fresh `corral lock` begins the last lock's `uv lock` before its command line is parsed (resolvers.uv_headstart).

Real corral processes (the console script's entry, `cli.quick`), real uv against the local index, in a temporary
folder of the test's own (TMPDIR): the full path takes the head start only for its very command, and the lock is
the one it writes without one; a head start it does not take is undone (uv ended, its folder removed).
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the local index

from conftest import pyenv_python
from corral.infra.uvbin import uv_binary
from corral.resolvers import uv_headstart, uv_workdir
from support.projects import demo_pyproject
from support.reliability import corral_cmd, subprocess_environ

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def _lock(root: Path, environ: dict[str, str], log: Path) -> list[str]:
    """Run `corral lock -q` in `root`; the fault log's names (the checkpoints and head start marks it reached)."""
    log.unlink(missing_ok=True)
    done = subprocess.run(
        corral_cmd("lock", "-q"),
        cwd=root,
        env=environ | {"CORRAL_FAULT_LOG": str(log)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def _project(tmp_path: Path, indexed: str) -> tuple[Path, dict[str, str], Path]:
    shared = tmp_path / "tmp"
    shared.mkdir()
    root = make_project(tmp_path, demo_pyproject("alpha>=1.0", requires_python=">=3.11"))
    return root, subprocess_environ(indexed, TMPDIR=str(shared)), shared


def test_a_fresh_lock_takes_the_head_start_and_writes_the_same_lock(tmp_path: Path, indexed: str) -> None:
    # given: a project locked once (the plan recorded), its lock removed
    root, environ, shared = _project(tmp_path, indexed)
    log = tmp_path / "faults.log"
    first = _lock(root, environ, log)
    assert "lock-headstart:adopted" not in first  # nothing recorded yet: the full path's own uv
    written = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").unlink()
    # when
    again = _lock(root, environ, log)
    # then: uv started once, before the full path, which took it; the same lock, nothing left behind
    assert again.count("engine:uv lock") == 1
    assert again.index("engine:uv lock") < again.index("lock-headstart:adopted")
    assert (root / "pylock.toml").read_bytes() == written
    assert list(shared.iterdir()) == []


def _record_file(root: Path) -> Path:
    """The plain lock's record of `root` (not the upcoming one, `corral add`'s)."""
    from pathlib import Path as RealPath

    return RealPath(uv_headstart.record_path(str(RealPath(os.environ["CORRAL_HOME"]) / "cache"), str(root)))


def test_a_head_start_whose_command_the_full_path_would_not_run_is_undone(tmp_path: Path, indexed: str) -> None:
    # given: a recorded plan whose `--python` is another one than the full path chooses (as when a new interpreter
    # appeared where discovery looks: what the record compares is unchanged)
    root, environ, shared = _project(tmp_path, indexed)
    log = tmp_path / "faults.log"
    _lock(root, environ, log)
    written = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").unlink()
    record = _record_file(root)
    lines = record.read_text(encoding="utf-8").split("\n")
    at = lines.index("argv --python") + 1
    assert lines[at] != f"argv {pyenv_python('3.11')}"
    lines[at] = f"argv {pyenv_python('3.11')}"
    record.write_text("\n".join(lines), encoding="utf-8")
    # when
    names = _lock(root, environ, log)
    # then: the head start began, was not taken, and the full path ran its own uv; nothing left behind
    assert names.count("engine:uv lock") == 2
    assert "lock-headstart:adopted" not in names
    assert list(shared.iterdir()) == []
    assert (root / "pylock.toml").read_bytes() == written
    # and the next fresh lock takes the head start of the plan recorded again, to the same lock
    (root / "pylock.toml").unlink()
    assert "lock-headstart:adopted" in _lock(root, environ, log)
    assert (root / "pylock.toml").read_bytes() == written


@pytest.mark.parametrize("change", ["a .python-version", "an index variable", "corral's config file"])
def test_a_lock_after_a_setting_changed_begins_no_head_start(tmp_path: Path, indexed: str, change: str) -> None:
    """What chose the recorded plan's index and interpreter changed: its uv would ask the old index, or start the old
    interpreter (r10 H7 F2), before the full path discards it. The next fresh lock takes the new plan's head start."""
    # given: a recorded plan, then one of the settings that choose the index or the interpreter changed
    root, environ, shared = _project(tmp_path, indexed)
    log = tmp_path / "faults.log"
    _lock(root, environ, log)
    (root / "pylock.toml").unlink()
    if change == "a .python-version":
        (root / ".python-version").write_text(str(pyenv_python("3.11")) + "\n", encoding="utf-8")
    elif change == "an index variable":
        environ["UV_INDEX_URL"] = environ["UV_INDEX_URL"].rstrip("/") + "/"
    else:
        from pathlib import Path as RealPath

        config = RealPath(os.environ["CORRAL_HOME"]) / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("[corral]\nseed = true\n", encoding="utf-8")
    # when
    names = _lock(root, environ, log)
    # then: only the full path's own uv ran
    assert names.count("engine:uv lock") == 1
    assert "lock-headstart:adopted" not in names
    assert list(shared.iterdir()) == []
    # and the next fresh lock takes the head start of the new plan, to the same lock
    written = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").unlink()
    assert "lock-headstart:adopted" in _lock(root, environ, log)
    assert (root / "pylock.toml").read_bytes() == written


def test_an_edited_pyproject_or_a_lock_from_elsewhere_starts_no_head_start(tmp_path: Path, indexed: str) -> None:
    root, environ, _ = _project(tmp_path, indexed)
    log = tmp_path / "faults.log"
    _lock(root, environ, log)
    lock = root / "pylock.toml"
    lock.unlink()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert _lock(root, environ, log).count("engine:uv lock") == 1  # the full path's own
    # the record now says: this pyproject, no lock; a lock that is there, hand-edited, is not that state
    lock.write_bytes(lock.read_bytes() + b"# edited\n")
    names = _lock(root, environ, log)
    assert "lock-headstart:adopted" not in names
    assert names.count("engine:uv lock") <= 2


def test_a_record_naming_another_program_starts_nothing(tmp_path: Path) -> None:
    started = uv_headstart.begin(("", None, ["/bin/sh", "lock", "--project"]), {"PATH": "/usr/bin"}, str(tmp_path))
    assert started is False
    assert uv_headstart.take("", None, [uv_binary(), "lock", "--project"], {}) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(uv_workdir.PREFIX)]


@pytest.mark.parametrize("where", ["the project's env", "an env elsewhere", "a link into the project", "none"])
def test_a_record_naming_an_env_python_or_one_in_the_project_starts_nothing(tmp_path: Path, where: str) -> None:
    """uv runs the interpreter it is given: only the full path may judge a program the project could ship."""
    project = tmp_path / "proj"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    python = project / ".venv" / "bin" / "python"
    python.write_text("#!/bin/sh\ntouch PWNED\n", encoding="utf-8")
    other = tmp_path / "elsewhere" / "bin"
    other.mkdir(parents=True)
    (other.parent / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    link = tmp_path / "python-link"
    link.symlink_to(python)
    given = {
        "the project's env": [str(python)],
        "an env elsewhere": [str(other / "python")],
        "a link into the project": [str(link)],
        "none": [],
    }[where]
    argv = [
        uv_binary(),
        "lock",
        "--project",
        "--index-url",
        "http://x/simple",
        *(["--python", *given] if given else []),
    ]
    assert uv_headstart.begin(("", None, argv), {"PATH": "/usr/bin"}, str(project)) is False
    assert uv_headstart.take("", None, [*argv[:3], *argv[3:]], {}) is None


def test_a_record_is_read_back_and_refuses_other_projects(tmp_path: Path) -> None:
    plan = ("[project]\n", "version = 1\n", [uv_binary(), "lock", "--project", "--python", "/x"])
    uv_headstart.remember(str(tmp_path), "/p", pyproject_bytes=b"a", lock_bytes=None, settings="s", plan=plan)
    lines = (tmp_path / uv_headstart.RECORDS_FOLDER).glob("*.txt")
    (record,) = list(lines)
    body = record.read_text(encoding="utf-8").split("\n")
    assert body[0] == uv_headstart.HEADER
    assert body[-1] == "end"
    found = uv_headstart.parse(body[1:-1], "/p")
    assert found is not None
    assert found[1] == "absent"
    assert found[2] == "s"
    assert found[3] == (plan[0], plan[1], plan[2])
    assert uv_headstart.parse(body[1:-1], "/q") is None
    assert record.stat().st_mode & 0o077 == 0


def test_an_index_url_with_credentials_is_never_written_to_the_plan_record(tmp_path: Path, indexed: str) -> None:
    """uv's argv carries `--index-url` as corral was given it: a token in it must not land in corral's cache (found
    by H7: `lock-headstarts/<digest>.txt` held it in plain text). No record then: the full path's lock, as before."""
    import os
    from pathlib import Path as RealPath

    # given: the local index reached through a URL with a user and a token (the test server ignores both)
    secret = "SECRET-TOKEN-123"  # noqa: S105 - a made-up token the test looks for
    with_token = indexed.replace("http://", f"http://__token__:{secret}@", 1)
    root = make_project(tmp_path, demo_pyproject("alpha>=1.0", requires_python=">=3.11"))
    shared = tmp_path / "tmp"
    shared.mkdir()
    environ = subprocess_environ(with_token, TMPDIR=str(shared))
    log = tmp_path / "faults.log"
    # when: locked, the lock removed, locked again
    _lock(root, environ, log)
    (root / "pylock.toml").unlink()
    names = _lock(root, environ, log)
    # then: no head start (nothing recorded), and no file of corral's home holds the token
    assert "lock-headstart:adopted" not in names
    home = RealPath(os.environ["CORRAL_HOME"])
    holding = [p for p in home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert holding == []


def test_a_record_gives_back_every_text_and_argument_exactly_and_refuses_damage(tmp_path: Path) -> None:
    """The plan's texts and arguments are written one escaped ASCII line each (no json on the head start's path)."""
    pyproject = '[project]\nname = "d\\\\n\u00e9\\u00e9"\n\t# \\n is not a newline; "\u2603" \udcff\r\n'
    preferences = 'version = 1\n\n[[package]]\nname = "x\\\\"\n'
    argv = [uv_binary(), "lock", "--project", "--python", "/x y/\u00e9\npython", "\\n"]
    uv_headstart.remember(
        str(tmp_path), "/p", pyproject_bytes=b"a", lock_bytes=b"b", settings="s", plan=(pyproject, None, argv)
    )
    (record,) = list((tmp_path / uv_headstart.RECORDS_FOLDER).glob("*.txt"))
    lines = record.read_text(encoding="utf-8").split("\n")
    assert all(line.isascii() and line.isprintable() for line in lines)
    found = uv_headstart.parse(lines[1:-1], "/p")
    assert found is not None
    assert found[1] == uv_headstart.lock_state(b"b")
    assert found[3] == (pyproject, None, argv)
    uv_headstart.remember(
        str(tmp_path), "/p", pyproject_bytes=b"a", lock_bytes=None, settings="t", plan=(pyproject, preferences, argv)
    )
    lines = record.read_text(encoding="utf-8").split("\n")
    assert uv_headstart.parse(lines[1:-1], "/p") == (
        uv_headstart.lock_state(b"a"),
        "absent",
        "t",
        (pyproject, preferences, argv),
    )
    body = lines[1:-1]
    damaged = [
        body[:-4],  # argv cut below uv, lock, --project
        [*body[:4], "text \\x", *body[5:]],  # an escape cut short
        [*body[:4], "text \u00e9", *body[5:]],  # not what the writer writes
        [*body[:5], "preference x", *body[6:]],
        [*body[:3], *body[4:]],  # no settings' digest (a record of corral-lock-headstart 2)
        [*body, "python /x"],
    ]
    assert [uv_headstart.parse(lines, "/p") for lines in damaged] == [None] * len(damaged)
