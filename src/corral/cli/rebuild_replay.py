"""The replay of a rebuild the head start began: `rm -rf .venv && corral sync` answered without the full path.

`cli.headstart` begins a rebuild at once from its rebuild record (the env laid out, the recorded `uv pip install`
started); the full path (`cli.main`: ~60 ms of imports and ~35 ms of choices on a small project) then adopts that
work and writes its records, and on a small project that Python, not uv, is what the user waits for. When the
record also holds a *replay* (written by `section` at the end of a rebuild that went the full path), `answer`
finishes the command itself, writing what the full path writes, in its order:

- while uv runs: `.gitignore` (when the layout has none) and `corral-env.json` (the recorded bytes with this
  creation's time), as `services.create._mark` does; the `creating` journal removed; the inventory row
  (`inventory.record.register_env`'s, noted as a file the inventory's next connection folds in:
  `inventory.pending`, without sqlite3) and the trust entry (`services.trust.record_created`), as
  `services.create.record_made`; the daily cache prune (`services.cache_auto.prune_if_due`), as `apply_lock`;
- once uv has exited 0: the sync stamp (`services.sync.stamp.make_stamp`); then the report: the recorded output of
  that rebuild, chunk by chunk on the same streams.

The stamp's record of the input files (`services.sync.stamp.input_state`: the stats of pyproject, pylock and the
user config, the `.python-version` chain, the git index, the lock's SHA-256) is the one the record holds
(`replay-inputs`), not taken again: `section` takes it between two observations of those very files that equal the
record's (`cli.headstart._write_record`), and the head start replays only when its own observation, taken before uv
starts, is equal again, every file settled (`cli.quick`'s rule: an equal stat, an equal file). So it is what
`input_state` would give at that observation, without hashing the lock (nor importing hashlib): the state of the
inputs the replayed uv input was made from. An edit after that observation is newer than the stamp, and the next
sync acts on it.

The replay is taken only when all the full path decides from is as it was; else the full path runs as before and
claims uv's outcome (`infra.headstart.wait_outcome`). Beyond the head start's own proofs (the observation of every
input `cli.quick.observe` notes, the base interpreter, the files uv reads): the same command line (`sync`,
`sync -q`), stdout and stderr each a terminal or not as then, the same working folder, the whole environment equal
(its SHA-256: PATH, every uv variable, the terminal's), uv's binary the same file, every folder interpreter
discovery lists (`discovery.places.candidate_folders`) unchanged, uv's exit code 0, and, when the sync installs
the seed, the env's pip the version that rebuild ended with (so `services.seed.freshen_pip` has nothing to do).
`section` writes a replay only for a rebuild that ran one uv command and printed only the sync's progress and
report lines, whose stamp is what `make_stamp` gives from the facts recorded (checked at its end).

A kill during the replay leaves what a kill in the full path leaves at the same step: before `corral-env.json` is
written, the journal (the next command removes the half-made env); after it, an env without a trust entry or stamp
(the next sync completes or rebuilds it). A Ctrl-C is held while the records are written, then ends the command
with 130: before them the head start is undone at exit ("nothing was left half done"), after them the env is kept
(as the full path leaves one whose install was interrupted) and the line says it may lack packages the next sync
installs; once uv has exited 0 the work is finished and reported (as `cli.streams.point_of_no_return`). A write
that fails sends the command down the full path, which writes everything again.
"""

from __future__ import annotations

import os
import sys

from corral import __version__
from corral.infra import headstart as live

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["FLAGS", "Replay", "answer", "capture", "captured", "parse", "restat", "section"]

FLAGS = (["sync"], ["sync", "-q"], ["sync", "--quiet"])  # the command lines a replay answers
_PROGRESS = ("creating environment ", "selecting ", "installing ", "synced ")  # the sync's own lines on stderr
_CREATED_AT = '"created_at": '
_BROKEN_PIPE = 141  # cli.main's exit code when the reader of stdout left
_NO_SEED = "none"  # `replay-seed-key` of a rebuild that chose no seed
_INPUT_KEYS = ("lock", "pyproject", "python_pins", "git_index", "user_config")  # services.sync.stamp.input_state's


