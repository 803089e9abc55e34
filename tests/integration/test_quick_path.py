"""The quick path (`corral.cli.quick`): a no-op `sync` and a ready `run` answered from corral's quick record.

Each test syncs a real project (Python 3.12, no dependencies) with the real CLI, lets its files settle (the record
is never written while an input is younger than two seconds), lets the full no-op path write the record, and checks
that the next command answers without argparse (`python -X importtime` lists what a process imported). Then it
changes one input the way a user or a hostile repository would and checks the command goes the full way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import pyenv_python
from corral.cli.quick import RECORDS_FOLDER, record_path
from corral.infra.environ import env_environ
from corral.infra.paths import CorralPaths
from corral.services.trust import revoke_env

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # cli.quick._SETTLED_NS, and a little more


def corral(root: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """`python -X importtime -m corral ARGS` in `root`: stderr also lists every module the process imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **extra_env},
    )


def imported(done: subprocess.CompletedProcess[str]) -> set[str]:
    """The modules `-X importtime` says the process imported."""
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def was_quick(done: subprocess.CompletedProcess[str]) -> bool:
    """True when the command was answered before argparse was imported (the full path always imports it)."""
    modules = imported(done)
    assert "corral.cli.quick" in modules, done.stderr[-2000:]
    return "argparse" not in modules


def messages(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if not line.startswith("import time:")]


def record_of(root: Path) -> Path:
    return Path(record_path(str(CorralPaths.from_environment().cache), str(root)))


def settle_and_record(root: Path, *args: str) -> None:
    """Wait until the inputs settle, let the no-op check write the record, and check the next run is quick.

    (A sync writes the record itself when the user's files had settled before it: the first may be quick already.)
    """
    time.sleep(_SETTLE)
    first = corral(root, *args)
    assert first.returncode == 0, first.stderr[-2000:]
    again = corral(root, *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert was_quick(again), "the record written by the full path answers"


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with no dependencies, synced with the real CLI; its quick record written and answering."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    pyenv_python("3.12")
    root = tmp_path / "work" / "proj"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'
        "[dependency-groups]\ndev = []\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    done = corral(root, "sync")
    assert done.returncode == 0, done.stderr[-2000:]
    settle_and_record(root, "sync")
    return root


def test_quick_answers_are_the_full_paths_answers(synced: Path) -> None:
    env = synced / ".venv"
    full = corral(synced, "sync", "-v")  # an option the quick path leaves alone: today's no-op fast path
    quick = corral(synced, "sync")
    assert not was_quick(full)
    assert was_quick(quick)
    said = [f"nothing to do: {env} already matches pylock.toml"]
    assert (quick.returncode, quick.stdout, messages(quick)) == (0, "", said)
    assert (quick.returncode, quick.stdout, messages(quick)) == (full.returncode, full.stdout, messages(full))
    quiet = corral(synced, "sync", "-q")
    assert was_quick(quiet)
    assert (quiet.returncode, quiet.stdout, messages(quiet)) == (0, "", [])

    show = "import json, os, sys; print(json.dumps([sys.prefix, dict(os.environ)])); sys.exit(3)"
    ran = corral(synced, "run", "python", "-c", show)
    assert was_quick(ran)
    assert ran.returncode == 3  # the command's exit code is corral's
    prefix, environ = json.loads(ran.stdout)
    assert prefix == str(env)
    assert environ == env_environ(env, {**os.environ}), "exactly the environment the full path gives"
    slow = corral(synced, "run", "-v", "python", "-c", show)
    assert not was_quick(slow)
    assert (slow.returncode, json.loads(slow.stdout)) == (3, [prefix, environ])


def test_a_subfolder_is_answered_too_but_not_scripts_options_or_paths(synced: Path) -> None:
    sub = synced / "src" / "pkg"
    sub.mkdir(parents=True)
    assert was_quick(corral(sub, "run", "python", "-c", "pass"))
    (synced / "tool.py").write_text("print('tool')\n", encoding="utf-8")
    for args in (("run", "tool.py"), ("run", "--", "python", "-V"), ("run", "./.venv/bin/python", "-V")):
        done = corral(synced, *args)
        assert done.returncode == 0, done.stderr[-2000:]
        assert not was_quick(done), args
    missing = corral(synced, "run", "no-such-program-here")
    assert not was_quick(missing)
    assert missing.returncode == 127
    assert "command not found: no-such-program-here" in missing.stderr


def test_editing_the_pyproject_or_the_lock_goes_the_full_way(synced: Path) -> None:
    pyproject = synced / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert not was_quick(corral(synced, "sync"))
    settle_and_record(synced, "sync")  # the full path proved a no-op again: the record answers again
    lock = synced / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text, encoding="utf-8")  # the same bytes, a new stat: the stamp's SHA-256 holds (cli.quick_relock)
    assert was_quick(corral(synced, "sync"))
    lock.write_text(text + "# edited\n", encoding="utf-8")  # other bytes
    assert not was_quick(corral(synced, "sync"))


