"""A PEP 723 script's lock (`pylock.<name>.toml`) and its block, as a repository ships them and a user edits them.

Real corral (a subprocess), real uv, the local index (alpha 1.0/1.1/2.0, beta 1.0 needing alpha, delta 1.0/1.2).

- The lock beside a script is a file anyone may have put there: a link, a folder, a huge or an empty file, a lock
  whose inputs-hash matches the block but whose URLs were changed. `lock --check` writes nothing whatever it finds;
  a link leading out of the script's folder is never written through; a script's name, mangled into the lock's,
  must not make two scripts share one lock.
- A Ctrl-C during `add --script` leaves the script and its lock both new or both as they were. The command is
  paused at a named checkpoint (CORRAL_FAULT_LOG is a fifo: a checkpoint's open() of it waits for this test to read
  it) and sent SIGINT once it waits at the next one: just after a rename, or just before one.
- `run --locked` refuses a stale lock whether or not an env for it is cached: run's fast path
  (`services.scripts.fast_script_env`) takes any ready env whose key (the block, the lock's bytes, the index
  variables) matches, and a warm cache (CI's, an earlier `run --frozen`) holds one for a stale lock.
- `add --script` edits the block and nothing else: a script with a UTF-8 byte order mark (Python skips it) or CRLF
  line ends, as Windows editors save them, still runs and keeps its bytes outside the block.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import corral_exe, missing
from support.index import serve_index
from support.reliability import tree_digest

pytestmark = pytest.mark.integration

SCRIPT = """# /// script
# requires-python = ">=3.12"
# dependencies = ["alpha<2"]
# ///
import alpha
print(alpha.__version__)
"""
OTHER = SCRIPT.replace('["alpha<2"]', '["delta"]').replace("alpha", "delta")
EXIT_INTERRUPTED = 130
BOM = b"\xef\xbb\xbf"
USERS_FILE = b"export PATH=$HOME/bin:$PATH  # the user's own shell setup\n"


@pytest.fixture
def index_env(local_index: object, pythons: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_PYTHON", "3.12")
    return dict(os.environ)


def _run(
    args: list[str], env: dict[str, str], cwd: Path, *, memory: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [*corral_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False, preexec_fn=limit
    )


def _locked(folder: Path, env: dict[str, str], name: str = "a.py", text: str = SCRIPT) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    done = _run(["lock", "--script", name], env, folder)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize(("first", "second"), [("a.b.py", "a-b.py"), ("日本.py", "script.py")])
def test_two_scripts_never_share_one_lock(index_env: dict[str, str], tmp_path: Path, first: str, second: str) -> None:
    # given: a script locked, and a neighbour with other dependencies whose name mangles to the same lock name
    _locked(tmp_path, index_env, first)
    (tmp_path / second).write_text(OTHER, encoding="utf-8")
    # when: the neighbour is locked too
    _run(["lock", "--script", second], index_env, tmp_path)
    # then: the first script's lock is still its own (up to date), whatever the second command did
    check = _run(["lock", "--check", "--script", first], index_env, tmp_path)
    assert check.returncode == 0, check.stderr


def test_lock_script_never_writes_its_lock_over_the_script(index_env: dict[str, str], tmp_path: Path) -> None:
    # given: a repository's lock that is a link to the script itself
    script = tmp_path / "a.py"
    script.write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "pylock.a.toml").symlink_to("a.py")
    # when
    _run(["lock", "--script", "a.py"], index_env, tmp_path)
    # then: whatever corral says, the script is still the script
    assert script.read_text(encoding="utf-8") == SCRIPT


@pytest.mark.parametrize("text", ["", "# truncated\n"])
def test_lock_script_remakes_a_lock_that_holds_nothing(index_env: dict[str, str], tmp_path: Path, text: str) -> None:
    # given: a lock file left empty (a merge, a truncated copy)
    (tmp_path / "a.py").write_text(SCRIPT, encoding="utf-8")
    lock = tmp_path / "pylock.a.toml"
    lock.write_text(text, encoding="utf-8")
    # when
    done = _run(["lock", "--script", "a.py"], index_env, tmp_path)
    # then: made again from the block
    assert done.returncode == 0, done.stderr
    assert 'name = "alpha"' in lock.read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", [["run", "a.py"], ["add", "--script", "a.py", "delta"]])
def test_a_huge_lock_is_refused_in_one_line_without_reading_it(
    index_env: dict[str, str], tmp_path: Path, argv: list[str]
) -> None:
    # given: a 2 GiB (sparse) pylock.a.toml beside the script, corral limited to 1 GiB of address space
    (tmp_path / "a.py").write_text(SCRIPT, encoding="utf-8")
    with (tmp_path / "pylock.a.toml").open("wb") as handle:
        handle.truncate(2 << 30)
    # when
    done = _run(argv, index_env, tmp_path, memory=1 << 30)
    # then: the 64 MiB cap every other reader of the lock applies, one line, no traceback
    assert done.returncode != 0
    assert "larger than 64 MiB" in done.stderr
    assert "MemoryError" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "a.py"],
        ["lock", "--script", "a.py"],
        ["lock", "--script", "a.py", "--upgrade"],
        ["add", "--script", "a.py", "delta"],
        ["remove", "--script", "a.py", "alpha"],
    ],
)
def test_a_lock_linked_out_of_the_scripts_folder_is_never_written(
    index_env: dict[str, str], tmp_path: Path, argv: list[str]
) -> None:
    # given: a repository whose script lock is a link to a file of the user's
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    users = home / ".bashrc"
    users.write_bytes(USERS_FILE)
    (repo / "a.py").write_text(SCRIPT, encoding="utf-8")
    (repo / "pylock.a.toml").symlink_to(Path("..") / "home" / ".bashrc")
    # when
    done = _run(argv, index_env, repo)
    # then: refused, the user's file and the script as they were, the link still a link
    assert done.returncode != 0
    assert users.read_bytes() == USERS_FILE
    assert (repo / "a.py").read_text(encoding="utf-8") == SCRIPT
    assert (repo / "pylock.a.toml").is_symlink()


def _tampered(folder: Path, env: dict[str, str]) -> None:
    """A lock whose inputs-hash still matches the block, its wheel URLs moved to another host."""
    lock = _locked(folder, env) / "pylock.a.toml"
    lock.write_text(lock.read_text(encoding="utf-8").replace("http://127.0.0.1:", "http://127.0.0.2:"), "utf-8")


def _linked_out(folder: Path, env: dict[str, str]) -> None:
    (folder / "a.py").write_text(SCRIPT, encoding="utf-8")
    outside = folder.parent / "outside.toml"
    outside.write_bytes(USERS_FILE)
    (folder / "pylock.a.toml").symlink_to(outside)


def _a_folder(folder: Path, env: dict[str, str]) -> None:
    (folder / "a.py").write_text(SCRIPT, encoding="utf-8")
    (folder / "pylock.a.toml").mkdir()


def _not_utf8(folder: Path, env: dict[str, str]) -> None:
    lock = _locked(folder, env) / "pylock.a.toml"
    lock.write_bytes(lock.read_bytes().replace(b'name = "alpha"', b'name = "\xffalpha"'))


def _stale(folder: Path, env: dict[str, str]) -> None:
    _locked(folder, env)
    (folder / "a.py").write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta"]'), encoding="utf-8")


@pytest.mark.parametrize("shipped", [_tampered, _linked_out, _a_folder, _not_utf8, _stale])
def test_check_writes_nothing_and_fails_on_a_lock_it_would_not_write(
    index_env: dict[str, str], tmp_path: Path, shipped: object
) -> None:
    # given: a script folder as a repository shipped it
    folder = tmp_path / "repo"
    folder.mkdir()
    shipped(folder, index_env)  # type: ignore[operator]
    before = tree_digest(tmp_path)
    # when
    done = _run(["lock", "--check", "--script", "a.py"], index_env, folder)
    # then: not up to date, and not one file written, removed or replaced anywhere around
    assert done.returncode != 0, done.stdout + done.stderr
    assert tree_digest(tmp_path) == before


def _read_waiting(fifo: Path) -> list[str]:
    """The checkpoint lines written since the last call (each writer waits in open() until this opens the fifo)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    data = b""
    try:
        ready, _, _ = select.select([fd], [], [], 0.05)
        while ready:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = b""
            if not chunk:
                break
            data += chunk
            ready, _, _ = select.select([fd], [], [], 0)
    finally:
        os.close(fd)
    return [line.split(" ", 1)[1] for line in data.decode().splitlines()]


