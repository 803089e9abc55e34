"""Doctor's record of a healthy project env whose sync stamp holds in all but git's index.

A sync stamp that holds (`services.sync.stamp.is_noop`) spares doctor two checks: the env against the lock
(drift) and the lock against pyproject.toml (lock-stale). The stamp records git's index, because a checkout can
write files inside the env; but every `git add`, commit or `git status` rewrites the index, so in a git repository
doctor compared the env with the lock almost every time (the sync's selection cache, hashlib and the lock's
selection imported: ~15 M instructions of a ~225 M doctor).

Of what those two checks read, the stamp leaves out only the files inside each distribution's folder: the
`METADATA` of each `*.dist-info` and the `PKG-INFO` of each `*.egg-info` (`inspection.installed_distributions` and
`seed_closure` read them; the stamp lists the folders, not their files). Everything else they read is an input the
stamp compares (the lock, pyproject.toml, the selection, the settings' variables and file, the site-packages
listings, the interpreter the env's python resolves to), or the base's identity in corral's probe cache, or
pyvenv.cfg, which is observed here too.

So after a check whose comparisons found nothing (other checks' findings, a pip to upgrade, do not count) while
the stamp held in all but git's index, doctor records the stamp's identity and each of those files' (`observe`:
device, inode, mode, size, mtime and, but for the metadata, ctime of the file a read reaches, or its absence),
taken before the checks read them and again after. A later doctor for which the stamp holds in all but git's
index, and whose observation is the recorded one, skips both checks: each of their inputs is what it was when
they found nothing. Anything else runs them: another observation, a file changed within a clock tick of the
observation (its stat could hide the next write), a file that cannot be stat'ed, another corral. (A metadata file
edited in place with its mtime given back keeps these rows; its ctime, newer than the sync stamp, sends the drift
check to compare for real all the same: `doctor.drift.check_drift`.)

The record lives in corral's cache (`doctor-records/<64-bit FNV-1a of the env's path>.json`, the path inside).

`quick_probes` serves the other record kept there, `cli.doctor_quick`'s (keyed by the project's path), which answers
a whole healthy `corral doctor` before argparse: it chooses what of every check's input the sync's quick observation
does not cover, to be stat'ed again on every answer, and says None where a check reads what no stat shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from corral import __version__
from corral.core.env import Env
from corral.infra.safe_read import read_small

TYPE_CHECKING = False  # typing itself is not imported here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Final

    from corral.services.context import Context
    from corral.services.project import Project

__all__ = ["RECORDS_FOLDER", "matches", "observe", "quick_probes", "record_file", "write"]

RECORDS_FOLDER: Final = "doctor-records"
_SCHEMA: Final = 1
_LIMIT: Final = 16 << 20
_FINE_NS: Final = 50_000_000  # a nanosecond clock ticks at least every 10 ms: five ticks
_COARSE_NS: Final = 2_000_000_000  # times rounded to the second (or Windows' lazy updates)
_METADATA: Final = {"dist-info": "METADATA", "egg-info": "PKG-INFO"}


def record_file(cache: Path, env: Path) -> Path:
    """The record of `env` in corral's cache folder `cache`."""
    from corral.infra.fnv import path_hash

    return cache / RECORDS_FOLDER / f"{path_hash(str(env))}.json"


def _row(path: Path, now: int, *, ctime: bool = True) -> list[object] | None:
    """[path, mode, dev, ino, size, mtime_ns(, ctime_ns)] of the file a read of `path` reaches ([path]: none there).

    None when it cannot be told (a stat error other than absence), or it changed so recently that its stat may not
    show the next write yet. `ctime=False`: a distribution's metadata, which uv links from its cache: every env
    made from that cache since changes its ctime (the link count). Its inode, size and mtime are what the sync stamp
    records of the files directly in site-packages; a file git or an installer writes is a new inode.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return [str(path)]
    except OSError:
        return None
    margin = _FINE_NS if os.name == "posix" and st.st_ctime_ns % 1_000_000 else _COARSE_NS
    if st.st_ctime_ns + margin > now:
        return None
    row: list[object] = [str(path), st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return [*row, st.st_ctime_ns] if ctime else row


def observe(env: Path, stamp: Path) -> list[list[object]] | None:
    """The identity of the stamp, pyvenv.cfg and every distribution's metadata file in `env`; None when unsure."""
    now = time.time_ns()
    rows: list[list[object]] = []
    for path in (stamp, env / "pyvenv.cfg"):
        row = _row(path, now)
        if row is None or len(row) == 1:
            return None
        rows.append(row)
    for site in Env.at(env).site_packages():  # the folders the stamp and the drift check read
        try:
            names = sorted(os.listdir(site))
        except OSError:
            return None
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not (dot and stem) or suffix not in _METADATA:
                continue
            row = _row(site / name / _METADATA[suffix], now, ctime=False)
            if row is None:
                return None
            rows.append(row)
    return rows