def test_a_new_python_version_file_above_the_project_goes_the_full_way(synced: Path) -> None:
    (synced.parent / ".python-version").write_text("3.11\n", encoding="utf-8")
    assert not was_quick(corral(synced, "run", "true"))


def test_a_package_installed_by_hand_goes_the_full_way_and_is_removed(synced: Path) -> None:
    site = next((synced / ".venv" / "lib").glob("python3.12/site-packages"))
    (site / "stray.py").write_text("", encoding="utf-8")
    info = site / "stray-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stray\nVersion: 1.0\n", encoding="utf-8")
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    (info / "RECORD").write_text(
        "stray.py,,\nstray-1.0.dist-info/METADATA,,\nstray-1.0.dist-info/INSTALLER,,\nstray-1.0.dist-info/RECORD,,\n",
        encoding="utf-8",
    )
    done = corral(synced, "sync")
    assert done.returncode == 0, done.stderr[-2000:]
    assert not was_quick(done)
    assert not info.exists(), "the full sync made the env exactly the lock again"


def test_an_env_replaced_at_the_same_path_goes_the_full_way(synced: Path, tmp_path: Path) -> None:
    env = synced / ".venv"
    shipped = tmp_path / "shipped"
    shutil.copytree(env, shipped, symlinks=True)  # what a repository could ship: the same files, stamp and all
    shutil.rmtree(env)
    shipped.rename(env)
    done = corral(synced, "run", "python", "-c", "pass")
    assert not was_quick(done)


def test_revoked_trust_or_a_removed_env_goes_the_full_way(synced: Path) -> None:
    assert revoke_env(CorralPaths.from_environment(), synced / ".venv")
    assert not was_quick(corral(synced, "run", "true"))
    settle_and_record(synced, "sync")  # the full path rebuilt and recorded the env; the record answers again
    removed = corral(synced, "envs", "rm", str(synced / ".venv"), "--yes")
    assert removed.returncode == 0, removed.stderr[-2000:]
    done = corral(synced, "sync")
    assert not was_quick(done)
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_index_variable_goes_the_full_way(synced: Path) -> None:
    assert not was_quick(corral(synced, "sync", UV_INDEX_URL="http://127.0.0.1:9/simple"))
    assert not was_quick(corral(synced, "sync", CORRAL_ENGINE="pip"))


def test_a_new_user_config_goes_the_full_way(synced: Path) -> None:
    config = CorralPaths.from_environment().user_config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("# nothing set\n", encoding="utf-8")
    assert not was_quick(corral(synced, "sync"))


def test_a_crash_temporary_in_the_project_goes_the_full_way(synced: Path) -> None:
    leftover = synced / ".pylock.toml.corral-abcd1234.tmp"
    leftover.write_text("half a lock", encoding="utf-8")
    done = corral(synced, "sync")
    assert not was_quick(done)
    assert not leftover.exists(), "the full path cleaned it up"


def test_another_selection_answers_run_but_not_sync(synced: Path) -> None:
    assert corral(synced, "sync", "--no-dev").returncode == 0
    settle_and_record(synced, "run", "true")
    done = corral(synced, "sync")
    assert not was_quick(done), "sync's default selection is not the env's"


