"""The head start of `corral sync` (and `corral run CMD`) after the env was deleted: the rebuild's uv begun at once.

The full path spends ~70 ms in Python before its one `uv pip install` (imports, settings, the interpreter, the
selection). When the env folder is absent, this module, run by `cli.quick` before it hands over to `cli.main`,
replays the last rebuild of this project from corral's *rebuild record*: it takes the project and env locks as the
full path does (at once, or not at all), writes the same `creating` journal, lays out the env byte for byte as the
native creator laid it out, and starts the same uv command (argv, environment, input) with its output kept in
memory files. Then the full path runs as always and judges (`infra.headstart`): it adopts the layout only when its
creator would write exactly that, the process only when it would run exactly that command; anything else is
waited for and undone, and the env built the ordinary way. The head start never decides anything, it saves time.

The record lives beside the quick records (`<cache>/quick-records/<hash>.rebuild.txt`), never in a project or an
env, under the quick records' rules (a regular file of the user that nobody else may write, size-limited, this
version's header). It holds `cli.quick.observe`'s observation of every input (pyproject, pylock, the
`.python-version` chain, the user config, the git index, the variables, corral's version and Python; not
trust.json, `inputs` says why) taken before the sync that built the env (one record per set of variables), and is
written only when nothing changed during that sync and every input had settled; the base interpreter's identity
(path, real path, stat); the layout; the uv command and the bytes of any file it reads (`-r FILE`). A head
start is taken only when the observation is equal now, the interpreter is the same file, the env folder is absent
(lstat), no journal of unfinished work and no leftover of corral's (a recreate's or a removal's sibling, a killed
writer's temporary) is there, and `CORRAL_FAULT` is unset (the crash tests' points run the ordinary way).
Values of variables that could hold credentials (`@`) are never written: the observation holds their SHA-256
(`cli.quick.observe`), and a command whose own environment sets one gives no record.

Stdlib only; Linux only (the native creator's platform, `memfd_create`, `posix_spawn`).
"""

from __future__ import annotations

import os

from corral import __version__
from corral.cli.quick import (
    corral_dirs,
    find_project,
    maybe_partial_write,
    observe,
    read_record,
    record_path,
    settle_margin,
)
from corral.infra import headstart as live

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ENV_LOCK_SUFFIX",
    "JOURNAL_KINDS",
    "begin",
    "env_lock_file",
    "inputs",
    "journal_file",
    "json_string",
    "project_lock_file",
    "rebuild_record_path",
    "write_creating_journal",
]

_HEADER = f"corral-rebuild-record 1 {__version__}"
# (env, folders, files, links, copies, pyvenv.cfg): services.create's `_native_plan`
_Layout = tuple[
    str, tuple[str, ...], tuple[tuple[str, bytes], ...], tuple[tuple[str, str], ...], tuple[object, ...], bytes
]
_LIMIT = 1 << 21  # the lock's lines and the activation scripts, hex-encoded
JOURNAL_KINDS = ("txn", "recreate", "creating")  # infra.markers.JOURNAL_KINDS (a test keeps them equal)
ENV_LOCK_SUFFIX = ".corral-sync.lock"  # infra.markers.ENV_LOCK_SUFFIX


def rebuild_record_path(cache: str, project: str, observed: list[str]) -> str:
    """The rebuild record of `project` in corral's cache, one per set of the variables `observe` notes.

    So syncs with other settings (`CORRAL_SEED=0` or not, another index) each keep theirs.
    """
    variables = "\n".join(line for line in observed if line.startswith("environ "))
    return record_path(cache, f"{project}\n{variables}")[: -len(".txt")] + ".rebuild.txt"