def matches(cache: Path, env: Path, rows: list[list[object]]) -> bool:
    """The record of `env` holds exactly the observation `rows` (written by this corral)."""
    try:
        data = json.loads(read_small(record_file(cache, env), limit=_LIMIT, what="doctor record", follow=False))
    except (OSError, ValueError, RecursionError):
        return False
    return (
        isinstance(data, dict)
        and data.get("schema") == _SCHEMA
        and data.get("corral") == __version__
        and data.get("env") == str(env)
        and data.get("rows") == rows
    )


def write(cache: Path, env: Path, rows: list[list[object]]) -> None:
    """Record the observation `rows` of a healthy `env` (atomically; a failure only costs the next doctor time)."""
    from corral.infra.fs import atomic_write_text

    text = json.dumps({"schema": _SCHEMA, "corral": __version__, "env": str(env), "rows": rows})
    path = record_file(cache, env)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)


def quick_probes(ctx: Context, project: Project, env: Path) -> list[tuple[str, str]] | None:
    """What `cli.doctor_quick` must find unchanged, beside `cli.quick.observe`'s lines, to answer a healthy doctor.

    Probes (`cli.doctor_quick.probe`: `s` stat, `l` lstat, `m` a metadata file's stat and digest, `k` readlink,
    `r` realpath, `p` an interpreter's entry in the probe cache, `d` many folders' stats as one digest) of every
    file a check reads that the sync's observation does not cover, and of the links on the way to those a check
    reads only inside the project. A folder's stat stands for its listing, so the probes of its entries are complete
    while it holds. None when a check reads what no stat shows: git asked about the env (its `.gitignore` is not
    `*`, or an index `infra.git_index` does not read), a Python request naming a path (discovery answers), an env
    outside its project.
    """
    if os.name != "posix":
        return None
    from corral.infra.journals import journal_dir, journal_path
    from corral.services.python import interpreter_request

    probes: list[tuple[str, str]] = []

    def add(op: str, path: object) -> None:
        probes.append((op, str(path)))

    wanted = interpreter_request(ctx)
    if wanted is not None and wanted.spec.path is not None:
        return None
    if not (_project_probes(project, env, add) and _git_probes(project.root, env, add)):
        return None
    _env_probes(ctx, env, add)
    journals = journal_dir(ctx.paths)
    add("s", journals)  # an empty folder (or none): no journal to name (`journals.pending` hashes no path then)
    if os.path.isdir(journals) and os.listdir(journals):
        add("l", journal_path(ctx.paths, project.root, "recreate"))
    _kernel_probes(ctx, add)
    return probes


def _project_probes(project: Project, env: Path, add: Callable[[str, object], None]) -> bool:
    """The project's files a link may lead out of it, and the folders the exec guard finds the project from."""
    from corral.services.project import find_project_root

    root = project.root
    if env.parent != root and root not in env.parents:
        return False  # the exec guard looks for the project around the env's folder too
    for folder in (env.parent, *env.parent.parents):  # find_project_root(env.parent): nothing between it and root
        if folder == root:
            break
        add("l", folder / "pyproject.toml")
    if find_project_root(env.parent) != root:
        return False
    for name in ("pyproject.toml", "pylock.toml"):  # read through any link (`infra.toml_file`): their stat tells
        add("l", root / name)
    for folder in (root, *root.parents):  # the Python request's `.python-version`, read only within its folder
        pin = folder / ".python-version"
        if os.path.lexists(pin):
            add("l", pin)
            add("r", pin)
        add("s", folder / ".git")  # doctor's git_root: the first that exists
    return True


def _git_probes(root: Path, env: Path, add: Callable[[str, object], None]) -> bool:
    """Git's index, when doctor reads it in-process and need not ask git whether the env is ignored; else False."""
    from corral.doctor.project import git_root, ignores_everything
    from corral.infra.git_index import git_index_path, tracked_under

    repo = git_root(root)
    if repo is None or (repo != env and repo not in env.parents):
        return True
    index = git_index_path(str(repo))
    if index is None or tracked_under(str(repo), env.relative_to(repo).as_posix()) is None:
        return False  # git itself would be asked
    add("s", index)
    return ignores_everything(env)  # else `git check-ignore`: git's config and every ignore file decide


def _env_probes(ctx: Context, env: Path, add: Callable[[str, object], None]) -> None:
    """The env's own files the checks read, its base's, the distributions' metadata and their RECORDs' folders."""
    from corral.infra.envfiles import read_env
    from corral.services.inspection import read_provenance

    add("s", env / "pyvenv.cfg")
    add("l", env / "corral-env.json")
    add("l", env / ".gitignore")
    provenance = read_provenance(env)
    if provenance is not None and provenance.location:
        add("r", provenance.location)
    layout = Env.at(env)
    bases = [os.path.realpath(layout.python)]  # the base's identity in the probe cache: size, mtime, inode, ctime
    _bin_probes(layout.bin_dir, os.path.realpath(env), add)
    home = read_env(env).home
    if home:
        bases += _home_probes(home, add)
    for base in dict.fromkeys(bases):  # the base the checks start from (the link's, else `home`'s python)
        add("s", base)
        add("p", f"{ctx.paths.interpreter_cache}\0{base}")  # its entry in the probe cache (`discovery.prober`)
    for site in layout.site_packages():
        for name in sorted(os.listdir(site)):
            stem, dot, suffix = name.rpartition(".")
            if dot and stem and suffix in _METADATA:
                add("m", site / name / _METADATA[suffix])
    _record_probes(ctx, env, add)


def _record_probes(ctx: Context, env: Path, add: Callable[[str, object], None]) -> None:
    """Each RECORD the files check reads, and each folder it lists (a file removed there moves the folder's stat)."""
    from corral.doctor.files import record_folders

    folders: dict[str, None] = {}
    for record, listed in record_folders(ctx.paths.cache, env):
        add("s", record)
        folders.update(dict.fromkeys(listed))
    if folders:
        add("d", "\0".join(folders))  # one digest of their stats (`cli.doctor_quick._folders_probe`)


def _home_probes(home: str, add: Callable[[str, object], None]) -> list[str]:
    """pyvenv.cfg's `home`: it must hold a python, the exec guard's real path; the base programs found there."""
    add("s", home)
    add("r", home)
    try:
        names = sorted(os.listdir(home))
    except OSError:
        names = []
    bases = []
    for name in names:
        if name.startswith("python"):  # pyvenv: one of them a program
            add("s", os.path.join(home, name))
            if not name[len("python") :].replace(".", "").strip("0123456789"):  # python, python3, python3.12
                add("r", os.path.join(home, name))  # Target.base_executable's candidates
                bases.append(os.path.realpath(os.path.join(home, name)))
    return bases


def _bin_probes(bin_dir: Path, real_root: str, add: Callable[[str, object], None]) -> None:
    """Each entry of bin/ (activate, the python links, console scripts) and the folder each script's python is in."""
    from corral.infra.envfiles import script_interpreter

    with os.scandir(bin_dir) as found:
        entries = sorted(found, key=lambda entry: entry.name)
    for entry in entries:
        add("l", entry.path)
        if entry.is_symlink():
            add("k", entry.path)
            add("s", entry.path)
        elif not entry.name.startswith(("activate", "python")) and entry.is_file(follow_symlinks=False):
            program = script_interpreter(Path(entry.path))  # relocation: does it run another env's python
            if program is not None and os.path.isabs(program):
                other = os.path.dirname(os.path.dirname(program))
                add("r", other)
                if os.path.realpath(other) != real_root:
                    add("s", other)
                    add("s", os.path.join(other, "pyvenv.cfg"))
                    add("r", Env.at(other).bin_dir)


def _kernel_probes(ctx: Context, add: Callable[[str, object], None]) -> None:
    """Every folder Jupyter searches for kernels, each kernelspec in it, and what its status is told from."""
    from corral.kernels.registry import env_of_python, kernels_dirs
    from corral.kernels.spec import KERNEL_JSON, KernelSpec
    from corral.services.kernels import RECORD_FILE
    from corral.services.kernels import env_prefixes as kernel_env_prefixes  # list_all's folders, as it finds them

    add("s", ctx.paths.data / RECORD_FILE)  # the envs whose `share/jupyter` corral wrote kernels into
    home = ctx.environ.get("HOME")
    if home:
        add("r", home)  # jupyter_core resolves ~
    for folder, scope in kernels_dirs(ctx.environ, env_prefixes=kernel_env_prefixes(ctx)):
        add("s", folder)
        try:
            children = sorted(os.listdir(folder))
        except OSError:
            continue
        if scope == "env" and len(folder.parents) > 2:  # noqa: PLR2004 - <env>/share/jupyter/kernels
            add("s", Env.at(folder.parents[2]).python)  # ipykernel's own spec there starts the env's python
        for name in children:
            spec_file = folder / name / KERNEL_JSON
            add("s", folder / name)
            add("s", spec_file)
            try:
                spec = KernelSpec.from_file(spec_file) if spec_file.is_file() else None
            except ValueError:
                continue
            python = spec.python if spec is not None else None
            if spec is None or not python:
                continue
            record = spec.corral or {}
            env = env_of_python(python, record.get("env") if isinstance(record.get("env"), str) else None)
            if os.path.isabs(python):
                add("s", python)
                add("s", os.path.join(os.path.dirname(python), "pyvenv.cfg"))
            if env is not None:
                add("s", env)
                add("s", env / "pyvenv.cfg")