def _wait_at_next_checkpoint(pid: int) -> None:
    """Until the process waits in open() of the fifo (Linux names that wait `wait_for_partner`), at most 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/wchan").read_text(encoding="ascii") == "wait_for_partner":
                return
        except OSError:
            break
        time.sleep(0.01)
    time.sleep(0.5)


def _interrupted_after(
    point: str, argv: list[str], cwd: Path, environ: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run corral; once it passed `point`, wait until it waits at the next checkpoint, then SIGINT."""
    fifo = cwd.parent / "checkpoints.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [*corral_exe(), *argv],
        cwd=cwd,
        env=environ | {"CORRAL_FAULT_LOG": str(fifo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sent = False
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        for seen in _read_waiting(fifo):
            if seen == point and not sent:
                _wait_at_next_checkpoint(proc.pid)  # its open() of the fifo waits for a reader: the signal lands there
                proc.send_signal(signal.SIGINT)
                sent = True
    out, err = proc.communicate(timeout=60)
    assert sent, f"{point} never reached: {err}"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize(
    "point",
    [
        "write:pylock.a.toml:before-rename",
        "write:pylock.a.toml:after-rename",
        "write:a.py:before-rename",
    ],
)
def test_a_ctrl_c_in_add_script_leaves_script_and_lock_matching(
    index_env: dict[str, str], tmp_path: Path, point: str
) -> None:
    # given: a locked script
    folder = tmp_path / "repo"
    folder.mkdir()
    script = _locked(folder, index_env) / "a.py"
    before = (script.read_bytes(), (folder / "pylock.a.toml").read_bytes())
    # when: add --script is interrupted at the point
    done = _interrupted_after(point, ["add", "--script", "a.py", "delta"], folder, index_env)
    # then: exit 130 saying nothing was left half done, and that is so: both files as they were, or both new and the
    # lock up to date with the script
    # (under load the reader may take the next checkpoints too and the signal come after the command ended: then it
    # succeeded, and both files are new)
    assert done.returncode in (EXIT_INTERRUPTED, 0), done.stderr
    after = (script.read_bytes(), (folder / "pylock.a.toml").read_bytes())
    if after != before:
        assert after[0] != before[0] and after[1] != before[1], "one of the script and its lock changed alone"
        check = _run(["lock", "--check", "--script", "a.py"], index_env, folder)
        assert check.returncode == 0, check.stderr


def test_locked_refuses_a_stale_lock_after_a_frozen_run(index_env: dict[str, str], tmp_path: Path) -> None:
    # given: the block grew after the lock; a frozen run built an env from the stale lock
    _locked(tmp_path, index_env)
    (tmp_path / "a.py").write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta"]'), encoding="utf-8")
    assert _run(["run", "--frozen", "a.py"], index_env, tmp_path).returncode == 0
    assert _run(["lock", "--check", "--script", "a.py"], index_env, tmp_path).returncode == 1
    # when
    done = _run(["run", "--locked", "a.py"], index_env, tmp_path)
    # then: refused as without that env
    assert done.returncode != 0
    assert "pylock.a.toml is stale" in done.stderr


def test_locked_refuses_a_lock_made_for_the_index_the_config_file_left(
    index_env: dict[str, str], tmp_path: Path, local_index: object
) -> None:
    # given: a locked script run once (its env cached)
    _locked(tmp_path, index_env)
    assert _run(["run", "a.py"], index_env, tmp_path).returncode == 0
    with serve_index(*local_index.dirs) as moved:  # type: ignore[attr-defined]
        # when: the user's config file names another index, and CI runs --locked
        config = Path(index_env["CORRAL_HOME"]) / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'index-url = "{moved.simple_url}"\n', encoding="utf-8")
        check = _run(["lock", "--check", "--script", "a.py"], index_env, tmp_path)
        done = _run(["run", "--locked", "a.py"], index_env, tmp_path)
    # then: what lock --check says (stale), run --locked says too
    assert check.returncode == 1
    assert done.returncode != 0


def _add(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [*corral_exe(), "add", "--script", "a.py", "delta"]
    return subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True, check=False)


def test_add_script_keeps_a_script_with_a_byte_order_mark_runnable(index_env: dict[str, str], tmp_path: Path) -> None:
    # given
    script = tmp_path / "a.py"
    script.write_bytes(BOM + SCRIPT.encode())
    # when
    done = _add(tmp_path, index_env)
    # then: one block, with both dependencies, and a script Python still compiles
    assert done.returncode == 0, done.stderr
    text = script.read_bytes()
    compile(text, str(script), "exec")
    assert text.count(b"# /// script") == 1
    assert b'"delta"' in text
    assert b"alpha<2" in text


def test_add_script_keeps_the_scripts_line_endings(index_env: dict[str, str], tmp_path: Path) -> None:
    # given
    script = tmp_path / "a.py"
    script.write_bytes(SCRIPT.replace("\n", "\r\n").encode())
    # when
    done = _add(tmp_path, index_env)
    # then: the code below the block byte for byte, every line still CRLF
    assert done.returncode == 0, done.stderr
    text = script.read_bytes()
    assert text.endswith(b"# ///\r\nimport alpha\r\nprint(alpha.__version__)\r\n")
    assert text.count(b"\n") == text.count(b"\r\n")