class Replay:
    """The replay part of a rebuild record (`replay-*` lines)."""

    __slots__ = (
        "cwd",
        "engine",
        "environ",
        "flags",
        "folders",
        "gitignore",
        "inputs",
        "out",
        "pip",
        "provenance",
        "seed_key",
        "selection",
        "terminals",
    )

    def __init__(self) -> None:
        self.flags: list[str] = []
        self.cwd = self.environ = self.selection = self.engine = self.pip = self.terminals = self.seed_key = ""
        self.folders: list[tuple[str, str]] = []  # discovery's folders (and uv's binary), each with its state
        self.provenance = self.gitignore = b""
        self.inputs: dict[str, object] | None = None  # the stamp's input part (`_recorded_inputs`)
        self.out: list[tuple[int, str]] = []  # (1 stdout | 2 stderr, text), in the order written


class _Copied:
    """A text stream that keeps a copy of what is written through it (`capture`); anything else is the stream's."""

    def __init__(self, stream: object, fd: int) -> None:
        self._stream = stream
        self._fd = fd

    def write(self, text: str) -> int:
        try:
            written: int = self._stream.write(text)  # type: ignore[attr-defined]
        except BaseException:
            _captured.clear()
            _captured.append((0, ""))  # a failed write: no replay of this output
            raise
        _captured.append((self._fd, text))
        return written

    def writelines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()  # type: ignore[attr-defined]
        except BaseException:
            _captured.clear()
            _captured.append((0, ""))
            raise

    def __getattr__(self, name: str) -> object:  # isatty, fileno, encoding, buffer, ... of the real stream
        return getattr(self._stream, name)


_captured: list[tuple[int, str]] = []
_freshened: list[bool] = []  # the replay was declined for pip: a record written again would be declined alike
_capturing: list[bool] = []  # (the streams get other wrappers around ours: cli.streams' guard)


def capture() -> None:
    """Keep a copy of this command's output (a plain `sync`, which may rebuild the env) for `section`."""
    if sys.argv[1:] in FLAGS and not _capturing:
        _capturing.append(True)
        sys.stdout = _Copied(sys.stdout, 1)  # type: ignore[assignment, unused-ignore]  # a text stream's duck
        sys.stderr = _Copied(sys.stderr, 2)  # type: ignore[assignment, unused-ignore]


def captured() -> list[tuple[int, str]] | None:
    """What `capture` kept; None when nothing was captured or a write failed."""
    if not _capturing or any(fd == 0 for fd, _ in _captured):
        return None
    return list(_captured)