def inputs(project: str, dirs: tuple[str, str, str], environ: Mapping[str, str]) -> list[str]:
    """`cli.quick.observe` of the project's inputs without the env (absent) and without corral's trust.json.

    trust.json changes whenever corral makes any env; it decides which programs inside a project corral may start
    (`services.exec_guard`), and the head start starts none: only the recorded base interpreter, found outside
    the project (`_clean`). Everything else the full path reads from it, it judges itself.
    """
    lines, _ = observe(project, "", dirs, environ, env_lines=False)
    return [line for line in lines if not line.startswith("trust ")]


_DIGESTS: dict[str, str] = {}


def _sha(text: str) -> str:
    """The SHA-256 of `text` (its file system bytes) in hex; hashlib's OpenSSL import costs ~2 ms, _sha2 a tenth."""
    if text in _DIGESTS:
        return _DIGESTS[text]
    from corral.infra.sha256 import hexdigest

    _DIGESTS[text] = hexdigest(os.fsencode(text))
    return _DIGESTS[text]


_REAL: dict[str, str] = {}


def _real(path: str) -> str:
    """`os.path.realpath`, once a path (the project's, asked for each journal and lock name)."""
    if path not in _REAL:
        _REAL[path] = os.path.realpath(path)
    return _REAL[path]


def project_lock_file(cache: str, project: str) -> str:
    """`services.transaction.project_lock_path` of `project`."""
    return os.path.join(cache, "project-locks", f"{_sha(_real(project))[:24]}.lock")


def env_lock_file(cache: str, env: str) -> str:
    """The lock file `services.sync.apply.env_lock` takes for `env`."""
    return os.path.join(cache, "env-locks", _sha(env)[:24] + ENV_LOCK_SUFFIX)


def journal_file(data: str, project: str, kind: str) -> str:
    """`infra.journals.journal_path` of `project`."""
    return os.path.join(data, "journals", f"{_sha(_real(project))[:32]}.{kind}.json")


def begin(environ: Mapping[str, str]) -> None:
    """Arm the rebuild record for this command, and take the head start its record allows (cli.quick).

    `cli.rebuild_replay` is imported once uv has started (or no head start is taken): nothing prints before.
    """
    if not live.platform_ok() or environ.get("CORRAL_FAULT"):
        return
    dirs = corral_dirs(environ)
    if dirs is None:
        return
    project = find_project(os.getcwd())
    if project is None:
        return
    import time

    observed_ns = time.time_ns()  # read before the stats: an input settled by then cannot change unseen
    before = inputs(project, dirs, environ)
    live.arm(_write, project=project, dirs=dirs, before=before, observed_ns=observed_ns)
    try:
        facts, started, restat = _begin(project, dirs, environ, before, observed_ns)
    finally:
        from corral.cli import rebuild_replay

        rebuild_replay.capture()  # what a rebuild prints, for the replay its record may hold
    if facts is None or started is None or not live.pending_install(facts.env):
        return
    replay = rebuild_replay.parse(facts.replay)
    if replay is not None and rebuild_replay.restat(replay, restat, facts.digests):
        rebuild_replay.answer(
            replay,
            project=project,
            env=facts.env,
            dirs=dirs,
            journal=journal_file(dirs[0], project, "creating"),
            uv=facts.argv[0],
            environ=environ,
            sha=_sha,
            uv_environ=started.environ,
            observed=before,
        )


def _begin(
    project: str, dirs: tuple[str, str, str], environ: Mapping[str, str], before: list[str], observed_ns: int
) -> tuple[_Record | None, live.Live | None, dict[str, list[int]]]:
    """(the record's facts, the head start they allow, the new stats of inputs rewritten with the recorded bytes)."""
    record = read_record(rebuild_record_path(dirs[1], project, before), _HEADER, _LIMIT)
    facts = _parse(record) if record is not None else None
    if facts is None or facts.project != project or facts.observed is None:
        return None, None, {}
    restat = {} if facts.observed == before else _same_bytes(facts.observed, before, facts.digests, observed_ns)
    if restat is None:
        return None, None, {}
    return facts, _start(facts, project, dirs, environ), restat


# The inputs whose bytes, not only their stat, the record keeps (`digest` lines): a relock that writes the same lock
# again (`corral add X` then `corral remove X`), or an editor that saves pyproject.toml unchanged, gives them another
# stat (a new file: inode, times) and the same bytes. The sync reads nothing else of them.
_BY_BYTES = ("pyproject", "lock")
_STAT_FIELDS = 10  # `label dev ino mode uid gid size mtime ctime path` (cli.quick's stat lines)
_BYTES_LIMIT = 64 << 20  # as infra.toml_file reads pylock.toml


def _observed_sha(parts: list[str]) -> str | None:
    """The SHA-256 of the regular file a stat line (split) observed, read from that very file; None: not it now."""
    import stat

    try:
        fd = os.open(parts[9], os.O_RDONLY | os.O_NONBLOCK)  # followed as `observe` stats it; never a fifo's wait
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        seen = (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _BYTES_LIMIT or list(map(str, seen)) != parts[1:9]:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        if os.fstat(fd).st_ctime_ns != st.st_ctime_ns or len(data) != st.st_size:
            return None  # written while read
    except OSError:
        return None
    finally:
        os.close(fd)
    from corral.infra.sha256 import hexdigest

    return hexdigest(data)


def _digest_lines(lines: list[str]) -> list[str]:
    """`digest LABEL SHA256` of each input the record keeps by its bytes too, read from the file `lines` observed."""
    found = []
    for line in lines:
        parts = line.split(" ", _STAT_FIELDS - 1)
        if parts[0] in _BY_BYTES and len(parts) == _STAT_FIELDS and parts[1].isdigit():
            sha = _observed_sha(parts)
            if sha is not None:
                found.append(f"digest {parts[0]} {sha}")
    return found


def _same_bytes(
    recorded: list[str], lines: list[str], digests: Mapping[str, str], observed_ns: int
) -> dict[str, list[int]] | None:
    """The new stats ([size, mtime_ns, inode, ctime_ns]) of the inputs that differ only by their stat; None: others.

    Every other line is equal; a differing one is the stat of the same file (`pyproject`, `lock`), which had
    settled when `lines` were taken (`observed_ns`: so a same-size rewrite cannot hide behind the new stat, which
    the replay's stamp records) and holds the bytes the record keeps (`digest`). A changed lock never passes.
    """
    if len(recorded) != len(lines):
        return None
    restat: dict[str, list[int]] = {}
    for old, new in zip(recorded, lines, strict=True):
        if old == new:
            continue
        was, now = old.split(" ", _STAT_FIELDS - 1), new.split(" ", _STAT_FIELDS - 1)
        label = now[0]
        if label not in _BY_BYTES or label in restat or label not in digests or was[0] != label:
            return None
        if len(now) != _STAT_FIELDS or len(was) != _STAT_FIELDS or not now[1].isdigit() or now[9] != was[9]:
            return None
        ctime = int(now[8])
        if ctime + settle_margin(ctime) > observed_ns or _observed_sha(now) != digests[label]:
            return None
        restat[label] = [int(now[6]), int(now[7]), int(now[2]), ctime]  # infra.fingerprint's order
    return restat


class _Record:
    """A rebuild record's facts (what `_write` writes)."""

    __slots__ = (
        "argv",
        "cfg",
        "digests",
        "dirs",
        "env",
        "files",
        "inputs",
        "links",
        "observed",
        "project",
        "python",
        "replay",
        "set",
        "stdin",
        "unset",
        "what",
    )

    def __init__(self) -> None:
        self.project = self.env = self.what = self.stdin = ""
        self.cfg = b""
        self.python: tuple[str, str, str] = ("", "", "")
        self.argv: list[str] = []
        self.unset: list[str] = []
        self.set: dict[str, str] = {}
        self.dirs: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.files: list[tuple[str, bytes]] = []
        self.inputs: dict[str, bytes] = {}
        self.digests: dict[str, str] = {}  # SHA-256 of the inputs kept by their bytes too (`_BY_BYTES`)
        self.observed: list[str] | None = None
        self.replay: list[tuple[str, str]] = []  # `replay-*` lines: cli.rebuild_replay's

    def layout(self) -> tuple[object, ...]:
        """The layout as `services.create` plans it (`infra.headstart.claim_layout` compares the two)."""
        return (self.env, tuple(self.dirs), tuple(self.files), tuple(self.links), (), self.cfg)


def _text(word: str) -> str:
    return bytes.fromhex(word).decode("utf-8")


def _parse(record: list[str]) -> _Record | None:  # noqa: C901, PLR0912 - one rule per line kind
    """The record's facts; None when a line is not what `_write` writes."""
    facts = _Record()
    seen = set()
    try:
        at = 0
        while at < len(record):
            kind, _, rest = record[at].partition(" ")
            at += 1
            words = rest.split(" ")
            seen.add(kind)
            if kind == "observed":
                facts.observed = record[at : at + int(rest)]
                at += int(rest)
                if at != len(record):
                    return None
            elif kind in ("project", "env", "what", "stdin") and len(words) == 1:
                setattr(facts, kind, _text(rest))
            elif kind == "cfg" and len(words) == 1:
                facts.cfg = bytes.fromhex(rest)
            elif kind == "python" and len(words) == 3:  # noqa: PLR2004 - path, real path, stat
                facts.python = (_text(words[0]), _text(words[1]), words[2])
            elif kind == "argv" and len(words) == 1:
                facts.argv = _text(rest).split("\0")
            elif kind == "unset" and len(words) == 1:
                facts.unset.append(_text(rest))
            elif kind == "set" and len(words) == 2:  # noqa: PLR2004
                facts.set[_text(words[0])] = _text(words[1])
            elif kind == "dir" and len(words) == 1:
                facts.dirs.append(_text(rest))
            elif kind == "link" and len(words) == 2:  # noqa: PLR2004
                facts.links.append((_text(words[0]), _text(words[1])))
            elif kind == "file" and len(words) == 2:  # noqa: PLR2004
                facts.files.append((_text(words[0]), bytes.fromhex(words[1])))
            elif kind == "input" and len(words) == 2:  # noqa: PLR2004
                facts.inputs[_text(words[0])] = bytes.fromhex(words[1])
            elif kind == "digest" and len(words) == 2 and words[0] in _BY_BYTES and _sha_hex(words[1]):  # noqa: PLR2004
                facts.digests[words[0]] = words[1]
            elif kind.startswith("replay-"):
                facts.replay.append((kind, rest))
            else:
                return None
    except (ValueError, UnicodeDecodeError):
        return None
    if not seen.issuperset(("project", "env", "what", "stdin", "cfg", "python", "argv", "observed")):
        return None
    return facts if _names_inside(facts) else None


def _sha_hex(word: str) -> bool:
    return len(word) == 64 and all(c in "0123456789abcdef" for c in word)  # noqa: PLR2004 - SHA-256 in hex


def _names_inside(facts: _Record) -> bool:
    """Every folder, link and file the layout names lies inside the env, through no link the layout makes.

    Relative, no `.` or `..` part, no NUL; and no name below one of the layout's links (`lib64/x` would be
    written wherever `lib64` points). The native layout's names always are; a damaged record's might not be.
    """
    links = {name for name, _ in facts.links}
    for name in [*facts.dirs, *links, *(name for name, _ in facts.files)]:
        parts = name.split("/")
        if name.startswith("/") or "\0" in name or any(part in ("", ".", "..") for part in parts):
            return False
        if any("/".join(parts[:end]) in links for end in range(1, len(parts))):
            return False
    return True


def _stat_line(path: str) -> str:
    st = os.stat(path)
    fields = (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return ",".join(map(str, fields))


def _clean(facts: _Record, project: str, dirs: tuple[str, str, str]) -> bool:  # noqa: PLR0911 - one exit per doubt
    """The env is absent and nothing of corral's unfinished work is there; the interpreter is the recorded one."""
    env = facts.env
    if not os.path.isabs(env) or os.path.normpath(env) != env:
        return False
    try:
        os.lstat(env)
    except FileNotFoundError:
        pass
    else:
        return False
    if os.path.realpath(env) != env:
        return False  # a link on the way to the env (one a repository can swap): the full path resolves it
    parent, name = os.path.split(env)
    siblings = os.listdir(parent)
    if any(n.startswith(f".{name}.corral-") for n in siblings):
        return False  # a recreate's build or old env, an env being removed: the full path recovers or refuses
    if any(maybe_partial_write(n) for n in (siblings if parent == project else os.listdir(project))):
        return False
    if any(os.path.lexists(journal_file(dirs[0], project, kind)) for kind in JOURNAL_KINDS):
        return False
    return _same_tools(facts, project)


def _same_tools(facts: _Record, project: str) -> bool:
    """The files uv would read are as the last rebuild left them; the base interpreter is the same file."""
    if set(live.input_files(facts.argv)) != set(facts.inputs):
        return False
    if any(live.read_input(path) != data for path, data in facts.inputs.items()):
        return False
    path, real, identity = facts.python
    if real.startswith(os.path.realpath(project) + os.sep):
        return False  # corral never starts an interpreter a project ships (services.exec_guard)
    return os.path.realpath(path) == real and _stat_line(real) == identity


def _try_lock(path: str) -> int | None:
    import fcntl

    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _take_locks(paths: tuple[str, ...]) -> list[int] | None:
    """Each lock at once, or none."""
    locks: list[int] = []
    for path in paths:
        fd = _try_lock(path)
        if fd is None:
            for held in locks:
                os.close(held)
            return None
        locks.append(fd)
    return locks


def _start(facts: _Record, project: str, dirs: tuple[str, str, str], environ: Mapping[str, str]) -> live.Live | None:
    """The head start the record allows (its uv started), or None."""
    env = facts.env
    if not os.path.isabs(env) or os.path.normpath(env) != env or os.path.lexists(env):
        return None  # an env there: no rebuild (the whole check, `_clean`, is made once, under the locks)
    locks = _take_locks((project_lock_file(dirs[1], project), env_lock_file(dirs[1], env)))
    if locks is None:  # another corral command holds one: no head start (the full path waits its turn)
        return None
    journal = journal_file(dirs[0], project, "creating")
    layout = facts.layout()
    made = noted = False
    try:
        if not _clean(facts, project, dirs):  # under the locks: no other corral command changes it meanwhile
            for held in locks:
                os.close(held)
            return None
        write_creating_journal(journal, project, env)
        noted = True
        os.mkdir(env)
        made = True
        _lay_out(facts)
    except BaseException:
        if made:
            import shutil

            shutil.rmtree(env, ignore_errors=True)
        if noted:
            os.unlink(journal)
        for held in locks:
            os.close(held)
        raise
    started = live.start(env, journal, layout, locks)
    live.log("headstart:layout")
    try:
        _spawn(started, facts, environ)
        _write_files(facts)  # while uv starts: it reads none of them
    except BaseException:
        live.discard()
        raise
    return started


def json_string(text: str) -> str:
    """`json.dumps(text)` (ASCII, escapes) without importing json."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:  # noqa: PLR2004 - printable ASCII
            out.append(char)
        elif code in (8, 9, 10, 12, 13):
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}[code])
        elif code > 0xFFFF:  # noqa: PLR2004 - a surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def write_creating_journal(path: str, project: str, env: str) -> None:
    """`infra.journals.write_journal` of the `creating` journal `services.create` writes (same JSON)."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    real = os.path.realpath(project)
    fields = (("env", json_string(env)), ("pid", str(os.getpid())), ("project", json_string(real)), ("version", "2"))
    body = "{\n" + ",\n".join(f' "{key}": {value}' for key, value in fields) + "\n}\n"  # json.dumps(indent=1)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.corral-{os.getpid():x}h.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            os.write(fd, body.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:  # a Ctrl-C lands in the fsync above all: nothing would ever remove the temporary
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_new(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _lay_out(facts: _Record) -> None:
    """`creators.native.write_layout` of the recorded layout, but its files: folders, links, pyvenv.cfg.

    What uv reads of the env: the files (the activation scripts, CACHEDIR.TAG, .gitignore; ~half the writes) are
    written once uv has started (`_write_files`). The native creator writes pyvenv.cfg last so that a half-written
    env is not an env; here the `creating` journal is there from before the folder, as while uv installs into it:
    a kill leaves what the next command removes, with or without those files.
    """
    env = facts.env
    for folder in facts.dirs:
        os.makedirs(os.path.join(env, folder), exist_ok=True)
    for name, target in facts.links:
        os.symlink(target, os.path.join(env, name))
    _write_new(os.path.join(env, "pyvenv.cfg"), facts.cfg)


def _write_files(facts: _Record) -> None:
    """The layout's files, which nothing uv does reads: written while it starts, before anything is adopted."""
    for name, data in facts.files:
        _write_new(os.path.join(facts.env, name), data)


def _spawn(started: live.Live, facts: _Record, environ: Mapping[str, str]) -> None:
    """Start the recorded uv command: input from a memory file, output into two (read by `infra.headstart.claim`)."""
    import _signal  # type: ignore[import-not-found]  # signal's constants without its enum import (1-8 ms)
    import io

    argv = facts.argv
    if not os.path.isabs(argv[0]) or not os.access(argv[0], os.X_OK):
        raise FileNotFoundError(argv[0])
    child = dict(environ)
    for key in facts.unset:
        child.pop(key, None)
    child.update(facts.set)
    stdin = facts.stdin
    encoding = io.TextIOWrapper(io.BytesIO(), errors="replace").encoding  # subprocess's text mode
    fin = os.memfd_create("corral-uv-input")
    out = os.memfd_create("corral-uv-stdout")
    err = os.memfd_create("corral-uv-stderr")
    try:
        os.write(fin, stdin.encode(encoding, "replace"))
        os.lseek(fin, 0, os.SEEK_SET)
        live.log(f"engine:{facts.what}")
        pid = os.posix_spawn(
            argv[0],
            argv,
            child,
            file_actions=[(os.POSIX_SPAWN_DUP2, fin, 0), (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)],
            setsigdef=(_signal.SIGPIPE, _signal.SIGXFSZ),  # as subprocess's restore_signals
        )
    except BaseException:
        os.close(out)
        os.close(err)
        raise
    finally:
        os.close(fin)
    started.argv, started.environ, started.stdin, started.files = argv, child, stdin, dict(facts.inputs)
    started.streams, started.pid = (out, err), pid
    live.log("headstart:started")


def _names_a_user(text: str) -> bool:
    """`text` holds a URL with a user part (`scheme://user[:password]@host`), which may be a credential."""
    import re

    return re.search(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s\"'@]*@", text) is not None


def _settled_at(lines: list[str]) -> int:
    """When every stat in `observe`'s lines (`label dev ino mode uid gid size mtime ctime path`) has settled."""
    newest = 0
    for line in lines:
        parts = line.split(" ", 9)
        if len(parts) == 10 and parts[1].isdigit():  # noqa: PLR2004 - the fields of a stat line
            ctime = int(parts[8])
            newest = max(newest, ctime + settle_margin(ctime))
    return newest


def _write(facts: dict[str, object]) -> None:
    """Write the rebuild record: now, or for a plain `sync` at exit, once its report (the replay's) is printed.

    Not at exit for `corral run CMD`, which ends in an exec that runs no exit handler.
    """
    from corral.cli import rebuild_replay

    if rebuild_replay.captured() is None:
        _write_record(facts)
        return
    import atexit

    atexit.register(_write_at_exit, facts)


def _write_at_exit(facts: dict[str, object]) -> None:
    try:  # noqa: SIM105 - contextlib is not loaded on this path
        _write_record(facts)
    except Exception:  # noqa: BLE001, S110 - a record only saves time
        pass


def _write_record(facts: dict[str, object]) -> None:  # noqa: C901, PLR0911 - one refusal per reason
    """The rebuild record of the sync that created the env, and its replay when it has one (`cli.rebuild_replay`).

    After a rebuild that adopted the head start, the record is written again only with a replay.
    """
    from typing import cast

    from corral.cli import rebuild_replay
    from corral.infra.paths import CorralPaths

    project, dirs, before = str(facts["project"]), cast("tuple[str, str, str]", facts["dirs"]), facts["before"]
    paths = CorralPaths.from_environment()
    if (str(paths.data), str(paths.cache), str(paths.config)) != dirs:
        return  # platformdirs places corral's folders where the head start would not look
    lines = inputs(project, dirs, os.environ)
    # an input that changed during the sync, or had not settled when first observed, gives no record
    if lines != before or _settled_at(lines) > cast("int", facts["observed_ns"]):
        return
    path, real = cast("tuple[str, str]", facts["interpreter"])
    if os.path.realpath(path) != real:
        return
    argv = cast("list[str]", facts["argv"])
    environ = cast("dict[str, str]", facts["environ"])
    if not os.path.isabs(argv[0]) or any("\0" in a for a in argv):
        return
    unset = sorted(k for k in os.environ if k not in environ)
    changed = sorted((k, v) for k, v in environ.items() if os.environ.get(k) != v)
    if any("@" in v for _, v in changed):
        return  # maybe an index URL with credentials: never written to a file
    env, folders, files, links, copies, cfg = cast("_Layout", facts["layout"])
    if copies or env != facts["env"]:
        return
    read = cast("dict[str, bytes | None]", facts["files"])
    if any(data is None for data in read.values()):
        return
    texts = [*argv, str(facts["stdin"]), *(data.decode("utf-8", "replace") for data in read.values() if data)]
    if any(_names_a_user(text) for text in texts):
        return  # `name @ https://user:token@host/...` (a lock written elsewhere): no token is written to a file

    def hexed(text: str) -> str:
        return text.encode("utf-8").hex()

    body = [
        f"project {hexed(project)}",
        f"env {hexed(env)}",
        f"what {hexed(str(facts['what']))}",
        f"python {hexed(path)} {hexed(real)} {_stat_line(real)}",
        f"argv {hexed(chr(0).join(argv))}",
        f"stdin {hexed(str(facts['stdin']))}",
        *(f"unset {hexed(k)}" for k in unset),
        *(f"set {hexed(k)} {hexed(v)}" for k, v in changed),
        *(f"dir {hexed(d)}" for d in folders),
        *(f"link {hexed(n)} {hexed(t)}" for n, t in links),
        *(f"file {hexed(n)} {d.hex()}" for n, d in files),
        *(f"input {hexed(n)} {d.hex()}" for n, d in read.items() if d is not None),
        f"cfg {cfg.hex()}",
        *_digest_lines(lines),
        f"observed {len(lines)}",
        *lines,
    ]
    replay = rebuild_replay.section(facts, project, dirs, rebuild_replay.captured(), _sha)
    if replay and inputs(project, dirs, os.environ) != lines:
        return  # an input changed while the replay's stamp inputs were taken: they may not be what `lines` saw
    if facts.get("adopted") and not replay:
        return  # the record holds as it is
    body[-len(lines) - 1 : -len(lines) - 1] = replay  # before `observed`, which ends the record
    text = "\n".join([_HEADER, *body, "end"])
    if any(c in text for c in "\r\x00") or text.count("\n") != len(body) + 1 or len(text) > _LIMIT:
        return
    from corral.cli.quick import write_record

    write_record(rebuild_record_path(str(paths.cache), project, lines), text)
