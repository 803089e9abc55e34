"""The head start of a rebuild (`cli.headstart`, `infra.headstart`): `corral sync` after the env was deleted.

Each test runs the real CLI in a subprocess (`python -m corral`, whose first module takes the head start) on a
package project locked against the local index, with uv's cache private to the test. The first rebuild after the
inputs settled writes the rebuild record; the next `rm -rf .venv && corral sync` takes the head start. What a
process did is read from infra.faults' checkpoint log (`headstart:*` and `engine:*` lines), so nothing replaces
the code under test.
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_sync_one_install import cached_index, installed, make_project, programs  # noqa: F401 - a fixture

from corral.cli.headstart import inputs, rebuild_record_path
from corral.infra.journals import journal_path, write_journal
from corral.infra.paths import CorralPaths

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # the record is never written while an input is younger than two seconds


def cli(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **extra},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def events(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def rebuild(root: Path, log: Path, *args: str, **extra: str) -> list[str]:
    """`rm -rf .venv && corral sync`; the checkpoints it reached.

    A new value of a variable no record observes each time: the whole environment differs from the last rebuild's,
    so the replay (`cli.rebuild_replay`) stands aside and these tests see the full path adopt the head start.
    """
    shutil.rmtree(root / ".venv", ignore_errors=True)
    log.unlink(missing_ok=True)
    cli(root, "sync", *args, **{"HEADSTART_TEST_ROUND": str(time.monotonic_ns()), **extra})
    return events(log)


def record_of(root: Path) -> Path:
    from corral.cli.quick import corral_dirs

    dirs = corral_dirs(os.environ)
    assert dirs is not None
    return Path(rebuild_record_path(dirs[1], str(root), inputs(str(root), dirs, os.environ)))


@pytest.fixture
def recorded(tmp_path: Path, cached_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:  # noqa: F811
    """A package project synced (uv's cache filled), settled, rebuilt once (the record written); and its log."""
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    root = make_project(tmp_path, cached_index)
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    cli(root, "sync")
    record_of(root).unlink(missing_ok=True)  # a slow first sync may find its inputs settled by its end
    time.sleep(_SETTLE)
    seen = rebuild(root, log)
    assert "headstart:started" not in seen
    assert record_of(root).is_file(), "the rebuild wrote the record"
    return root, log


def took_head_start(seen: list[str]) -> bool:
    return "headstart:started" in seen


def snapshot(env: Path) -> dict[str, object]:
    """Every entry of the env: its kind, mode and link target or bytes (corral's two records with their clocks out)."""
    found: dict[str, object] = {}
    for path in sorted(env.rglob("*")):
        name = path.relative_to(env).as_posix()
        if "__pycache__" in name:
            continue
        st = path.lstat()
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_dir():
            found[name] = ("dir", oct(st.st_mode))
        elif name == "corral-env.json":
            record = json.loads(path.read_text(encoding="utf-8"))
            record.pop("created_at")
            found[name] = ("record", record)
        elif name == "corral-sync.json":
            stamp = json.loads(path.read_text(encoding="utf-8"))
            found[name] = ("stamp", stamp["selection"], stamp["lock"]["sha256"], stamp["engine"], sorted(stamp["site"]))
        else:
            found[name] = ("file", oct(st.st_mode), path.read_bytes())
    return found


def test_the_head_start_env_is_the_ordinary_env(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = recorded
    ordinary = snapshot(root / ".venv")
    seen = rebuild(root, log)
    assert took_head_start(seen), seen
    assert "headstart:layout-adopted" in seen
    assert "headstart:adopted" in seen
    assert programs(log).count("uv pip install") == 1, "one uv process: the head start's"
    assert snapshot(root / ".venv") == ordinary
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
    journals = tmp_path / "home" / "data" / "journals"
    assert not any(journals.iterdir()), "the creating journal is gone"
    trust = json.loads((tmp_path / "home" / "data" / "trust.json").read_text(encoding="utf-8"))
    assert str(root / ".venv") in json.dumps(trust), "corral's record of the env it made"
    again = rebuild(root, log)
    assert took_head_start(again), "the adopted rebuild keeps the record valid"
    noop = cli(root, "sync")
    assert "nothing to do" in noop.stderr


def test_run_builds_the_env_with_a_head_start_too(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    shutil.rmtree(root / ".venv")
    log.unlink()
    done = cli(root, "run", "python", "-c", "import alpha, sys; print(sys.prefix)")
    assert done.stdout.strip() == str(root / ".venv")
    assert "headstart:adopted" in events(log)


def _touch_pyproject(root: Path, env: dict[str, str]) -> None:
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")


def _touch_lock(root: Path, env: dict[str, str]) -> None:
    with (root / "pylock.toml").open("a", encoding="utf-8") as handle:  # other bytes (the same bytes in a new stat
        handle.write("# edited\n")  # keep the head start: tests/integration/test_replay_after_relock.py)


def _pin(root: Path, env: dict[str, str]) -> None:
    (root / ".python-version").write_text("3.12\n\n", encoding="utf-8")


def _config(root: Path, env: dict[str, str]) -> None:
    config = Path(os.environ["CORRAL_HOME"]) / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("# nothing\n", encoding="utf-8")


def _variable(root: Path, env: dict[str, str]) -> None:
    env["CORRAL_PROGRESS"] = "0"


def _interpreter(root: Path, env: dict[str, str]) -> None:
    record = record_of(root)
    lines = record.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("python "))
    head, identity = lines[at].rsplit(" ", 1)
    fields = identity.split(",")
    fields[6] = str(int(fields[6]) + 1)  # another mtime: the interpreter file was replaced
    lines[at] = f"{head} {','.join(fields)}"
    record.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    "change", [_touch_pyproject, _touch_lock, _pin, _config, _variable, _interpreter], ids=lambda f: f.__name__
)
def test_a_changed_input_gives_no_head_start(recorded: tuple[Path, Path], change: object) -> None:
    root, log = recorded
    extra: dict[str, str] = {}
    change(root, extra)  # type: ignore[operator]
    seen = rebuild(root, log, **extra)
    assert not took_head_start(seen), seen
    assert programs(log).count("uv pip install") == 1
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))