def _hex(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").hex()


def _text(word: str) -> str:
    return bytes.fromhex(word).decode("utf-8", "surrogateescape")


def _state(path: str, *, ctime: bool = True) -> str:
    """A path's stat (device, inode, mode, owners, size, mtime, ctime), `-` when absent, `!errno` when unreadable.

    Without `ctime`: a file's content identity, which a new hard link to it does not change (`_tools`).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "-"
    except OSError as err:
        return f"!{err.errno}"
    fields = (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
    return ",".join(map(str, (*fields, st.st_ctime_ns) if ctime else fields))


# a shell's own bookkeeping, which neither corral nor uv reads: a `cd` (OLDPWD), a nested shell (SHLVL), the last
# command's path (`_`) do not send the next rebuild the full way (the working folder is compared on its own)
_SHELL_BOOKKEEPING = frozenset({"OLDPWD", "SHLVL", "_"})


def _environ_digest(environ: Mapping[str, str], sha: Callable[[str], str]) -> str:
    kept = sorted((key, value) for key, value in environ.items() if key not in _SHELL_BOOKKEEPING)
    return sha("\0".join(f"{key}={value}" for key, value in kept))


def _terminals() -> str:
    def tty(stream: object) -> str:
        try:
            return "1" if stream.isatty() else "0"  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            return "0"

    return tty(sys.stdout) + tty(sys.stderr)


def _tools(uv: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The real path of uv's binary and every folder interpreter discovery lists, each with its state.

    uv's binary without its ctime: installed by uv, it is a hard link to the file in uv's cache, shared by every env
    that installed that uv (51 links on this machine), and each new link or removed one moves the ctime of all of
    them. A new uv is another file (installers write a new one: another inode) or other bytes (a new mtime).
    """
    from corral.cli.replay_io import candidate_folders  # discovery.places' without pathlib

    real = os.path.realpath(uv)
    return [(real, _state(real, ctime=False)), *((folder, _state(folder)) for folder in candidate_folders(environ))]


def _stamp_text(env: str, replay: Replay, inputs: Mapping[str, object]) -> str:
    """`services.sync.apply.stamp_env`'s stamp of a plain sync into `env`, as written (`stamp_state.stamp_text`)."""
    from corral.services.sync.stamp_state import stamp_text

    return stamp_text(
        env=env, inputs=inputs, selection=replay.selection, engine=replay.engine, lock_fresh=True, environ=os.environ
    )


def _inputs(project: str, dirs: tuple[str, str, str]) -> dict[str, object]:
    from pathlib import Path

    from corral.services.sync.stamp import input_state

    return input_state(
        lock_path=Path(project, "pylock.toml"),
        pyproject=Path(project, "pyproject.toml"),
        user_config=Path(dirs[2], "config.toml"),
    )


def _shaped(out: Sequence[tuple[int, str]], flags: list[str], env: str) -> bool:
    """The output holds only the sync's report (` + ` lines) and, without -q, its progress and summary lines."""
    text = {1: "", 2: ""}
    for fd, chunk in out:
        text[fd] += chunk
    if any(c in chunk for _, chunk in out for c in "\x1b\r\0"):
        return False  # a live progress line (a terminal, a slow rebuild): not replayed
    stdout, stderr = text[1], text[2]
    if stdout and (not stdout.endswith("\n") or not all(line.startswith(" + ") for line in stdout[:-1].split("\n"))):
        return False
    if len(flags) > 1:  # -q: no message at all
        return not stderr
    lines = stderr[:-1].split("\n") if stderr.endswith("\n") else [""]
    return all(line.startswith(_PROGRESS) for line in lines) and lines[-1].startswith(f"synced {env} with ")


def _pip_line(stdin: str) -> bool:
    """The sync's uv command installs the seed's pip from a bare `pip` line: whichever pip uv's cache offers.

    `services.seed.freshen_pip` then runs after the install: the replay checks the pip it got (`replay-pip`).
    """
    return "pip" in stdin.split("\n")


def _env_pip(env: str) -> str:
    from pathlib import Path

    from corral.services.seed import seeded_pip

    return seeded_pip(Path(env)) or "-"


def section(  # noqa: PLR0911 - one refusal per reason
    facts: Mapping[str, object],
    project: str,
    dirs: tuple[str, str, str],
    out: Sequence[tuple[int, str]] | None,
    sha: Callable[[str], str],
) -> list[str]:
    """The record's replay lines for the rebuild that just ended (`cli.headstart`, at exit); [] when not replayable."""
    import json
    from pathlib import Path

    from corral.services.sync.stamp import read_stamp

    env = str(facts["env"])
    flags = sys.argv[1:]
    if out is None or flags not in FLAGS or facts.get("commands") != 1 or _freshened or not _shaped(out, flags, env):
        return []
    stamp = read_stamp(Path(env))
    if stamp is None or not isinstance(stamp.get("selection"), str) or not isinstance(stamp.get("engine"), str):
        return []
    replay = Replay()
    replay.selection, replay.engine = stamp["selection"], stamp["engine"]
    inputs = _inputs(project, dirs)
    if json.loads(_stamp_text(env, replay, inputs)) != stamp:
        return []  # the stamp is not what the replay would write from these facts
    provenance = live.read_input(os.path.join(env, "corral-env.json"))
    gitignore = live.read_input(os.path.join(env, ".gitignore"))
    if provenance is None or gitignore is None or provenance.count(_CREATED_AT.encode()) != 1:
        return []
    record = json.loads(provenance)
    interpreter = facts["interpreter"]
    assert isinstance(interpreter, tuple)  # noqa: S101 - infra.headstart.note_layout's (path, real path)
    path, real = interpreter
    expected = {"location": env, "kind": "project", "creator": "native", "project": project, "interpreter": path}
    if not isinstance(record, dict) or any(record.get(key) != value for key, value in expected.items()):
        return []  # corral-env.json is not what the full path wrote for this rebuild
    if record.get("interpreter_realpath") != real or record.get("corral_version") != __version__:
        return []
    pip = _env_pip(env) if _pip_line(str(facts["stdin"])) else ""
    seed_key = str(facts.get("seed_key", _NO_SEED))  # noted when the seed was chosen (`engines.uv_seed`), "-": no page
    argv = facts["argv"]
    assert isinstance(argv, list)  # noqa: S101 - infra.headstart.note_command's list
    return [
        f"replay-flags {_hex(chr(0).join(flags))}",
        f"replay-terminals {_terminals()}",
        f"replay-cwd {_hex(os.getcwd())}",
        f"replay-environ {_environ_digest(os.environ, sha)}",
        *(f"replay-folder {_hex(path)} {state}" for path, state in _tools(str(argv[0]), os.environ)),
        f"replay-selection {_hex(replay.selection)}",
        f"replay-engine {_hex(replay.engine)}",
        f"replay-pip {_hex(pip)}",
        f"replay-seed-key {seed_key}",
        f"replay-provenance {provenance.hex()}",
        f"replay-gitignore {gitignore.hex()}",
        f"replay-inputs {json.dumps(inputs, sort_keys=True).encode('utf-8', 'surrogateescape').hex()}",
        *(f"replay-out {fd} {_hex(chunk)}" for fd, chunk in out if chunk),
    ]


def parse(lines: Sequence[tuple[str, str]]) -> Replay | None:  # noqa: C901, PLR0912 - one rule per line kind
    """The replay of a record's `replay-*` lines ((kind, rest) pairs); None when there is none or one is damaged."""
    if not lines:
        return None
    replay = Replay()
    try:
        for kind, rest in lines:
            words = rest.split(" ")
            if kind == "replay-flags":
                replay.flags = _text(rest).split("\0")
            elif kind in ("replay-cwd", "replay-selection", "replay-engine", "replay-pip"):
                setattr(replay, kind[len("replay-") :], _text(rest))
            elif kind == "replay-environ":
                replay.environ = rest
            elif kind == "replay-terminals":
                replay.terminals = rest
            elif kind == "replay-seed-key" and (rest in ("-", _NO_SEED) or _digest(rest)):
                replay.seed_key = rest
            elif kind == "replay-folder" and len(words) == 2:  # noqa: PLR2004 - path, state
                replay.folders.append((_text(words[0]), words[1]))
            elif kind == "replay-provenance":
                replay.provenance = bytes.fromhex(rest)
            elif kind == "replay-gitignore":
                replay.gitignore = bytes.fromhex(rest)
            elif kind == "replay-inputs":
                replay.inputs = _recorded_inputs(bytes.fromhex(rest))
            elif kind == "replay-out" and len(words) == 2 and words[0] in ("1", "2"):  # noqa: PLR2004
                replay.out.append((int(words[0]), _text(words[1])))
            else:
                return None
    except (ValueError, UnicodeDecodeError):
        return None
    whole = replay.flags and replay.environ and replay.folders and replay.provenance and replay.inputs is not None
    if not replay.seed_key:  # a record of an older corral, which checked no seed's key
        return None
    return replay if whole else None


def restat(replay: Replay, stats: Mapping[str, list[int]], digests: Mapping[str, str]) -> bool:
    """The stamp's input part with the new stats of inputs rewritten with the recorded bytes; False: no replay.

    `stats`: `cli.headstart`'s proof that the file holding the recorded bytes (`digests`) now has this stat
    (settled). `input_state` would record exactly that: the new stat and, for the lock, the same SHA-256.
    """
    inputs = replay.inputs or {}
    for label, stat in stats.items():
        entry = inputs.get(label) if label in ("lock", "pyproject") else None  # input_state's keys
        if not isinstance(entry, dict) or not isinstance(entry.get("stat"), list):
            return False
        if label == "lock" and entry.get("sha256") != digests.get("lock"):
            return False  # the stamp's lock is not the bytes proved
        entry["stat"] = list(stat)
    return True


def _digest(text: str) -> bool:
    """`engines.uv_seed_key.seed_key`'s form: 32 lowercase hex digits."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)  # noqa: PLR2004


def _recorded_inputs(raw: bytes) -> dict[str, object]:
    """The `replay-inputs` line's object: `services.sync.stamp.input_state`'s keys (ValueError: damaged)."""
    from corral.cli.quick import json_loads

    value = json_loads(raw)
    if not isinstance(value, dict) or set(value) != set(_INPUT_KEYS):
        msg = "replay-inputs"
        raise ValueError(msg)
    return value


def _same_seed(replay: Replay, uv: str, env: str, uv_environ: Mapping[str, str] | None) -> bool:
    """The seed the full path would choose now is the one in uv's input: its key is the recorded one.

    `uv_environ`: uv's environment (the seed's choice reads it). The key (`engines.uv_seed_key.seed_key`, recorded
    when the rebuild chose its seed: `replay-seed-key`) covers uv's cached page of pip: after uv fetched a changed
    page (a new pip, a yank), the full path learns another entry (or takes an entry where it kept a seed line), so
    the replay stands aside. `none`: that rebuild chose no seed (`CORRAL_SEED=0`).
    """
    if replay.seed_key == _NO_SEED:
        return True
    if uv_environ is None:
        return False
    from corral.engines.uv_seed_key import seed_key

    python = os.path.realpath(os.path.join(env, "bin", "python"))  # engines.uv_seed._key's, of the laid-out env
    return (seed_key(uv, python, uv_environ) or "-") == replay.seed_key


def _differs(
    replay: Replay,
    uv: str,
    environ: Mapping[str, str],
    sha: Callable[[str], str],
    env: str,
    uv_environ: Mapping[str, str] | None,
) -> str:
    """What differs from the recorded command, terminal, folder, environment, uv, Pythons and seed; "" when nothing."""
    checks: tuple[tuple[str, Callable[[], bool]], ...] = (
        ("flags", lambda: sys.argv[1:] == replay.flags),
        ("terminals", lambda: _terminals() == replay.terminals),
        ("cwd", lambda: os.getcwd() == replay.cwd),
        ("environ", lambda: _environ_digest(environ, sha) == replay.environ),
        ("tools", lambda: _tools(uv, environ) == replay.folders),
        ("seed", lambda: _same_seed(replay, uv, env, uv_environ)),
    )
    return next((what for what, same in checks if not same()), "")


def _declined(why: str) -> None:
    """The replay stands aside (the full path answers); the fault log says why, for a benchmark's `--fates`."""
    live.log("headstart:replay-declined")
    live.log(f"headstart:replay-declined-why:{why}")


def answer(
    replay: Replay,
    *,
    project: str,
    env: str,
    dirs: tuple[str, str, str],
    journal: str,
    uv: str,
    environ: Mapping[str, str],
    sha: Callable[[str], str],
    uv_environ: Mapping[str, str] | None = None,
    observed: list[str] | None = None,
) -> None:
    """Finish the head start's rebuild as the full path would and end the process; returns when it cannot.

    `uv_environ`: the environment uv was started with (`_same_seed`). `observed`: the head start's
    observation of the inputs (`cli.headstart.inputs`), which the stamp's input part stands for. Returning leaves
    the head start live, with uv's outcome kept when it was waited for: the full path then runs as before (and
    writes again whatever was written here).
    """
    differs = _differs(replay, uv, environ, sha, env, uv_environ)
    if differs:
        _declined(differs)
        return
    inputs = replay.inputs or {}  # the input files as the head start observed them (`_recorded_inputs`): the stamp's
    written: list[bytes] = []
    try:
        if not _installed(replay, env=env, dirs=dirs, journal=journal):
            return
    except KeyboardInterrupt:
        if live.kept():
            _interrupted_install(env)
        raise  # before the records: the head start is undone at exit, nothing was left half done
    import _signal  # type: ignore[import-not-found, unused-ignore]  # signal's functions without its enums

    previous = _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # the env is built: finished and reported from here
    if not _uninterrupted(lambda: _stamped(replay, env=env, inputs=inputs, written=written)):
        _signal.signal(_signal.SIGINT, previous)
        _declined("stamp")
        return
    live.replayed()
    _report(replay.out, lambda: _record_noop(replay, project, env, dirs, observed, written[0]))


