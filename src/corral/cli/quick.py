"""The first thing `corral` runs: a no-op `sync` or a ready `run CMD`, answered from corral's quick record.

Only the plain command lines are recognised: `corral sync`, `corral sync -q` (`--quiet`) and `corral run CMD
[ARGS...]` where CMD is a program name (not an option, not a path, not a `*.py` script). Anything else, and any
doubt (no record, one input changed, an error of any kind), goes to `corral.cli.main` unchanged, which writes the
record again when it proves a no-op.

The answers are today's fast path's, to the byte: `sync` prints "nothing to do: ENV already matches pylock.toml"
on stderr (not with -q) and exits 0; `run` execs CMD with the environment `infra.environ.env_environ` gives it,
found on PATH as `shutil.which` finds it (`services.run.prepare`). Any failure to start it takes the full path,
which reports it. `run` is quick on POSIX only (Windows runs a child process instead of an exec).

The quick record lives in corral's own cache (`<cache>/quick-records/<hash of the project's path>.txt`, the full path
inside), never in a project or an env: nothing there is evidence. The full path writes it only after the stamp's
no-op check (`services.sync.stamp.is_noop`) and corral's trust record (`services.trust.check_trust`) both said
yes for the plain command (no group/extra flag, no --frozen, no --engine). It holds an *observation* of every input
those two checks read, taken by `observe` the same way on both sides, so an equal observation means an equal
verdict:

- the stat (device, inode, mode, owner, group, size, mtime_ns, ctime_ns) of pyproject.toml, pylock.toml, every
  `.python-version` at or above the project (and the absence of the others), the user config file, corral's
  trust.json, the env folder, its pyvenv.cfg, `bin/` and `Scripts/`, the env's sync stamp and each site-packages
  folder (and which `lib/*` entries exist); the SHA-256 of the stamp's bytes and of bin/'s [name, inode] listing;
  the real path and identity of the interpreter the env's python resolves to (the stamp's `interpreter_state`);
- this env's own entries in trust.json (`trust_entry`: made here, allowed), the only part of that file the trust
  verdict reads. trust.json changes whenever corral makes an env anywhere: when only its stat differs, the entries
  are read again (json), compared, and the record is written again with the new stat (`compare`);
- the real paths of the project and of the env (trust is keyed by the real path), the user and group ids;
- the variables that pick an index or change corral (`CORRAL_*`, the pip/uv index names: the stamp's
  `environ_key`) and those that place corral's folders (HOME, XDG_*, LOCALAPPDATA...); a value with an `@` (an
  index URL's credentials) by its SHA-256 only, a variable that holds a credential not at all
  (`infra.credential_vars`);
- corral's version and the running Python.

A file rewritten within one tick of the file system's clock could keep its stat, so nothing is recorded while any
observed ctime is younger than its `settle_margin` (git's "racily clean" rule): 50 ms for a file system with
nanosecond stamps, 2 s otherwise; the next no-op records it. The env's own files (its folder, pyvenv.cfg, bin/,
site-packages, the stamp) and trust.json are exempt when the writer hands `remember` the stamp's bytes its check
judged and the record holds what the verdict reads of them besides their stats (the stamp's bytes, bin/'s listing,
this env's trust entries, read again on every answer while trust.json is young; `_own_inputs_proved`): so a sync
records the next no-op at once (`cli.sync_cmd.record_noop`). The user's files must have settled whatever the proof.
A record that is not a regular file owned by the user (a link, another user's file, one others may write), is damaged or
comes from another version is ignored. Anything that differs sends the command the full way, which writes the
record again when it proves a no-op (`cli.sync_cmd.synced_env` calls `observe` and `remember`).

Stdlib only (os, sys), one module (each package or module imported costs ~0.1 ms): no argparse, json, re,
pathlib, typing or hashlib; start-up is what this saves.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal's functions without building its enums (~1 ms)
import os
import stat
import sys

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import FrameType
    from typing import NoReturn

_INTERRUPTED = "error: interrupted; nothing was left half done (run the command again to finish)\n"


# A Ctrl-C while corral's entry is still importing this module (or about to call `run`): main's one line, exit 130.
# Python's own handler would raise KeyboardInterrupt in whatever import it cut and print that traceback. Nothing has
# started yet (a head start begins in `run`): nothing to undo. In a process that imports this module otherwise (a
# test, a library caller) it acts as Python's. (Comments, not docstrings: less .pyc to load at each start.)
def _interrupted_at_start(signum: int, frame: FrameType | None) -> None:
    if not _at_entry(frame):
        _signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt
    try:
        sys.stderr.write(_INTERRUPTED)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # no stderr at all: the exit code says it
        pass
    os._exit(130)


# Whether what imports this module (or calls `run`) is a program's top level: corral's console script, `-m corral`.
# Every frame around this module's own body (around `frame` once the body is done) must be a module body or the import
# system's (runpy's); a function frame there (pytest, a library caller) is another program importing it.
def _at_entry(frame: FrameType | None) -> bool:
    outer = frame
    while outer is not None:  # the frames inside this module's import (git_index's body, a finder) do not count
        if outer.f_code.co_name == "<module>" and outer.f_globals.get("__name__") == __name__:
            frame = outer.f_back
            break
        outer = outer.f_back
    while frame is not None:
        code = frame.f_code
        if code.co_name != "<module>" and not code.co_filename.startswith("<frozen "):
            return False
        frame = frame.f_back
    return True


if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:  # not when started with SIGINT ignored
    _signal.signal(_signal.SIGINT, _interrupted_at_start)  # `run` (or the end of this module) puts Python's back

from corral import __version__  # noqa: E402 - after the handler: a Ctrl-C from here on is corral's
from corral.infra.credential_vars import is_credential  # noqa: E402
from corral.infra.fnv import path_hash  # noqa: E402
from corral.infra.git_index import git_index_path  # noqa: E402

__all__ = [
    "RECORDS_FOLDER",
    "TRUST_ENTRY",
    "TRUST_FILE",
    "answer",
    "compare",
    "corral_dirs",
    "ensure_std_streams",
    "find_project",
    "in_env_environ",
    "json_loads",
    "lookup",
    "maybe_partial_write",
    "observe",
    "read_record",
    "record_path",
    "remember",
    "run",
    "secretless",
    "settle_margin",
    "trust_entry",
    "which",
    "write_record",
]

RECORDS_FOLDER = "quick-records"
_HEADER = f"corral-quick-record 1 {__version__}"  # an older record (no trust-entry): no match
_END = "end"
_LIMIT = 1 << 18  # a record is a few kB; a bigger file is not one corral wrote
_SETTLED_NS = 2_000_000_000  # coarser than any file system's timestamps (FAT: 2 s)
_FINE_SETTLED_NS = 50_000_000  # nanosecond stamps (ext4, xfs, btrfs, tmpfs, APFS): the clock ticks every 1-10 ms
_APP = "corral"
TRUST_FILE = "trust.json"  # services.trust.TRUST_FILE (a test keeps the two equal)
_TRUST_KEYS = ("created", "envs")  # services.trust's kinds of entry: made here by corral, allowed by the user
_TRUST_LINE = "trust "
TRUST_ENTRY = "trust-entry "
TRUST_ENTRY_READ = "trust-entry-read "  # trust.json had not settled: its entries are read on every answer

# Variables that change which index a lock is resolved from or how corral behaves (the sync stamp's `environ_key`;
# services.sync.stamp cannot import the CLI layer, so a unit test keeps the two lists equal).
ENV_PREFIXES = ("CORRAL_",)
# corral's own shell bookkeeping (`corral shell`, activation, the cd-hook): where the user is, not what to install
ENV_IGNORED = (
    "CORRAL_SHELL",
    "CORRAL_HOOK_ENV",
    "CORRAL_USER_ENV",
    "CORRAL_USER_ZDOTDIR",
    "CORRAL_USER_HOME",
    "CORRAL_PROGRESS_AFTER",
    "CORRAL_SIZE_BUDGET",
    "CORRAL_OLD_",
)
ENV_NAMES = (
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
)
# Variables platformdirs reads to place corral's folders (user data, cache, config) on any platform.
_PLACE_NAMES = (
    "HOME",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "LOCALAPPDATA",
    "APPDATA",
    "USERPROFILE",
    "ANDROID_DATA",
    "ANDROID_ROOT",
)
_PLACE_PREFIXES = ("WIN_PD_OVERRIDE_",)
_STAMP_FILE = "corral-sync.json"  # services.sync.stamp.STAMP_FILE (a test keeps the two equal)
_STAMP_LIMIT = 16 << 20  # infra.json_file reads the stamp up to this size (a test keeps the two equal)
_QUIET: tuple[list[str], ...] = ([], ["-q"], ["--quiet"])
# What would make a program in an env run another Python's library (infra.environ._IN_ENV_DROP; a test checks).
_IN_ENV_DROP = ("PYTHONHOME", "__PYVENV_LAUNCHER__", "CONDA_PREFIX")


def corral_dirs(  # noqa: PLR0911 - one answer per platform rule
    environ: Mapping[str, str], platform: str = sys.platform
) -> tuple[str, str, str] | None:
    r"""Corral's (data, cache, config) folders as `infra.paths.CorralPaths` finds them, without platformdirs.

    CORRAL_HOME, else the platform's rule (platformdirs with appauthor=False): `$XDG_*_HOME` or `~/.local/share`,
    `~/.cache`, `~/.config` on Linux; on macOS `$XDG_*_HOME` or `~/Library/Application Support` (data, config) and
    `~/Library/Caches`; on Windows `%LOCALAPPDATA%\corral` (data, config) and `%LOCALAPPDATA%\corral\Cache`.
    None when only platformdirs can tell (no absolute HOME, a Windows folder override); the writer of a record
    also checks the answer equals CorralPaths', so where the two differ no record is ever written.
    """
    home = environ.get("CORRAL_HOME")
    if home:
        if platform == "win32" or not home.startswith("/"):
            return None  # relative, `~`, a drive: Path's spelling decides (the full path)
        return os.path.join(home, "data"), os.path.join(home, "cache"), os.path.join(home, "config")
    if platform == "win32":
        import ntpath

        local = environ.get("LOCALAPPDATA", "")
        if any(k.startswith(_PLACE_PREFIXES) for k in environ) or not ntpath.isabs(local):
            return None
        base = ntpath.join(ntpath.normpath(local), _APP)
        return base, ntpath.join(base, "Cache"), base
    user = environ.get("HOME", "")
    if not user.startswith("/"):
        return None
    user = user.rstrip("/")

    def xdg(name: str, default: str) -> str:
        value = environ.get(name, "")
        return os.path.join(value if value.startswith("/") else user + default, _APP)

    if platform == "darwin":
        support = "/Library/Application Support"
        return xdg("XDG_DATA_HOME", support), xdg("XDG_CACHE_HOME", "/Library/Caches"), xdg("XDG_CONFIG_HOME", support)
    return xdg("XDG_DATA_HOME", "/.local/share"), xdg("XDG_CACHE_HOME", "/.cache"), xdg("XDG_CONFIG_HOME", "/.config")


def record_path(cache: str, project: str) -> str:
    """The record file of `project` in corral's cache (a 64-bit FNV-1a hash of its path; the path is inside)."""
    return os.path.join(cache, RECORDS_FOLDER, f"{path_hash(project)}.txt")


def maybe_partial_write(name: str) -> bool:
    """`infra.markers.maybe_partial_write` without `re` (a unit test keeps the two equal)."""
    return name.startswith(".") and name.endswith(".tmp") and ".corral-" in name


def find_project(start: str) -> str | None:
    """The folder of the nearest pyproject.toml at or above `start` (as `stamp.locate` walks); None when in doubt."""
    folder = start
    while True:
        try:
            os.stat(os.path.join(folder, "pyproject.toml"))
        except (FileNotFoundError, NotADirectoryError):
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
            continue
        return folder


def settle_margin(ctime_ns: int) -> int:
    """How long after `ctime_ns` a stat is trusted to show the next write (git's "racily clean" rule).

    A ctime with sub-millisecond digits comes from a file system with nanosecond stamps, written from a clock that
    ticks at least every 10 ms (Linux's coarse clock, APFS): 50 ms is five ticks. A rounded one (FAT, HFS+, ext3,
    some network file systems; one in a million fine stamps, which only costs time) may hide a write for up to 2 s.
    Windows keeps the long margin (NTFS may update a time lazily).
    """
    return _FINE_SETTLED_NS if os.name == "posix" and ctime_ns % 1_000_000 else _SETTLED_NS


class _Observation:
    """Lines of `label state path`, and when the stats of each label have settled (`settle_margin` after ctime)."""

    __slots__ = ("lines", "settled")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.settled: dict[str, int] = {}  # label: ctime + its margin, at the latest (ns)

    @property
    def newest(self) -> int:
        """When every stat seen has settled."""
        return max(self.settled.values(), default=0)

    def settled_by(self, observed_ns: int, exempt: tuple[str, ...] = ()) -> bool:
        """Every stat seen, but those of the `exempt` labels, had settled at `observed_ns`."""
        return all(when <= observed_ns for label, when in self.settled.items() if label not in exempt)

    def stat(self, label: str, path: str, *, follow: bool = True) -> None:
        try:
            st = os.stat(path) if follow else os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):  # a dangling link is not an absence (trust's lexists)
            self.lines.append(f"{label} {'~' if os.path.lexists(path) else '-'} {path}")
            return
        except OSError as err:
            self.lines.append(f"{label} !{err.errno} {path}")
            return
        settled = st.st_ctime_ns + settle_margin(st.st_ctime_ns)
        self.settled[label] = max(self.settled.get(label, 0), settled)
        self.lines.append(_stat_line(label, st, path))


def _stat_line(label: str, st: os.stat_result, path: str) -> str:
    return (
        f"{label} {st.st_dev} {st.st_ino} {st.st_mode} {st.st_uid} {st.st_gid} {st.st_size} "
        f"{st.st_mtime_ns} {st.st_ctime_ns} {path}"
    )


def observe(
    project: str, env: str, dirs: tuple[str, str, str], environ: Mapping[str, str], *, env_lines: bool = True
) -> tuple[list[str], int]:
    """Every input of the no-op verdict for `project` and its `env`, as lines; and when they have all settled (ns).

    `env_lines` False leaves out the env's own lines (the rebuild record of `cli.headstart`: the env is absent).
    """
    seen = _observe(project, env, dirs, environ, env_lines=env_lines)
    return seen.lines, seen.newest


def _observe(
    project: str, env: str, dirs: tuple[str, str, str], environ: Mapping[str, str], *, env_lines: bool = True
) -> _Observation:
    data, _, config = dirs
    seen = _Observation()
    lines = seen.lines
    ids = (os.geteuid(), os.getegid()) if hasattr(os, "geteuid") else ("-", "-")
    lines.append(f"runtime {sys.hexversion} {ids[0]} {ids[1]}")
    lines.append(f"data {data}")
    lines.append(f"config {config}")
    lines.extend(
        f"environ {k}={secretless(v)}"
        for k, v in sorted(environ.items())
        if (k.startswith(ENV_PREFIXES + _PLACE_PREFIXES) or k in ENV_NAMES or k in _PLACE_NAMES)
        and not k.startswith(ENV_IGNORED)
        and not is_credential(k)  # never written to a file, and no input (infra.credential_vars)
    )
    real_env = os.path.realpath(env) if env_lines else ""
    lines.append(f"real-project {os.path.realpath(project)}")
    if env_lines:
        lines.append(f"real-env {real_env}")
    seen.stat("pyproject", os.path.join(project, "pyproject.toml"))
    seen.stat("lock", os.path.join(project, "pylock.toml"))
    folder = project
    while True:
        seen.stat("pin", os.path.join(folder, ".python-version"))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    index = git_index_path(project)  # a checkout rewrites it: the full way then asks git about the env's files
    if index is not None:
        seen.stat("git-index", index)
    seen.stat("user-config", os.path.join(config, "config.toml"))
    seen.stat("trust", os.path.join(data, TRUST_FILE))
    if not env_lines:
        return seen
    seen.stat("env", real_env)
    seen.stat("pyvenv", os.path.join(real_env, "pyvenv.cfg"), follow=False)
    for name in ("bin", "Scripts"):
        seen.stat("bin", os.path.join(real_env, name))
    bin_dir = os.path.join(real_env, "Scripts" if os.name == "nt" else "bin")
    lines.append(f"bin-entries {_entries_digest(bin_dir)} {bin_dir}")  # what the stamp's `_bin_state` lists
    lines.append(_interpreter_line(env))
    stamp_file = os.path.join(env, _STAMP_FILE)
    seen.stat("stamp", stamp_file, follow=False)
    lines.append(f"stamp-bytes {_file_digest(stamp_file)}")  # what the stamp's verdict reads: its bytes
    if os.name == "nt":
        seen.stat("site", os.path.join(env, "Lib", "site-packages"))
    else:
        lib = os.path.join(env, "lib")
        try:
            names = sorted(os.listdir(lib))  # hidden ones too: pathlib's glob (Env.site_packages) sees them
        except OSError as err:
            lines.append(f"lib !{err.errno}")
            names = []
        for name in names:
            seen.stat("site", os.path.join(lib, name, "site-packages"))
    return seen


def _interpreter_line(env: str) -> str:
    """The stamp's `interpreter_state`: what the env's python resolves to now, and that file's identity."""
    python = os.path.join(env, "Scripts", "python.exe") if os.name == "nt" else os.path.join(env, "bin", "python")
    real = os.path.realpath(python)
    try:
        st = os.stat(real)
    except OSError:
        return f"interpreter - {real}"
    return f"interpreter {st.st_ino} {st.st_size} {st.st_mtime_ns} {real}"


def bin_entries(folder: str) -> list[list[object]] | None:
    """[name, inode] of each entry of `folder`, sorted: the stamp's `_bin_state` entries; None when unreadable."""
    try:
        with os.scandir(folder) as entries:
            return sorted([entry.name, entry.inode()] for entry in entries)
    except OSError:
        return None


def entries_digest(rows: list[list[object]]) -> str:
    """The SHA-256 of [name, inode] rows, each spelled with its length (no two listings spell alike)."""
    text = "".join(f"{len(str(name))}:{name}:{ino};" for name, ino in rows)
    return _sha256_hex(text.encode("utf-8", "surrogateescape"))


def _entries_digest(folder: str) -> str:
    rows = bin_entries(folder)
    return "-" if rows is None else entries_digest(rows)


def _file_digest(path: str) -> str:
    """The SHA-256 of the regular file `path` (never through a link, never a wait on a fifo); `!...`: none."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if not hasattr(os, "O_NOFOLLOW") and stat.S_ISLNK(os.lstat(path).st_mode):
            return "!link"  # Windows: no O_NOFOLLOW
        fd = os.open(path, flags)
    except OSError as err:
        return f"!{err.errno}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "!type"
        chunks, size = [], 0
        while size <= _STAMP_LIMIT:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        return f"!{err.errno}"
    finally:
        os.close(fd)
    return "!size" if size > _STAMP_LIMIT else _sha256_hex(b"".join(chunks))


def _sha256_hex(data: bytes) -> str:
    from corral.infra.sha256 import hexdigest  # _sha2 before hashlib is loaded (small data), OpenSSL's after

    return hexdigest(data)


def secretless(value: str) -> str:
    """`value` as a record may hold it: by its SHA-256 when it could carry credentials (an `@`).

    `https://user:token@host/simple`: an equal value still compares equal, and no token is ever written to a file.
    """
    if "@" not in value:
        return value
    return "sha256:" + _sha256_hex(value.encode("utf-8", "surrogateescape"))


def regular_bytes(
    path: str, limit: int, *, follow: bool = False, accept: Callable[[os.stat_result], bool] | None = None
) -> bytes | None:
    """The bytes of the regular file at `path` (at most `limit`), never a fifo waited on; None for anything else.

    No link is followed unless `follow`; `accept` judges the opened file's stat (a record's observation of it). A file
    whose size changed while it was read is None too. POSIX only (None on Windows: the callers' full path judges).
    """
    if not hasattr(os, "O_NOFOLLOW"):
        return None
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit or (accept is not None and not accept(st)):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data if len(data) == st.st_size else None


def read_record(path: str, header: str = _HEADER, limit: int = _LIMIT) -> list[str] | None:  # noqa: PLR0911
    """The record's lines between its header and its end mark; None when it is not one corral wrote for this user."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # no link, no fifo wait
    try:
        if not hasattr(os, "O_NOFOLLOW") and stat.S_ISLNK(os.lstat(path).st_mode):
            return None  # Windows: no O_NOFOLLOW
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        # POSIX: the user's own file, which nobody else may write (Windows has no owners or modes to compare)
        if hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return None
        data = os.read(fd, st.st_size + 1)  # not `limit`: a 2 MB buffer for a 90 kB record (mmap, page faults)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if len(lines) < 5 or lines[0] != header or lines[-1] != _END:  # noqa: PLR2004 - header, 3 fields, end
        return None
    return lines[1:-1]


def lookup(cwd: str, environ: Mapping[str, str]) -> tuple[str, bool] | None:  # noqa: PLR0911 - one exit per check
    """(env, synced with the default selection) when the project around `cwd` is a recorded no-op; else None."""
    dirs = corral_dirs(environ)
    if dirs is None:
        return None
    project = find_project(cwd)
    if project is None:
        return None
    record = read_record(record_path(dirs[1], project))
    if record is None or record[0] != f"project {project}" or not record[1].startswith("env "):
        return None
    env = record[1][4:]
    if record[2] not in ("selection default", "selection other"):
        return None
    if not os.path.lexists(env):
        return None  # no env, no no-op (the record names one it stat'ed): a rebuild, which cli.headstart may begin
    if any(maybe_partial_write(n) for n in os.listdir(project)):
        return None  # a killed writer's temporary: the full path recovers it
    started = _now_ns()  # read before the stats: what settled by then cannot change unseen
    lines, newest = observe(project, env, dirs, environ)
    verdict = compare(record[3:], lines, dirs[0])
    if verdict is None:  # the lock written again with the same bytes? (a relock: its own module, rarely loaded)
        from corral.cli.quick_relock import relocked

        verdict = relocked(record[3:], lines, dirs[0], env)
    if verdict is None:
        return None
    default = record[2] == "selection default"
    if verdict and newest <= started:  # trust.json's stat moved, or it was read again: a stat check next time
        remember(project, env, dirs, environ, before=lines, observed_ns=started, default_selection=default)
    return env, default


def compare(recorded: list[str], lines: list[str], data: str) -> bool | None:
    """Whether observation `lines` matches a record's `recorded` lines (the last one its `trust-entry`).

    None: it does not. False: it does. True: it does, though this env's entries in trust.json had to be read again
    (its stat differs: another env's entry changed; or the record says to, `trust-entry-read`: trust.json had not
    settled when it was written) and are the recorded ones, so the record may be written again.
    """
    if recorded == lines:
        return False  # a record without the entry (written before it was kept): trust.json's stat decides
    if len(recorded) != len(lines) + 1:
        return None
    entry = recorded[-1]
    read_again = entry.startswith(TRUST_ENTRY_READ)
    if read_again:
        entry = TRUST_ENTRY + entry[len(TRUST_ENTRY_READ) :]
    elif not entry.startswith(TRUST_ENTRY):
        return None
    if recorded[:-1] == lines and not read_again:
        return False
    differ = [i for i, line in enumerate(lines) if line != recorded[i]]
    if len(differ) > 1 or (differ and not lines[differ[0]].startswith(_TRUST_LINE)):
        return None
    return True if trust_entry(lines, data) == entry else None


def trust_entries(lines: list[str], data: str) -> tuple[object, object] | None:
    """The env's entries in corral's trust record (made here, allowed), as `trust_entry` reads them; None: unknown."""
    real_env = next((line[len("real-env ") :] for line in lines if line.startswith("real-env ")), None)
    seen = next((line for line in lines if line.startswith(_TRUST_LINE)), None)
    if real_env is None or seen is None:
        return None
    raw = _read_store(os.path.join(data, TRUST_FILE), seen)
    if raw is None:
        return None
    store = None
    if raw:
        try:
            store = json_loads(raw)
        except (ValueError, RecursionError):
            store = None  # damaged: trust._load reads no entries
    made, allowed = (store.get(key) if isinstance(store, dict) else None for key in _TRUST_KEYS)
    return (
        made.get(real_env) if isinstance(made, dict) else None,
        allowed.get(real_env) if isinstance(allowed, dict) else None,
    )


def trust_entry(lines: list[str], data: str) -> str | None:
    """The `trust-entry` line of observation `lines`: the env's entries in corral's trust record; None: unknown.

    `services.trust.check_trust`'s verdict reads the entries under the env's real path (made here by corral,
    allowed by the user) and the env's identity and owners, which other lines observe. The store is read as
    `trust._load` reads it (not the user's own file, unreadable or damaged: no entries), and only from the very
    file `lines`' trust line saw: its stat is taken again on the open file, and any difference is None.
    """
    entries = trust_entries(lines, data)
    return None if entries is None else TRUST_ENTRY + repr(entries)


class _ScanContext:
    """What `json.JSONDecoder` hands its C scanner: json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(
        {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    )
    memo: dict[str, str] = {}  # noqa: RUF012 - the scanner's own attribute (read only by the pure-Python one)


def json_loads(raw: bytes) -> object:
    """`json.loads(raw)`: the same value or the same kind of error, without importing json and re (~25 M instructions).

    Only a UTF-8 text of one JSON object is read by CPython's C scanner here (what json.loads runs too); anything else
    (another encoding json.loads detects, a lone surrogate, an error) is handed to json.loads itself.
    """
    if raw[:1] == b"{":
        try:
            from _json import make_scanner  # CPython's C accelerator, which json.loads runs as well

            text = raw.decode("utf-8")
            value, end = make_scanner(_ScanContext)(text, 0)  # type: ignore[arg-type]  # duck-typed context
        except (ImportError, UnicodeDecodeError, StopIteration, ValueError, RecursionError):
            pass
        else:
            if not text[end:].strip(" \t\n\r"):
                return value
    import json

    return json.loads(raw)


def _read_store(path: str, seen: str) -> bytes | None:
    """trust.json's bytes (b"": none to read, as trust._load finds), from the file `seen` observed; None: not it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # never a wait on a fifo
    except OSError:
        return b"" if seen.split(" ", 2)[1][:1] in ("-", "~", "!") else None  # gone since it was seen: None
    try:
        st = os.fstat(fd)
        if _stat_line("trust", st, path) != seen or not stat.S_ISREG(st.st_mode):
            return None
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return b""  # not the user's own file: trust._load reads no entries
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks)


def remember(
    project: str,
    env: str,
    dirs: tuple[str, str, str],
    environ: Mapping[str, str],
    *,
    before: list[str],
    observed_ns: int,
    default_selection: bool,
    stamp_bytes: bytes | None = None,
    judged: _Observation | None = None,
) -> bool:
    """Write the record after the full no-op check passed; `before` is `observe`'s lines from before that check.

    `observed_ns`: the clock (`_now_ns`) read right before `before` was observed. Nothing is written when anything
    changed during the check, when an input had not settled (`settle_margin`) by then, or when a path or value
    cannot be written on one line. True when written. Settled when `before` was taken, not by now: the check read
    the files after that, and a same-size rewrite in the clock tick of their last change keeps their stat, however
    long the check then took (50 ms is a slow check on a loaded machine).

    `stamp_bytes`: the sync stamp's bytes the check judged (`cli.sync_cmd`). With them, the env's own inputs need
    not have settled (right after a sync they never have): see `_own_inputs_proved`. The user's files (pyproject,
    lock, pins, git index, config) must have, whatever the proof.

    `judged`: the observation the verdict was told from, with nothing else read (`cli.rebuild_replay`, whose
    check compares its lines with what the replay proved): no second look is needed to see nothing moved between.
    """
    seen = _observe(project, env, dirs, environ) if judged is None else judged
    lines = seen.lines
    if lines != before:
        return False
    entries = trust_entries(lines, dirs[0])  # trust.json as observed: what the check read
    if entries is None:
        return False
    proved = stamp_bytes is not None and _own_inputs_proved(lines, stamp_bytes, entries)
    if not seen.settled_by(observed_ns, _OWN_LABELS if proved else ()):
        return False
    read_again = seen.settled.get("trust", 0) > observed_ns  # only with the proof: trust.json read on every answer
    lines.append((TRUST_ENTRY_READ if read_again else TRUST_ENTRY) + repr(entries))
    head = [_HEADER, f"project {project}", f"env {env}", f"selection {'default' if default_selection else 'other'}"]
    text = "\n".join([*head, *lines, _END])
    if not env.isprintable() or any(c in text for c in "\r\x00") or text.count("\n") != len(head) + len(lines):
        return False
    return write_record(record_path(dirs[1], project), text)


# The env's own inputs, written by every sync (the stamp's rename touches the env folder): once proved, they need not
# have settled. trust.json too (a sync that made the env wrote it): its entries are then read on every answer.
_OWN_LABELS = ("env", "pyvenv", "bin", "stamp", "site", "trust")


def _own_inputs_proved(lines: list[str], stamp_bytes: bytes, entries: tuple[object, object]) -> bool:
    """The verdict on the env's own inputs follows from `lines` alone, however young they are (POSIX).

    A stat cannot show a same-size rewrite within the clock tick of the last change, so an input the verdict reads
    more of than its stat must have settled before a record may stand for it (git's "racily clean" rule). The
    env's own inputs need not, once this holds:
    - the stamp's verdict reads its bytes: the record holds their SHA-256 (`stamp-bytes`), read on every answer,
      and they are `stamp_bytes`, the very bytes the check judged (not a copy read before or after it);
    - it reads bin/'s times and listing ([name, inode]): they are the stamp's, and the listing is read on every
      answer (`bin-entries`); site-packages' mtimes: they are the stamp's, so it reads no listing there;
    - trust (`services.trust.check_trust`) reads the stats of the env folder, pyvenv.cfg and bin/ (which the record
      holds) and this env's entries in trust.json (`entries`, read on every answer while trust.json is young):
      `trusted` says from `lines` that they vouch for the env.
    Nothing here is taken from what the check read in between: a rewrite and a rewrite back during the check (the
    same stat within one tick) cannot leave a record of a state the check did not prove.
    """
    if os.name != "posix" or f"stamp-bytes {_sha256_hex(stamp_bytes)}" not in lines:
        return False
    try:
        recorded = json_loads(stamp_bytes)
    except (ValueError, RecursionError):
        return False
    if not isinstance(recorded, dict) or not trusted(lines, entries):
        return False
    stats: dict[str, list[list[str]]] = {}
    for line in lines:
        parts = line.split(" ", 9)
        if len(parts) == 10 and parts[1].isdigit():  # noqa: PLR2004 - a stat line
            stats.setdefault(parts[0], []).append(parts)
    return _bin_proved(lines, stats.get("bin", []), recorded.get("bin")) and _site_proved(
        stats.get("site", []), recorded.get("site")
    )


def _bin_proved(lines: list[str], bins: list[list[str]], recorded: object) -> bool:
    """The stamp's `bin` (times, [name, inode] rows) is what `lines` observed of the env's bin/."""
    real_env = next((line[len("real-env ") :] for line in lines if line.startswith("real-env ")), "")
    bin_dir = os.path.join(real_env, "bin")
    seen = next((parts for parts in bins if parts[9] == bin_dir), None)
    if seen is None or not isinstance(recorded, dict) or not isinstance(recorded.get("entries"), list):
        return False
    rows = recorded["entries"]
    if not all(isinstance(row, list) and len(row) == 2 and isinstance(row[0], str) for row in rows):  # noqa: PLR2004
        return False
    if (recorded.get("mtime_ns"), recorded.get("ctime_ns")) != (int(seen[7]), int(seen[8])):
        return False
    return f"bin-entries {entries_digest(rows)} {bin_dir}" in lines


def _site_proved(sites: list[list[str]], recorded: object) -> bool:
    """The stamp's site-packages folders are those observed, with the mtimes observed (it then reads no listing)."""
    folders = [parts for parts in sites if stat.S_ISDIR(int(parts[3]))]
    if not isinstance(recorded, dict) or sorted(recorded) != sorted(parts[9] for parts in folders):
        return False
    return all(
        isinstance(recorded[parts[9]], dict) and recorded[parts[9]].get("mtime_ns") == int(parts[7])
        for parts in folders
    )


def trusted(lines: list[str], entries: tuple[object, object]) -> bool:
    """`services.trust.check_trust(env).trusted`, told from observation `lines` and this env's trust `entries`.

    POSIX: the env folder, its pyvenv.cfg (a regular file) and each bin/ or Scripts/ there are the user's own, the
    folders writable by no one else (group-writable only for the user's own group), and an entry (made here,
    allowed) names the env folder's and pyvenv.cfg's identity. A unit test keeps the two verdicts equal.
    """
    if not hasattr(os, "geteuid"):
        return False
    me, group = os.geteuid(), os.getegid()
    found: dict[str, list[list[str]]] = {}
    for line in lines:
        label = line.split(" ", 1)[0]
        if label in ("env", "pyvenv", "bin"):
            found.setdefault(label, []).append(line.split(" ", 9))
    if len(found.get("env", [])) != 1 or len(found.get("pyvenv", [])) != 1:
        return False
    folder, cfg = found["env"][0], found["pyvenv"][0]
    checked = [(folder, True), (cfg, False)]
    checked += [(p, True) for p in found.get("bin", []) if p[1] != "-"]  # absent: not checked (lexists)
    for parts, is_dir in checked:
        if len(parts) != 10 or not parts[1].isdigit():  # noqa: PLR2004 - unreadable, a dangling link: a problem
            return False
        mode, uid, gid = int(parts[3]), int(parts[4]), int(parts[5])
        if uid != me or (not is_dir and not stat.S_ISREG(mode)):
            return False
        if is_dir and (mode & stat.S_IWOTH or (mode & stat.S_IWGRP and gid != group)):
            return False
    ident = {
        "folder": [int(folder[1]), int(folder[2])],
        "pyvenv_cfg": [int(cfg[1]), int(cfg[2]), int(cfg[7]), int(cfg[8])],
    }
    return any(isinstance(entry, dict) and all(entry.get(k) == v for k, v in ident.items()) for entry in entries)


def write_record(target: str, text: str) -> bool:
    """Write a record file (private to the user, replaced atomically); False when it cannot be."""
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.{_now_ns()}.tmp")
    try:
        payload = text.encode("utf-8")  # a path that is not UTF-8 is left to the full path
    except UnicodeEncodeError:
        return False
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError:
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


def _now_ns() -> int:
    import time

    return time.time_ns()


def ensure_std_streams() -> None:
    """Started with stdout or stderr closed (`corral sync >&-`): Python gives None; write to the null device instead.

    The lowest free descriptor is taken, so a program `corral run` starts gets the null device there too.
    """
    for name in ("stdin", "stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "r" if name == "stdin" else "w", encoding="utf-8"))  # noqa: SIM115


_COLLECTOR_PAUSED: list[bool] = []  # `run` paused the cyclic collector for start-up; `resume_collector` resumes it


def pause_collector() -> None:
    """Switch the cyclic collector off for start-up (imports, parsing: `resume_collector` switches it back on).

    Imports make thousands of objects that live as long as the process; the collector would sweep them 10-20 times
    before a command begins (3-9 ms of a `corral doctor`) and free nothing.
    """
    import gc

    if gc.isenabled():
        gc.disable()
        _COLLECTOR_PAUSED.append(True)


def resume_collector() -> None:
    """Once the command's own work begins: start-up's objects into the permanent generation, the collector on."""
    if _COLLECTOR_PAUSED:
        import gc

        _COLLECTOR_PAUSED.clear()
        gc.freeze()
        gc.enable()


def run() -> None:
    """Console-script and `python -m corral` entry point: the quick answer, else the full command line."""
    try:
        _restore_interrupt()
        pause_collector()
        ensure_std_streams()
        code = answer(sys.argv[1:], os.environ)
        if code is None:
            _head_start(sys.argv[1:], os.environ)
            from corral.cli.main import run as full

            full()
            return
    except KeyboardInterrupt:
        _interrupted()
    os._exit(code)  # the answer is written and flushed: skip the interpreter's teardown (~1.5 ms), as run's exec does


def _interrupted() -> NoReturn:
    """A Ctrl-C before `cli.main` took over (during a head start, or main's imports): main's one line, exit 130.

    Not the traceback of whatever import it cut. The exit handlers run (`sys.exit`): they undo a head start the
    full path never adopted (`infra.headstart`); a second Ctrl-C must not cut them, as in main.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stderr.write(_INTERRUPTED)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(130)


def _restore_interrupt() -> None:  # Python's own SIGINT handler again: a Ctrl-C is KeyboardInterrupt from here on
    if _signal.getsignal(_signal.SIGINT) is _interrupted_at_start:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


def _head_start(argv: list[str], environ: Mapping[str, str]) -> None:
    """A plain `sync` or `run CMD` the full path will take: begin a recorded env rebuild at once (`cli.headstart`)."""
    if not argv or argv[0] not in ("sync", "run") or (argv[0] == "sync" and argv[1:] not in _QUIET):
        return
    if argv[0] == "run" and (len(argv) < 2 or not _plain_program(argv[1])):  # noqa: PLR2004 - run and CMD
        return
    try:
        from corral.cli.headstart import begin

        begin(environ)
    except Exception:  # noqa: BLE001, S110 - a head start only saves time: the full path does the work anyway
        pass


def _plain_program(cmd: str) -> bool:
    """CMD of `corral run CMD` is a program name (not an option, `--`, a path or a script)."""
    return bool(cmd) and not cmd.startswith("-") and not cmd.endswith(".py") and os.sep not in cmd


def answer(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """The exit code of a recognised no-op (a ready `run` does not return); None: take the full path."""
    if argv[:1] == ["lock"]:  # the no-op lock: its own record (cli.lock_quick)
        from corral.cli.lock_quick import answer as lock_answer

        return lock_answer(argv, environ)
    if argv[:1] == ["doctor"]:  # a healthy env: its own record (cli.doctor_quick)
        from corral.cli.doctor_quick import answer as doctor_answer

        return doctor_answer(argv, environ)
    if len(argv) < 1 or argv[0] not in ("sync", "run"):
        return None
    try:
        if argv[0] == "sync":
            return _sync(argv[1:], environ) if argv[1:] in _QUIET else None
        return _run(argv[1:], environ)
    except Exception:  # noqa: BLE001 - any doubt goes the full way, which reports what is wrong
        return None


def _sync(flags: list[str], environ: Mapping[str, str]) -> int | None:
    found = lookup(os.getcwd(), environ)
    if found is None or not found[1]:  # a no-op for another selection than `sync`'s default
        return None
    if not flags:
        sys.stderr.write(f"nothing to do: {found[0]} already matches pylock.toml\n")
    sys.stdout.flush()
    sys.stderr.flush()
    return 0


def _run(argv: list[str], environ: Mapping[str, str]) -> int | None:  # noqa: PLR0911 - one exit per doubt
    if os.name == "nt" or not argv:
        return None
    cmd = argv[0]
    if cmd.endswith(".py"):  # a PEP 723 script whose env is ready (cli.script_quick); others take the full path
        from corral.cli.script_quick import answer as script_answer

        return script_answer(argv, environ)
    if not _plain_program(cmd):
        return None  # corral's options, `--`, a path and a script without its own env take the full path
    found = lookup(os.getcwd(), environ)
    if found is None:
        return None
    env = found[0]
    if not os.access(os.path.join(env, "bin", "python"), os.X_OK):
        return None  # a broken env (no python, or one that cannot run): the full path says so and runs nothing
    child = in_env_environ(env, environ)
    program = which(cmd, child["PATH"])
    if program is None:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, child)  # noqa: S606 - argv list, no shell
    except OSError:
        return None
    return None  # unreachable: execve does not return


def in_env_environ(env: str, base: Mapping[str, str]) -> dict[str, str]:
    """`infra.environ.env_environ(env, base)` on POSIX: the env's bin first on PATH, VIRTUAL_ENV set."""
    bin_dir = os.path.join(env, "bin")
    environ = {k: v for k, v in base.items() if k not in _IN_ENV_DROP}
    old_path = environ.get("PATH", os.defpath)
    environ["PATH"] = os.pathsep.join([bin_dir, *(p for p in old_path.split(os.pathsep) if p and p != bin_dir)])
    environ["VIRTUAL_ENV"] = env
    return environ


def which(cmd: str, path: str) -> str | None:
    """`shutil.which(cmd, path=path)` on POSIX for a bare program name (no separator in it)."""
    seen = set()
    for folder in path.split(os.pathsep):
        if folder in seen:
            continue
        seen.add(folder)
        name = os.path.join(folder, cmd)
        if os.path.exists(name) and os.access(name, os.F_OK | os.X_OK) and not os.path.isdir(name):
            return name
    return None


if not _at_entry(sys._getframe()):  # noqa: SLF001 - imported by another program: Python's handler at once
    _restore_interrupt()