def _edit_record(root: Path, kind: str, edit: object) -> None:
    record = record_of(root)
    lines = record.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{kind} "))
    lines[at] = f"{kind} " + edit(bytes.fromhex(lines[at].split(" ", 1)[1])).hex()  # type: ignore[operator]
    record.write_text("\n".join(lines), encoding="utf-8")


def test_another_command_is_waited_for_and_its_env_rebuilt(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    ordinary = snapshot(root / ".venv")
    # the head start runs uv without `--verify-hashes`: the full path's command differs
    _edit_record(root, "argv", lambda argv: argv.replace(b"\0--verify-hashes", b""))
    seen = rebuild(root, log)
    assert took_head_start(seen)
    assert "headstart:mismatch" in seen
    assert "headstart:adopted" not in seen
    assert programs(log).count("uv pip install") == 2, "the head start's, then the sync's own"
    assert snapshot(root / ".venv") == ordinary
    assert took_head_start(rebuild(root, log)), "the record was written again"


def test_another_layout_is_undone_before_the_creator_runs(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    ordinary = snapshot(root / ".venv")
    _edit_record(root, "cfg", lambda cfg: cfg.replace(b"prompt = demo", b"prompt = other"))
    seen = rebuild(root, log)
    assert took_head_start(seen)
    assert "headstart:layout-adopted" not in seen
    assert snapshot(root / ".venv") == ordinary
    assert b"prompt = demo" in (root / ".venv" / "pyvenv.cfg").read_bytes()


@pytest.mark.parametrize("how", ["writable", "link", "garbage", "foreign-project"])
def test_a_planted_or_damaged_record_is_ignored(recorded: tuple[Path, Path], how: str, tmp_path: Path) -> None:
    root, log = recorded
    record = record_of(root)
    if how == "writable":
        record.chmod(0o666)
    elif how == "link":
        moved = tmp_path / "elsewhere.txt"
        record.rename(moved)
        record.symlink_to(moved)
    elif how == "garbage":
        record.write_bytes(record.read_bytes()[:-200])
    else:  # the record of another project, put where this one's is looked for
        _edit_record(root, "project", lambda _: str(tmp_path).encode())
    seen = rebuild(root, log)
    assert not took_head_start(seen), seen
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))


@pytest.mark.parametrize("what", ["empty-folder", "journal", "trash"])
def test_an_env_or_a_leftover_gives_no_head_start(recorded: tuple[Path, Path], what: str) -> None:
    root, log = recorded
    shutil.rmtree(root / ".venv")
    if what == "empty-folder":
        (root / ".venv").mkdir()
    elif what == "journal":
        paths = CorralPaths.from_environment()
        write_journal(journal_path(paths, root, "creating"), root, {"env": str(root / ".venv"), "pid": 1})
    else:
        (root / "..venv.corral-trash-0123abcd").mkdir()
    log.unlink()
    cli(root, "sync")
    seen = events(log)
    assert not took_head_start(seen), seen
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))


def test_a_kill_after_the_head_start_is_recovered_by_the_next_sync(recorded: tuple[Path, Path]) -> None:
    root, log = recorded
    shutil.rmtree(root / ".venv")
    log.unlink()
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", "sync"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while "headstart:started" not in events(log) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    time.sleep(2)  # the orphaned uv finishes, as after a kill of an ordinary sync
    cli(root, "sync")
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))
    doctor = subprocess.run(
        [sys.executable, "-m", "corral", "doctor"], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_the_head_start_imports_no_argparse_json_or_packaging() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import corral.cli.headstart"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "corral.cli.headstart" in modules
    assert not modules & {"argparse", "json", "packaging", "subprocess", "pathlib", "typing", "re"}, modules


def test_an_input_file_of_uv_is_part_of_the_record(
    recorded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pip, the project's files go to uv as a pylock.toml in corral's cache (`engines.uv_input`)."""
    root, log = recorded
    monkeypatch.setenv("CORRAL_SEED", "0")
    rebuild(root, log)  # another variable: no head start, the record written again
    seen = rebuild(root, log)
    assert "headstart:adopted" in seen, seen
    record = record_of(root).read_text(encoding="utf-8").split("\n")
    inputs = [bytes.fromhex(line.split(" ")[1]).decode() for line in record if line.startswith("input ")]
    if not inputs:
        pytest.skip("uv reads its input from stdin here")
    given = Path(inputs[0])
    given.write_bytes(given.read_bytes() + b"\n# changed\n")
    seen = rebuild(root, log)
    assert not took_head_start(seen), "uv would read another file than the last rebuild's"
    assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))
    assert "pip" not in installed(root)


def test_a_sync_with_other_settings_keeps_the_record(recorded: tuple[Path, Path]) -> None:
    """Each set of variables has its record; trust.json, rewritten by every env corral makes, is not an input."""
    root, log = recorded
    trust = Path(os.environ["CORRAL_HOME"]) / "data" / "trust.json"
    before = trust.stat()
    assert not took_head_start(rebuild(root, log, CORRAL_SEED="0"))
    after = trust.stat()
    assert (after.st_ino, after.st_mtime_ns) != (before.st_ino, before.st_mtime_ns)
    assert "headstart:adopted" in rebuild(root, log)
    assert "pip" in installed(root)