def _installed(replay: Replay, *, env: str, dirs: tuple[str, str, str], journal: str) -> bool:
    """The records of a new env written while uv installs, then uv's outcome: True when it is the recorded one."""
    # what the full path writes while uv installs (services.create, then apply_lock's prune), in its order
    if not _uninterrupted(lambda: _create(replay, env=env, dirs=dirs, journal=journal)):
        _declined("records")
        return False
    _load_the_rest(seeded=bool(replay.pip))
    outcome = live.wait_outcome()
    if outcome is None or outcome[0] != 0:
        _declined("uv")
        return False  # uv failed: the full path reports it, or tries online
    if replay.pip and _env_pip(env) != replay.pip:
        _freshened.append(True)  # the full path freshens pip, as the rebuild that wrote the record did
        _declined("pip")
        return False
    live.log("headstart:replay-installed")
    return True


def _interrupted_install(env: str) -> None:
    """A Ctrl-C once the new env carries corral's records, before uv's install was seen to finish: exit 130.

    The env is kept (as the full path keeps one whose install was cut short) and has no stamp, so it may lack
    packages the lock names: the next sync installs them. `cli.quick`'s line ("nothing was left half done") would
    not be true here. The exit handlers wait for uv; a second Ctrl-C must not cut them.
    """
    import _signal  # type: ignore[import-not-found, unused-ignore]

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    try:
        sys.stderr.write(
            f"error: interrupted; {env} was made but may lack packages of the lock (run the command again to finish)\n"
        )
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(130)