@pytest.mark.parametrize("how", ["damaged", "symlink", "group-writable", "another-owner", "other-version", "moved"])
def test_a_record_that_is_not_corrals_own_is_ignored(synced: Path, how: str) -> None:
    record = record_of(synced)
    text = record.read_text(encoding="utf-8")
    if how == "damaged":
        record.write_text(text[: len(text) // 2], encoding="utf-8")
    elif how == "symlink":
        copy = record.with_name("copy.txt")
        copy.write_text(text, encoding="utf-8")
        copy.chmod(0o600)
        record.unlink()
        record.symlink_to(copy)
    elif how == "group-writable":
        record.chmod(0o620)
    elif how == "another-owner":
        if os.geteuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(record, 12345, -1)
    elif how == "other-version":
        record.write_text(text.replace("corral-quick-record 1 ", "corral-quick-record 1 0.0.0-", 1), encoding="utf-8")
    else:  # a record planted in the project (or the env) is never read: only corral's cache holds records
        for folder in (synced, synced / ".venv", synced / RECORDS_FOLDER):
            folder.mkdir(exist_ok=True)
            shutil.copy2(record, folder / record.name)
        record.unlink()
    assert not was_quick(corral(synced, "sync"))


def test_a_hostile_record_for_another_state_is_ignored(synced: Path) -> None:
    # a record whose lines claim the current state of another project proves nothing about this one
    record = record_of(synced)
    lines = record.read_text(encoding="utf-8").split("\n")
    lines[1] = "project /elsewhere"
    record.write_text("\n".join(lines), encoding="utf-8")
    assert not was_quick(corral(synced, "sync"))


def test_shell_bookkeeping_variables_keep_the_answer_quick(synced: Path) -> None:
    """`corral shell` sets CORRAL_SHELL, activation CORRAL_OLD_*: where the user is, not what to install."""
    done = corral(synced, "sync", CORRAL_SHELL="bash", CORRAL_OLD_PROMPT="$ ", CORRAL_HOOK_ENV=str(synced / ".venv"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert was_quick(done)
    assert not was_quick(corral(synced, "sync", CORRAL_VENV_DIR=".venv"))  # a variable that does change the answer


def test_a_same_size_edit_with_its_old_mtime_is_seen(synced: Path) -> None:
    """`touch -d`, tar, rsync -a and cp -p give an edited file its old mtime back: size and mtime alone missed it."""
    pyenv_python("3.13")
    pin = synced / ".python-version"
    before = pin.stat()
    pin.write_text("3.13\n", encoding="utf-8")  # same size as "3.12\n"
    os.utime(pin, ns=(before.st_atime_ns, before.st_mtime_ns))
    said = "\n".join(messages(corral(synced, "sync")))  # neither the quick record nor the stamp is fooled
    assert "nothing to do" not in said
    ran = corral(synced, "run", "python", "-c", "import sys; print(sys.version_info[:2])")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == "(3, 13)"


def test_a_pep723_script_in_a_synced_project_gets_its_own_env(synced: Path) -> None:
    """The project's env is ready, the script's is not: the script must not run in the project's env instead."""
    pyenv_python("3.13")
    script = synced / "tool.py"
    script.write_text(
        '# /// script\n# requires-python = ">=3.13"\n# dependencies = []\n# ///\n'
        "import sys\nprint(sys.version_info[:2])\n",
        encoding="utf-8",
    )
    ran = corral(synced, "run", "tool.py")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == "(3, 13)"


@pytest.mark.parametrize("args", [("sync",), ("sync", "-v"), ("run", "python", "-c", "pass")])
def test_closed_standard_streams_are_no_crash(synced: Path, args: tuple[str, ...]) -> None:
    """`corral sync >&-`: Python gives sys.stdout None; no traceback, the same exit code as with it open."""
    for closed in ("1", "2"):
        done = subprocess.run(
            ["sh", "-c", f'"$0" -m corral "$@" {closed}>&-', sys.executable, *args],
            cwd=synced,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, (closed, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr
