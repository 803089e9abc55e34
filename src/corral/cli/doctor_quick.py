"""A plain `corral doctor` on a healthy project env, answered from corral's cache before argparse and the context.

`cli.quick` hands it `corral doctor` and `corral doctor -q` (`--quiet`); any other word, flag or option (a PATH,
`--json`, `--fix`, `-C`, `-v`) goes to `cli.main` unchanged, and so does Windows. The answer is the full path's,
to the byte: "ok: ENV is healthy" on stdout (nothing with -q), exit 0; it exists only for a report without a
single finding or note.

The record (`<cache>/doctor-records/<64-bit FNV-1a of the project's path>.json`, the kind `corral cache` already
lists and prunes; `services.doctor_record` keeps its other records there, keyed by the env's path) is written by
the full path (`cli.doctor_cmd`) after such a report, and holds an observation of every input the checks read:

- what the sync's quick record observes (`cli.quick.observe`: pyproject.toml, pylock.toml, every `.python-version`
  above the project, the git index, the user config, trust.json and this env's entries in it, the env folder,
  pyvenv.cfg, bin/ and its listing, the interpreter bin/python resolves to, the sync stamp's bytes, each
  site-packages folder; the variables that place corral's folders or change corral, corral's version, the running
  Python, the user): so the stamp's verdict and the trust verdict are the recorded ones;
- the working folder (an index URL given as a relative path is made absolute against it) and the variables that
  place Jupyter's kernels (`JUPYTER_*`, `PYTHONUSERBASE`, `XDG_DATA_DIRS`, `PROGRAMDATA`);
- probes `services.doctor_record.quick_probes` chose (stats: device, inode, mode, owner, group, size, mtime, ctime;
  a distribution's metadata also by its bytes' SHA-256, read again only when its ctime alone moved: uv links these
  files from its cache, so every env made or removed from there moves their ctime, as an edit in place that gives
  the mtime back does; link targets; real paths) of the
  files each check reads: each bin/ entry (activate, the python links, console scripts and the folder of the
  python each names), the metadata of each distribution, its RECORD and, in one digest, every folder the RECORDs
  list files in (a file removed by hand moves its folder's stat), pyvenv.cfg's `home` and its python* programs, the base
  and its entry in the probe cache (not the file's stat: another interpreter probed elsewhere leaves the entry
  alone), corral-env.json, the env's .gitignore, each `.git` above the project, every kernels folder Jupyter
  searches and each kernelspec's interpreter, corral's journal of a recreate, and the project's files a link could
  lead out of the project. A folder's stat stands for its listing (an entry added,
  removed or renamed moves its mtime), so the probes of its entries are complete while it holds.

The full path writes nothing when a check reads what no stat can show: git asked whether it ignores the env (the
env's `.gitignore` is not `*`) or what it tracks (an index this process does not read), a Python request naming a
path (discovery decides), an env corral's trust record does not vouch for (the exec guard asks discovery), `-C`;
nor when an input had not settled (`cli.quick.settle_margin`) as the check began, or changed while it ran (it is
observed before and after). Anything that differs here goes the full way, which records again. A record that is
not the user's own regular file, that others may write, that is larger than its bound or damaged, or written by
another corral, is ignored. Nothing inside a project or an env is evidence: the record names files to stat, never
one to read.

Stdlib only (os, sys) at import, as `cli.quick`: the full path's recorder imports what it needs when it runs.
"""

from __future__ import annotations

import os
import stat
import sys

from corral import __version__
from corral.cli.quick import (
    TRUST_ENTRY,
    compare,
    corral_dirs,
    json_loads,
    maybe_partial_write,
    observe,
    secretless,
    settle_margin,
    trust_entries,
    trusted,
    write_record,
)
from corral.infra.credential_vars import is_credential
from corral.infra.fnv import path_hash

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.doctor.target import Target
    from corral.services.context import Context

__all__ = ["RECORDS_FOLDER", "Watch", "answer", "environ_lines", "find_project", "probe", "record_file"]

RECORDS_FOLDER = "doctor-records"  # services.doctor_record.RECORDS_FOLDER (a test keeps the two equal)
_SCHEMA = "doctor-quick 3"  # 3: the RECORDs and their folders are probed (a record without them vouches too much)
_LIMIT = 16 << 20  # ~100 bytes a probe: an env of 100 000 distributions; a bigger file is not one corral wrote
_QUIET: tuple[list[str], ...] = ([], ["-q"], ["--quiet"])
_JUPYTER_PREFIXES = ("JUPYTER_",)  # kernels.paths: where Jupyter's data folders are
_JUPYTER_NAMES = ("PYTHONUSERBASE", "XDG_DATA_DIRS", "PROGRAMDATA")
_OPS = ("s", "l", "m", "k", "r", "p", "d")  # stat, lstat, metadata's stat+digest, readlink, realpath, probe cache, dirs
_PROBE_SCHEMA = 3  # discovery.prober._CACHE_SCHEMA (a test keeps the two equal)


def record_file(cache: str, project: str) -> str:
    """The quick doctor record of `project` in corral's cache folder `cache` (the path is inside)."""
    return os.path.join(cache, RECORDS_FOLDER, f"{path_hash(project, prefix=b'doctor-quick' + bytes(1))}.json")


def find_project(start: str) -> str | None:
    """`services.project.find_project_root(start)` when that is a folder whose pyproject.toml is a regular file.

    The first folder at or above `start` where the name exists at all (a dangling link, a fifo count there too);
    None, in doubt, when that is not a regular file (the full path then reads it, or for a folder looks further up).
    """
    folder = start
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.lexists(candidate):
            try:
                return folder if stat.S_ISREG(os.stat(candidate).st_mode) else None
            except OSError:
                return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def environ_lines(environ: Mapping[str, str]) -> list[str]:
    """The variables Jupyter's folders follow (the kernels check), as `environ NAME=VALUE` lines."""
    return [
        f"environ {k}={secretless(v)}"
        for k, v in sorted(environ.items())
        if (k.startswith(_JUPYTER_PREFIXES) or k in _JUPYTER_NAMES) and not is_credential(k)  # JUPYTER_TOKEN
    ]


def probe(op: str, path: str, known: str | None = None) -> tuple[str, int]:  # noqa: PLR0911 - one exit per op
    """What `op` sees at `path`, and when that settled (ns; 0: nothing to settle).

    `s`/`l`: the stat through links or of the link itself; `m`: the stat a metadata file's reader reaches and the
    SHA-256 of its bytes (`known`: an earlier `m` of it, whose digest stands while the stat is the same); `k`: the
    link's target; `r`: the real path; `p` (the cache file, a NUL, the interpreter): the interpreter's entry in the
    probe cache; `d` (folders, NUL-separated): the digest of their stats. `-`: nothing there; `!errno`: an error.
    """
    if op == "r":
        return os.path.realpath(path), 0
    if op == "p":
        return _probe_entry(*path.split("\0", 1)), 0
    if op == "d":
        return _folders_probe(path)
    try:
        if op == "k":
            return "=" + os.readlink(path), 0
        st = os.lstat(path) if op == "l" else os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "-", 0
    except OSError as err:
        return f"!{err.errno}", 0
    seen = f"{_stat_text(st)} {st.st_ctime_ns}"
    if op == "m":
        seen += " " + (known.rsplit(" ", 1)[1] if known and known.rsplit(" ", 1)[0] == seen else _digest(path))
    return seen, st.st_ctime_ns + settle_margin(st.st_ctime_ns)


def _folders_probe(paths: str) -> tuple[str, int]:
    """The `d` probe: the stats of many folders (NUL-separated), as one digest, and when the last one settled.

    The files check lists each folder a RECORD names (~1 300 for a web stack's dev env): one probe keeps the record
    small and the answer's comparisons few. A folder's stat stands for its listing.
    """
    rows: list[object] = []
    add = rows.append
    stat_of = os.stat
    settled = 0
    for folder in paths.split("\0"):
        try:
            st = stat_of(folder)
        except (FileNotFoundError, NotADirectoryError):
            add("-")
            continue
        except OSError as err:
            add(f"!{err.errno}")
            continue
        add(st.st_dev)
        add(st.st_ino)
        add(st.st_mode)
        add(st.st_mtime_ns)
        add(st.st_ctime_ns)
        settled = max(settled, st.st_ctime_ns + settle_margin(st.st_ctime_ns))
    from corral.infra.sha256 import hexdigest

    return hexdigest(repr(rows).encode("utf-8", "surrogateescape")), settled


def _stat_text(st: os.stat_result) -> str:
    return f"{st.st_dev} {st.st_ino} {st.st_mode} {st.st_uid} {st.st_gid} {st.st_size} {st.st_mtime_ns}"


def _digest(path: str) -> str:
    """The SHA-256 of the regular file `path` (at most `_LIMIT` bytes), else `!why`."""
    raw = _read_bytes(path, private=False, limit=_LIMIT)
    if isinstance(raw, str):
        return raw
    from corral.infra.sha256 import hexdigest

    return hexdigest(raw)


def _metadata_holds(path: str, seen: str) -> bool:
    """The metadata file at `path` is what the `m` probe `seen` recorded.

    Its stat alone when that is the same to the ctime; when only the ctime moved, its bytes' digest: uv links these
    files from its cache, and every env made or removed from there moves their ctime (the link count), while an
    edit in place, even one that gives the mtime back, moves it too. So the file is read only after such a change.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # as `probe` spells it (an egg-info file has no PKG-INFO inside)
        return seen == "-"
    except OSError as err:
        return seen == f"!{err.errno}"
    recorded_stat, _, rest = seen.rpartition(" ")  # "<stat> <ctime>" and the digest
    ctime_stat, _, ctime = recorded_stat.rpartition(" ")
    if ctime_stat != _stat_text(st):
        return False
    return ctime == str(st.st_ctime_ns) or _digest(path) == rest


def _probe_entry(cache: str, key: str) -> str:
    """The entry `discovery.prober.CachedProber` finds for the interpreter `key` in its cache file `cache`, spelled.

    As it reads the file: anything but a JSON object of its schema holds no entry. Its other entries (every
    interpreter corral probed anywhere) are not this check's input, so a probe elsewhere sends no doctor the full way.
    """
    raw = _read_bytes(cache, private=False)
    if isinstance(raw, str):
        return raw
    try:
        data = json_loads(raw)
    except (ValueError, RecursionError):
        return "-"
    entries = data.get("entries") if isinstance(data, dict) and data.get("schema") == _PROBE_SCHEMA else None
    return "=" + repr(entries.get(key)) if isinstance(entries, dict) else "-"


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """The exit code of a recorded healthy `corral doctor [-q]`, its report written; None: take the full path."""
    if os.name != "posix" or argv[:1] != ["doctor"] or list(argv[1:]) not in _QUIET:
        return None
    try:
        text = _vouched(environ)
        if text is None:
            return None
        return _write(text) if not argv[1:] else 0  # -q/--quiet: a healthy env prints nothing, as the full path
    except Exception:  # noqa: BLE001 - any doubt goes the full way, which reports what is wrong
        return None


def _vouched(environ: Mapping[str, str]) -> str | None:  # noqa: PLR0911 - one exit per doubt
    """The recorded report when every input is the recorded one; None otherwise."""
    dirs = corral_dirs(environ)
    if dirs is None:
        return None
    cwd = os.getcwd()
    project = find_project(cwd)
    if project is None:
        return None
    record = _read(record_file(dirs[1], project))
    if record is None or record.project != project or record.cwd != cwd:
        return None
    if any(maybe_partial_write(n) for n in os.listdir(project)):
        return None  # a killed writer's temporary: the full path says what to do
    lines, _ = observe(project, record.env, dirs, environ)
    if compare(record.lines, lines, dirs[0]) is None or environ_lines(environ) != record.environ:
        return None
    for op, path, seen in record.probes:
        if not (_metadata_holds(path, seen) if op == "m" else probe(op, path)[0] == seen):
            return None
    return record.text


def _write(text: str) -> int | None:
    """Write the report as the full path's stdout would; None when nothing could be (the full path then reports it)."""
    stdout = sys.stdout
    data = text.encode(stdout.encoding, stdout.errors or "strict")
    stdout.flush()
    fd = stdout.fileno()
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:])
    except OSError as err:
        if not done:
            return None  # nothing written: the full path writes it, or says why it cannot, as always
        if isinstance(err, BrokenPipeError):
            return 141  # cli.main: a reader that left
        sys.stderr.write(
            f"error: cannot write output: {err.strerror or type(err).__name__} (stdout); the command itself is "
            "done, only what it printed is lost\n"
        )
        sys.stderr.flush()
        return 1
    return 0


class _Record:
    """A record as `_read` checked it."""

    __slots__ = ("cwd", "env", "environ", "lines", "probes", "project", "text")

    def __init__(self, data: dict[str, object]) -> None:
        self.project, self.env, self.cwd, self.text = (str(data[k]) for k in ("project", "env", "cwd", "text"))
        self.lines: list[str] = data["lines"]  # type: ignore[assignment]  # _read checked: a list of str
        self.environ: list[str] = data["environ"]  # type: ignore[assignment]  # as above
        self.probes: list[list[str]] = data["probes"]  # type: ignore[assignment]  # as above, rows of 3


def _read_bytes(path: str, *, private: bool, limit: int | None = None) -> bytes | str:
    """The bytes of the regular file `path` (never a wait on a fifo); `!why` when there are none to read.

    `private`: corral's own record: never through a link, the user's own file that nobody else may write, at most
    `_LIMIT` bytes. Otherwise as `discovery.prober` reads its cache: through links, whatever its size (`limit`: at
    most that many bytes).
    """
    if private:
        limit = _LIMIT
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (getattr(os, "O_NOFOLLOW", 0) if private else 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        return f"!{err.errno}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
            return "!type"
        if private and (st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            return "!owner"
        chunks, size = [], 0
        while (limit is None or size <= limit) and (chunk := os.read(fd, 1 << 20)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        return f"!{err.errno}"
    finally:
        os.close(fd)
    return "!size" if limit is not None and size > limit else b"".join(chunks)


def _read(path: str) -> _Record | None:
    """The record at `path` when corral wrote it for this user, in this version; None otherwise."""
    raw = _read_bytes(path, private=True)
    if isinstance(raw, str):
        return None
    try:
        data = json_loads(raw)
    except (ValueError, RecursionError):
        return None
    return _Record(data) if isinstance(data, dict) and _well_formed(data) else None


def _well_formed(data: dict[str, object]) -> bool:
    """A record of this schema and this corral, every field of its type."""
    probes = data.get("probes")
    return (
        data.get("schema") == _SCHEMA
        and data.get("corral") == __version__
        and all(isinstance(data.get(key), str) for key in ("project", "env", "cwd", "text"))
        and all(_strings(data.get(key)) for key in ("lines", "environ"))
        and isinstance(probes, list)
        and all(
            isinstance(row, list) and len(row) == 3 and _strings(row) and row[0] in _OPS  # noqa: PLR2004
            for row in probes
        )
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _now_ns() -> int:
    import time

    return time.time_ns()


class Watch:
    """The full path's side: what a plain `corral doctor` observed before its checks, recorded if they find nothing.

    `begin` notes the clock before anything is read, then observes; `healthy` observes again once the report is
    out and writes the record when both observations are equal and every stat had settled by the clock's reading.
    """

    __slots__ = ("before", "started")

    def __init__(self, started: int, before: dict[str, object] | None) -> None:
        self.started = started
        self.before = before

    @classmethod
    def begin(cls, ctx: Context) -> Watch:
        """Before the checks read anything (the clock first: what settled by then cannot change unseen)."""
        started = _now_ns()
        try:
            return cls(started, _observed(ctx))
        except Exception:  # noqa: BLE001 - the record only saves time: the checks report what is wrong
            return cls(started, None)

    def healthy(self, ctx: Context, target: Target, text: str) -> bool:
        """Record `text`, the report of a check that found nothing; True when written."""
        if self.before is None or str(target.root) != self.before["env"]:
            return False
        try:
            planned = [(op, path, seen) for op, path, seen in self.before["probes"]]  # type: ignore[attr-defined]
            after = _observed(ctx, planned)  # the same probes: while their stats hold, so does what chose them
        except Exception:  # noqa: BLE001 - as in `begin`
            return False
        if after is None or after != self.before or not isinstance(after["settled"], int):
            return False
        if after["settled"] > self.started:
            return False  # changed within a clock tick of the check: a stat may not show the next write yet
        record = {"schema": _SCHEMA, "corral": __version__, **after, "text": text}
        del record["settled"]
        import json

        return write_record(record_file(str(ctx.paths.cache), str(after["project"])), json.dumps(record))


def _observed(ctx: Context, planned: list[tuple[str, str, str | None]] | None = None) -> dict[str, object] | None:
    """Every input of the checks on the project's env, as `answer` observes them; None: nothing can vouch.

    `planned`: the probes to take, each with what an earlier observation saw (`quick_probes` chooses them when None).
    """
    if os.name != "posix":
        return None
    dirs = corral_dirs(ctx.environ)
    paths = ctx.paths
    if dirs is None or dirs != (str(paths.data), str(paths.cache), str(paths.config)):
        return None
    cwd = os.getcwd()
    project = find_project(cwd)
    if project is None or str(ctx.cwd) != cwd:
        return None
    from corral.services.doctor_record import quick_probes

    loaded = ctx.require_project()
    env = str(loaded.env_path)
    if planned is None and str(loaded.root) == project:
        chosen = quick_probes(ctx, loaded, loaded.env_path)
        planned = None if chosen is None else [(op, path, None) for op, path in dict.fromkeys(chosen)]
    if planned is None or str(loaded.root) != project:
        return None
    lines, settled = observe(project, env, dirs, ctx.environ)
    entries = trust_entries(lines, dirs[0])
    if entries is None or not trusted(lines, entries):
        return None  # an env no record vouches for: the exec guard asks discovery whether its base is known
    probes = []
    for op, path, known in planned:
        seen, when = probe(op, path, known)
        probes.append([op, path, seen])
        settled = max(settled, when)
    return {
        "project": project,
        "env": env,
        "cwd": cwd,
        "lines": [*lines, TRUST_ENTRY + repr(entries)],
        "environ": environ_lines(ctx.environ),
        "probes": probes,
        "settled": settled,
    }