def _load_the_rest(*, seeded: bool) -> None:
    """Import, while uv installs, what the end needs once it has exited (the critical path from there).

    The stamp and the report; and with a seed line, the reader of pip's version (`_env_pip`: ~5 M instructions).
    """
    from corral.cli import streams  # noqa: F401 - loaded now, used after uv
    from corral.infra import json_text  # noqa: F401
    from corral.services.sync import stamp_state  # noqa: F401

    if seeded:
        from corral.services import inspection, seed  # noqa: F401


def _uninterrupted(write: Callable[[], bool]) -> bool:
    """`write()` with a Ctrl-C held until it is done (not cut in the middle); False when it failed.

    A Ctrl-C that came meanwhile is delivered after: the command then ends with 130 and the env is kept, as the
    full path leaves one whose install was interrupted (`keep` was called in `write`).
    """
    import _signal  # type: ignore[import-not-found, unused-ignore]

    _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGINT})
    try:
        return write()
    except Exception:  # noqa: BLE001 - any failure: the full path writes everything again, and reports
        return False
    finally:
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {_signal.SIGINT})


def _created_now(provenance: bytes) -> str:
    """The recorded `corral-env.json` with this creation's time (`services.create._mark`'s UTC, to the second)."""
    import time

    from corral.cli.quick import json_loads

    text = provenance.decode("utf-8")
    record = json_loads(provenance)
    assert isinstance(record, dict)  # noqa: S101 - checked when the replay was recorded
    old = f'{_CREATED_AT}"{record["created_at"]}"'
    new = f'{_CREATED_AT}"{time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}"'
    if text.count(old) != 1:
        msg = "corral-env.json's creation time"
        raise ValueError(msg)
    return text.replace(old, new)


def _create(replay: Replay, *, env: str, dirs: tuple[str, str, str], journal: str) -> bool:
    """`services.create`'s records of a new env and `apply_lock`'s cache prune; False: one failed (the full path)."""
    from corral.cli.quick import json_loads
    from corral.cli.replay_io import prune_due, record_created, write_atomic
    from corral.inventory.pending import note_made

    marked = _created_now(replay.provenance)
    if not os.path.exists(os.path.join(env, ".gitignore")):  # services.create._mark
        write_atomic(os.path.join(env, ".gitignore"), replay.gitignore)
    write_atomic(os.path.join(env, "corral-env.json"), marked.encode("utf-8"))
    live.log("headstart:replay-marked")
    try:  # noqa: SIM105 - infra.journals.remove_journal
        os.unlink(journal)
    except FileNotFoundError:
        pass
    record = json_loads(replay.provenance)
    assert isinstance(record, dict)  # noqa: S101 - checked when the replay was recorded
    data, cache, _ = dirs
    note_made(  # services.create.record_made's row, folded in by the inventory's next connection
        data,
        path=env,
        kind=record["kind"],
        project=record["project"],
        interpreter=record["interpreter"],
        version=record["python_version"],
        creator=record["creator"],
    )
    if not record_created(data, env):  # services.trust.record_created's entry
        return False  # the full path says why (a warning), and tries again
    live.log("headstart:replay-recorded")
    if prune_due(cache, os.environ):  # apply_lock's `services.cache_auto.prune_if_due`, imported only when due
        from pathlib import Path

        from corral.services.cache_auto import prune_if_due

        prune_if_due(Path(cache))
    live.keep()  # a created env from here, as the full path leaves one whose install is cut short
    return True


def _stamped(replay: Replay, *, env: str, inputs: Mapping[str, object], written: list[bytes]) -> bool:
    """`services.sync.apply.stamp_env` once uv is done; `written` gets the stamp's bytes."""
    from corral.services.sync.stamp_state import write_stamp_text

    text = _stamp_text(env, replay, inputs)
    if not write_stamp_text(env, text):
        return False
    written.append(text.encode("utf-8"))
    live.log("headstart:replay-stamped")
    return True


_ENV_LABELS = frozenset(("real-env", "trust", "env", "pyvenv", "bin", "bin-entries", "interpreter", "stamp"))
_ENV_LABELS |= {"stamp-bytes", "site", "lib"}  # cli.quick.observe's lines of the env (and trust.json)


def _record_noop(
    replay: Replay, project: str, env: str, dirs: tuple[str, str, str], observed: list[str] | None, stamp: bytes
) -> None:
    """`cli.sync_cmd.record_plain_noop`, from what the replay proved rather than the whole no-op check again.

    The check (`services.sync.stamp.is_noop`) compares the stamp with the inputs and the env. The stamp was made
    here: its input part stands for the head start's observation `observed`, so an observation now whose input
    lines are those says the inputs are as recorded; the env's own part (bin/, site-packages, the interpreter) was
    read after uv exited, and `cli.quick.remember` takes the stamp's bytes, bin/ and site-packages from that one
    observation only as they are in the stamp, and the trust record's verdict from it too (`trusted`). The
    interpreter is compared here. The verdict is told from that observation alone, so it is not taken twice
    (`judged`). Nothing is written on any doubt (the next sync runs the check).
    """
    import time

    from corral.cli.quick import _observe, json_loads, maybe_partial_write, remember
    from corral.services.sync.stamp_state import selection_key

    if observed is None or any(maybe_partial_write(name) for name in os.listdir(project)):
        return  # a killed writer's temporary: the full path removes it (`stamp.is_noop`)
    observed_ns = time.time_ns()  # read before the stats: what settled by then cannot change unseen
    seen = _observe(project, env, dirs, os.environ)  # the one observation the verdict below is told from
    lines = seen.lines
    if [line for line in lines if line.split(" ", 1)[0] not in _ENV_LABELS] != observed:
        return
    recorded = json_loads(stamp)
    interpreter = recorded.get("interpreter") if isinstance(recorded, dict) else None
    if not isinstance(interpreter, list) or len(interpreter) != 4 or None in interpreter:  # noqa: PLR2004
        return
    real, ino, size, mtime = interpreter
    if f"interpreter {ino} {size} {mtime} {real}" not in lines:
        return  # the base interpreter moved since the stamp read it
    default = replay.selection == selection_key(groups=None, extras=())
    remember(
        project,
        env,
        dirs,
        os.environ,
        before=lines,
        observed_ns=observed_ns,
        default_selection=default,
        stamp_bytes=stamp,
        judged=seen,
    )


def _report(out: Sequence[tuple[int, str]], record_noop: Callable[[], None]) -> None:
    """Write the recorded report as `cli.main` writes a sync's, and end the process as it does (`cli.streams`).

    As a full sync does after its report, the next no-op is recorded for `cli.quick` (`record_noop`: never fails).
    """
    from corral.cli.streams import guard_streams, leave, unwritten

    guard_streams()
    try:
        for fd, text in out:
            (sys.stdout if fd == 1 else sys.stderr).write(text)
        code = unwritten(0)
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            record_noop()
        except Exception:  # noqa: BLE001, S110 - a record only saves the next command time
            pass
    except BrokenPipeError:  # cli.main's `_quiet_broken_pipe`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        code = _BROKEN_PIPE
    leave(code)
