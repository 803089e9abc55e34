"""The no-op `corral lock`: pylock.toml is what a lock would write now, told before argparse or the context.

`unchanged_report(start)` is the one verdict: the lock stamp's (`services.lock_stamp.unchanged`, stdlib only) for
the project around `start`, as `LockReport.to_dict()`'s shape, or None (lock the full way). `cli.lock_cmd`'s
`fast_path` asks it after parsing the command line. `answer` takes the plain command lines only (`corral lock`,
`corral lock -q` / `--quiet`) for `cli.quick`, before `cli.main` imports argparse: from the quick lock record when
it matches, else from `unchanged_report`. Anything else, any doubt or error, is None: the full command line, which
asks the same question again and reports what is wrong.

The quick lock record (`<cache>/quick-lock-records/<hash of the project's path>.txt`, corral's cache, never a
project) is `cli.quick`'s idea applied to the lock stamp: written by `unchanged_report` right after the stamp said
"unchanged", it holds an *observation* of every input that verdict read, taken the same way before and after it
(equal, and every observed ctime settled for `cli.quick.settle_margin`, or nothing is written; pylock.toml and the
lock stamp file may be young when the verdict judged the very bytes the record names: `_remember`; `cli.lock_cmd`
runs this check right after a lock, so the next `corral lock` is answered from the record at once):

- `cli.quick.observe`'s lines (pyproject.toml, pylock.toml, every `.python-version` up the tree, the git index,
  corral's user config and trust record, the env, its pyvenv.cfg, bin/, sync stamp and site-packages, the real
  paths, corral's CORRAL_* variables and folders, the running Python and ids), and the env's own entries in the
  trust record (`cli.quick.trust_entry`: when another env's entry changed trust.json, they are compared instead,
  and the record written again with trust.json's new stat: `cli.quick.compare`);
- the variables the stamp reads or that choose its paths (CORRAL_*, UV_*, PIP_*, PYENV_*, XDG_*, PATH, HOME...);
- the stat of the lock stamp (and the SHA-256 of its bytes), the project's journal paths, uv's config files, the
  env's pyvenv.cfg (followed), the interpreter the lock was resolved with, every folder discovery lists interpreters
  from, the local packages' files, the version files;
- and, when the project's version may come from git, what `git describe` says now (git runs on every answer: an
  edit of a tracked file changes the version an SCM plugin derives).

The paths to observe are those the stamp's own functions name (the record's `fact` lines); what chose them (the
variables, the project's real path, the folders whose listing chose the candidates) is observed itself. A changed
observation, or a record that is not the user's own private file, is damaged or is another corral's: the full way.

A plain `corral lock` that is no no-op (no pylock.toml at all, or the verdict's None) goes to the full path with its
`uv lock` already begun when the last lock's recorded plan still fits (`_head_start`: pyproject.toml's bytes,
pylock.toml's state and the settings that chose the index and interpreter as recorded; `resolvers.uv_headstart`,
whose process the resolver takes only for its very command). An interpreter inside the project (the env's python,
what a lock beside a synced env resolves with) is begun only when the quick lock record vouches for it
(`_vouched_python`: the record matches, pylock.toml's lines aside when a fresh lock removed it, and its stamp's
interpreter is that python).

`add_head_start` does the same for a plain `corral add REQ...` (from `cli.add_cmd.fast_path`, before the context is
built; `add_argv_head_start` takes the command line itself): the upcoming plan (`resolvers.uv_headstart`: what a lock
of pyproject.toml and pylock.toml as the last lock, add or remove left them gives uv) with REQ... appended to its
temporary project's dependencies, when both files hold the recorded bytes and the settings are the recorded ones.

Stdlib only (os, sys, and `cli.quick`; a head start imports what starting uv needs); an answer from a record imports
nothing else but `infra.git`'s settings (a `git describe` is started with `os.posix_spawn`). POSIX only: Windows
always takes the stamp's way.
"""

from __future__ import annotations

import os
import stat
import sys

from corral import __version__

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

    from corral.cli.quick import _Observation
    from corral.infra.paths import CorralPaths

__all__ = ["PLAIN", "RECORDS_FOLDER", "add_argv_head_start", "add_head_start", "answer", "lookup", "unchanged_report"]

PLAIN = (["lock"], ["lock", "-q"], ["lock", "--quiet"])  # the command lines `answer` takes
RECORDS_FOLDER = "quick-lock-records"
_HEADER = f"corral-quick-lock-record 1 {__version__}"
_ENV_PREFIXES = (
    "CORRAL_",
    "UV_",
    "PIP_",
    "PYENV_",
    "XDG_",
    "SETUPTOOLS_SCM_",
    "PDM_BUILD_SCM_",
)  # CORRAL_*: all of them, as the stamp (quick: fewer)
_ENV_NAMES = ("PATH", "HOME", "APPDATA", "LOCALAPPDATA")
_FACTS = ("stamp", "journal", "config", "env-cfg", "python", "folder", "local", "version", "git")
_LSTAT = ("stamp", "journal")  # read without following a link (read_lock_stamp, journals.pending)
_HEAD = 3  # project, env, packages
_LOCK_BYTES = "lock-bytes "
_LOCK_LINES = ("lock ", _LOCK_BYTES)  # what an observation says of pylock.toml: its stat, its bytes
_GIT_STATE = "git-state "  # the digest of `git describe`'s inputs (infra.git_state) when they prove its answer, or `-`
# pylock.toml's stat line (cli.quick.observe) and the lock stamp file's: taken young when the verdict judged the
# bytes the record holds (`_remember`)
_JUDGED_LABELS = ("lock", "fact-stamp")

# (project, env, corral's (data, cache, config) folders, [(kind, path)]): what a record observes
Record = tuple[str, str, tuple[str, str, str], list[tuple[str, str]]]


def unchanged_report(start: Path, environ: Mapping[str, str], started: float) -> dict[str, Any] | None:
    """What `corral lock` reports when its stamp says pylock.toml is current (`started`: monotonic), else None.

    When it is, the quick lock record is written too (see the module's text).
    """
    import time

    from corral.core.lock_fingerprint import LOCK_FILE
    from corral.infra.fingerprint import digest
    from corral.infra.paths import CorralPaths
    from corral.services.lock_stamp import parse_lock_stamp, read_lock_stamp_bytes, unchanged
    from corral.services.sync.stamp import locate

    found = locate(start)
    if found is None:
        return None
    pyproject, env = found
    if os.path.islink(pyproject.parent / LOCK_FILE):
        return None  # a linked lock is judged the full way (refused when the link leads out of the project)
    if not os.path.isfile(pyproject.parent / LOCK_FILE):
        return None  # no lock (a fresh `corral lock`): nothing is unchanged; no record observed, no git describe
    paths = CorralPaths.from_environment()
    judged = read_lock_stamp_bytes(paths, pyproject.parent)  # read once: the bytes judged are the ones recorded
    stamp_data = None if judged is None else parse_lock_stamp(judged)
    record = _record(paths, pyproject.parent, env, stamp_data, environ)
    from corral.cli.quick import _now_ns

    observed_ns = _now_ns()  # read before the stats: what settled by then cannot change unseen
    before = _observe(record, environ, observed_ns, lock_bytes=True) if record is not None else None
    lock_digest = digest(pyproject.parent / LOCK_FILE)
    stamp = unchanged(
        paths, pyproject=pyproject, env=env, environ=environ, stamp_bytes=judged or b"", lock_digest=lock_digest
    )
    if stamp is None:
        return None
    if record is not None and before is not None and judged is not None:
        _remember(record, before, environ, stamp["packages"], observed_ns, judged=(judged, lock_digest))
    return {
        "path": str(pyproject.parent / LOCK_FILE),
        "written": False,
        "packages": stamp["packages"],
        "added": [],
        "removed": [],
        "updated": [],
        "seconds": round(time.monotonic() - started, 3),
    }


def answer(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """0 once a plain no-op `corral lock` is reported; None: take the full path (any other argv, any doubt)."""
    if argv not in PLAIN:
        return None
    try:
        import time

        started = time.monotonic()
        from corral.cli.quick import find_project

        project = find_project(os.getcwd())
        if project is not None and not os.path.lexists(os.path.join(project, "pylock.toml")):
            _head_start(environ, project)  # no lock, nothing unchanged (both verdicts below need one): lock now
            return None
        found = lookup(os.getcwd(), environ)
        if found is not None:
            path, packages = found
        else:
            from pathlib import Path

            report = unchanged_report(Path(os.getcwd()), environ, started)
            if report is None:
                if project is not None:
                    _head_start(environ, project)
                return None
            path, packages = report["path"], report["packages"]
        if len(argv) == 1:
            counted = f"{packages} package{'' if packages == 1 else 's'}"
            line = f"unchanged: {path} ({counted}, {time.monotonic() - started:.2f} s)"
            if not (line.isascii() and line.isprintable()):
                from corral.render.output import terminal_safe

                line = terminal_safe(line)
            sys.stderr.write(line + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - any doubt goes the full way, which reports what is wrong
        return None
    return 0


def _head_start(environ: Mapping[str, str], project: str) -> None:
    """A plain lock of `project` that is no no-op: its `uv lock` begun now when the last lock's plan still fits it.

    That is when pyproject.toml's bytes, pylock.toml's state (absent, or its bytes) and the settings that chose its
    index and interpreter (`uv_headstart.settings_digest`) are the recorded ones (`resolvers.uv_headstart`); the full
    path takes the process only when its own plan is that very command.
    """
    from corral.cli import quick

    dirs = quick.corral_dirs(environ)
    if dirs is None or os.name != "posix":
        return
    from corral.resolvers import uv_headstart

    lines = quick.read_record(uv_headstart.record_path(dirs[1], project), header=uv_headstart.HEADER, limit=1 << 20)
    found = None if lines is None else uv_headstart.parse(lines, project)
    if found is None:
        return
    pyproject_sha, state, settings, plan = found
    pyproject = _regular_bytes(os.path.join(project, "pyproject.toml"))
    lock = os.path.join(project, "pylock.toml")
    lock_bytes = None if not os.path.lexists(lock) else _regular_bytes(lock)
    if pyproject is None or (lock_bytes is None and os.path.lexists(lock)):
        return  # a link, a fifo, anything but a regular file: the full path judges it
    from corral.infra.sha256 import hexdigest

    if hexdigest(pyproject) != pyproject_sha or uv_headstart.lock_state(lock_bytes) != state:
        return
    if uv_headstart.settings_digest(project, os.path.join(dirs[2], "config.toml"), environ) != settings:
        return  # another index or interpreter than the plan's may be chosen now: the full path's own uv
    try:
        vouched = _vouched_python(plan[2], project, os.getcwd(), environ, lock_gone=lock_bytes is None)
        uv_headstart.begin(plan, environ, project, vouched=vouched or None)
    except Exception:  # noqa: BLE001, S110 - a head start only saves time: the full path resolves anyway
        pass


def _vouched_python(argv: list[str], project: str, cwd: str, environ: Mapping[str, str], *, lock_gone: bool) -> str:
    """The project env's python `argv` names (`--python`), when a quick record vouches for it; else "".

    That is when `_lookup` matches (with `lock_gone`: all but pylock.toml, which a fresh lock removed), its project is
    `project` and its stamp's interpreter is that python, `bin/python` of its env: `corral lock` resolves with it
    (`services.lock_stamp.recorded_python`), and every input of that choice, the env and corral's trust in it among
    them, is as when it was recorded. Else (pylock.toml in place), when the no-op sync's record matches
    (`cli.quick.lookup`: `corral run` starts the env's programs on that verdict) and that python is its env's
    `bin/python`: right after `rm -rf .venv && corral sync`, which made a new env, the lock's record observed the old.
    """
    pythons = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--python"]
    if len(pythons) != 1 or not os.path.isabs(pythons[0]) or not _inside(pythons[0], project):
        return ""  # a base interpreter outside the project needs no voucher (`uv_headstart.begin`)
    python = pythons[0]
    matched = _lookup(cwd, environ, lock_gone=lock_gone)
    if matched is not None:
        root, env, _, facts = matched[2]
        own = root == project and ("python", python) in facts
        return python if own and os.path.dirname(python) == os.path.join(env, "bin") else ""
    if lock_gone:
        return ""
    from corral.cli import quick

    synced = quick.lookup(cwd, environ)  # the no-op sync's record: the env as `corral run` may start its programs
    if synced is None or quick.find_project(cwd) != project:
        return ""
    return python if os.path.dirname(python) == os.path.join(synced[0], "bin") else ""


def add_head_start(requirements: list[str], cwd: str, environ: Mapping[str, str]) -> bool:
    """A plain `corral add REQ...` in `cwd`: its `uv lock` begun now when the project's upcoming plan fits; never fails.

    The upcoming plan (`resolvers.uv_headstart`, recorded by the last lock, add or remove) is what a lock of
    pyproject.toml and pylock.toml as they are now gives uv. While both files hold the recorded bytes, the add's
    lock gives uv that plan with REQ... appended to the temporary project's dependencies (`_with_requirements`:
    requirements recorded as written, none of whose names is declared there already). An interpreter inside the
    project (the env's python) is started only when the quick lock record vouches for it (`_lookup` matches:
    pylock.toml is what `corral lock` would write now, resolved with that very python, and every input of that
    verdict, the env and corral's trust in it among them, is as observed then), as `corral lock` itself would
    resolve with it. The full path takes the process only for its very command (`uv_headstart.take`). True when
    uv was started.
    """
    if os.name != "posix" or not requirements or not all(_plain_requirement(r) for r in requirements):
        return False
    try:
        from corral.resolvers import uv_headstart

        return not uv_headstart.running() and _add_head_start(requirements, cwd, environ)
    except Exception:  # noqa: BLE001 - a head start only saves time: the full path resolves anyway
        return False


def add_argv_head_start(argv: list[str], environ: Mapping[str, str]) -> bool:
    """`add_head_start` for a command line `corral add [-q] REQ...` (`cli.quick`, before argparse); else False."""
    if argv[:1] != ["add"]:
        return False
    requirements = [arg for arg in argv[1:] if arg not in ("-q", "--quiet")]
    if any(arg.startswith("-") for arg in requirements):
        return False  # another option (a group, an extra, a script, -C): the full path's head start, if any
    return add_head_start(requirements, os.getcwd(), environ)


# what a requirement `add_head_start` takes may hold: a name, extras and version clauses, without a space, quote,
# marker, URL or path (`services.add_remove.resolve_requirement` records such a string exactly as written)
_REQUIREMENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[],<>=!~*+")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _plain_requirement(text: str) -> bool:
    return bool(text) and text[0].isascii() and text[0].isalnum() and set(text) <= _REQUIREMENT_CHARS


def _name_key(requirement: str) -> str:
    """The normalized name a requirement string begins with (PEP 503: lower case, runs of `-_.` as one `-`)."""
    text = requirement.lstrip()
    end = next((i for i, char in enumerate(text) if char not in _NAME_CHARS), len(text))
    out: list[str] = []
    for char in text[:end].lower():
        if char in "-_.":
            if out and out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out).strip("-")


def _with_requirements(text: str, requirements: list[str]) -> str | None:
    """The temporary project's text (`resolvers.uv_project`) with `requirements` appended to [project]'s dependencies.

    As `core.pylock_write.toml_document` writes it: `[project]` first, its `dependencies = ["a", "b"]` on one line.
    None when it is not that simple: another layout, an escaped string, a name declared there already (add then
    replaces that entry), or the same name twice (add refuses).
    """
    head, found, rest = text.partition("\ndependencies = [")
    if not found or not (head == "[project]" or head.startswith("[project]\n")) or "\n[" in head:
        return None
    line, newline, tail = rest.partition("\n")
    if not newline or not line.endswith("]") or "\\" in line:
        return None
    listed = line[:-1]
    if listed and not (listed.startswith('"') and listed.endswith('"')):
        return None
    present = [_name_key(entry) for entry in listed[1:-1].split('", "')] if listed else []
    added = [_name_key(r) for r in requirements]
    if not all(added) or len(set(added)) != len(added) or set(added) & set(present):
        return None
    appended = ", ".join(f'"{requirement}"' for requirement in requirements)
    return f"{head}{found}{listed}{', ' if listed else ''}{appended}]\n{tail}"


def _add_head_start(requirements: list[str], cwd: str, environ: Mapping[str, str]) -> bool:  # noqa: PLR0911 - a return per unmet condition
    from corral.cli import quick

    dirs = quick.corral_dirs(environ)
    project = quick.find_project(cwd)
    if dirs is None or project is None:
        return False
    from corral.resolvers import uv_headstart

    record = uv_headstart.record_path(dirs[1], project, upcoming=True)
    lines = quick.read_record(record, header=uv_headstart.HEADER, limit=1 << 20)
    found = None if lines is None else uv_headstart.parse(lines, project)
    if found is None:
        return False
    pyproject_sha, state, settings, (text, preferences, argv) = found
    pyproject = _regular_bytes(os.path.join(project, "pyproject.toml"))
    lock = _regular_bytes(os.path.join(project, "pylock.toml"))
    if pyproject is None or lock is None:
        return False  # no lock (add's lock then has no preferences), a link, a fifo: the full path's way
    from corral.infra.sha256 import hexdigest

    if hexdigest(pyproject) != pyproject_sha or uv_headstart.lock_state(lock) != state:
        return False
    if uv_headstart.settings_digest(project, os.path.join(dirs[2], "config.toml"), environ) != settings:
        return False  # another index or interpreter than the plan's may be chosen now: the full path's own uv
    edited = _with_requirements(text, requirements)
    if edited is None:
        return False
    vouched = _vouched_python(argv, project, cwd, environ, lock_gone=False)
    return uv_headstart.begin((edited, preferences, argv), environ, project, vouched=vouched or None)


def _inside(path: str, folder: str) -> bool:
    """`path`, as named or followed, lies in `folder` (followed)."""
    root = os.path.realpath(folder)
    return any(os.path.commonpath([root, p]) == root for p in (os.path.abspath(path), os.path.realpath(path)))


def _regular_bytes(path: str, limit: int = 1 << 24) -> bytes | None:
    """The bytes of the regular file at `path` (no link followed, never a fifo waited on); None for anything else."""
    from corral.cli.quick import regular_bytes

    return regular_bytes(path, limit)


def lookup(cwd: str, environ: Mapping[str, str]) -> tuple[str, int] | None:
    """(pylock.toml's path, its package count) when the project around `cwd` is a recorded no-op lock; else None."""
    found = _lookup(cwd, environ)
    return None if found is None else found[:2]


def _lookup(  # noqa: C901, PLR0911 - one exit per doubt
    cwd: str, environ: Mapping[str, str], *, lock_gone: bool = False
) -> tuple[str, int, Record] | None:
    """`lookup`'s answer, and the record that matched (its project, env and facts).

    `lock_gone`: pylock.toml was removed since (a fresh lock), and every other input is compared, nothing written:
    what chose the interpreter and vouched for the env is as then (`services.lock_stamp.recorded_python`'s premise).
    """
    from corral.cli import quick

    dirs = quick.corral_dirs(environ)
    project = quick.find_project(cwd)
    if dirs is None or project is None or os.name == "nt":
        return None
    lines = quick.read_record(_record_path(dirs[1], project), header=_HEADER)
    if lines is None or len(lines) <= _HEAD or lines[0] != f"project {project}" or not lines[1].startswith("env "):
        return None
    label, _, packages = lines[2].partition(" ")
    if label != "packages" or not packages.isdigit():
        return None
    facts = [line[5:].split(" ", 1) for line in lines[_HEAD:] if line.startswith("fact ")]
    if any(len(fact) != 2 or fact[0] not in _FACTS for fact in facts):  # noqa: PLR2004 - kind and path
        return None
    if any(quick.maybe_partial_write(n) for n in os.listdir(project)):
        return None  # a killed writer's temporary: the full path recovers it
    if os.path.lexists(os.path.join(project, "pylock.toml")) == lock_gone or (
        os.path.islink(os.path.join(project, "pylock.toml"))
    ):
        return None  # a linked lock is judged the full way (refused when the link leads out of the project)
    record = (project, lines[1][4:], dirs, [(kind, path) for kind, path in facts])
    recorded = lines[_HEAD + len(facts) :]
    unproven = _adopt_git_answer(recorded)
    observed_ns = quick._now_ns()  # noqa: SLF001 - read before the stats: what settled by then cannot change unseen
    young = any(line.startswith(_LOCK_BYTES) for line in lines)  # recorded young: pylock.toml read every time
    proof: dict[str, str] = {}
    observed = _observe(
        record, environ, observed_ns, lock_bytes=young and not lock_gone, unproven=unproven, proof=proof
    )
    if lock_gone and observed is not None:
        recorded = [line for line in recorded if not line.startswith(_LOCK_LINES)]
        verdict = quick.compare(recorded, [line for line in observed[0] if not line.startswith(_LOCK_LINES)], dirs[0])
        return None if verdict is None else (os.path.join(project, "pylock.toml"), int(packages), record)
    verdict = None if observed is None else quick.compare(recorded, observed[0], dirs[0])
    if verdict is None or observed is None:
        return None
    observed = _with_proof(observed, proof)
    if (verdict or proof) and observed[1].settled_by(observed_ns):  # trust.json's stat moved: a stat check next time
        _remember(record, (observed[0], observed[1]), environ, int(packages), observed_ns, judged=None)
    elif young and observed[1].settled_by(observed_ns):
        # written young, settled now: this very observation (its stats settled before it began, pylock.toml's bytes
        # the recorded ones) is recorded without the lock's bytes; a later change of any input moves its stat
        settled = [line for line in observed[0] if not line.startswith(_LOCK_BYTES)]
        _write(record, settled, int(packages))
    return os.path.join(project, "pylock.toml"), int(packages), record


def _with_proof(observed: tuple[list[str], _Observation], proof: dict[str, str]) -> tuple[list[str], _Observation]:
    """The observation of a record whose `git describe` answer was unproven, with the proof found now (if any)."""
    if not proof:
        return observed
    lines = [f"{_GIT_STATE}{proof['digest']}" if line == f"{_GIT_STATE}-" else line for line in observed[0]]
    return lines, observed[1]


def _adopt_git_answer(recorded: list[str]) -> bool:
    """Hand the record's proven `git describe` answer to `infra.git_state`; True when the record has an unproven one.

    The record holds it only for describe inputs that had settled and did not move while git answered
    (`_observe`), so it is git's answer whenever they are equal again (also for the full path of this process:
    `services.project_version.git_describe` recalls it, where a fresh lock would start git before uv).
    """
    for index, line in enumerate(recorded[:-1]):
        if line.startswith(_GIT_STATE) and recorded[index + 1].startswith("git "):
            digest = line[len(_GIT_STATE) :]
            if digest == "-":
                return True
            from corral.infra import git_state

            git_state.adopt(digest, recorded[index + 1][4:])
    return False


def _record_path(cache: str, project: str) -> str:
    from corral.cli import quick

    return os.path.join(cache, RECORDS_FOLDER, os.path.basename(quick.record_path(cache, project)))


def _record(
    paths: CorralPaths, root: Path, env: Path, stamp: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> Record | None:
    """What the stamp's verdict reads for the project at `root`: the paths its own functions name."""
    from corral.cli import quick
    from corral.discovery.places import candidate_folders
    from corral.infra.journals import journal_path
    from corral.infra.markers import JOURNAL_KINDS
    from corral.services.lock_stamp import stamp_path, uv_config_files

    dirs = quick.corral_dirs(environ)
    if stamp is None or dirs is None or os.name == "nt":
        return None
    if dirs != (str(paths.data), str(paths.cache), str(paths.config)):
        return None  # where the two spellings of corral's folders differ, no record is written
    facts = [("stamp", str(stamp_path(paths, root)))]
    facts += [("journal", str(journal_path(paths, root, kind))) for kind in JOURNAL_KINDS]
    facts += [("config", path) for path in uv_config_files(environ)]
    facts.append(("env-cfg", str(env / "pyvenv.cfg")))  # the stamp follows a link here (quick.observe does not)
    if stamp.get("python"):
        facts.append(("python", str(stamp["python"])))
    facts += [("folder", str(folder)) for folder in candidate_folders(environ)]
    for where in stamp["local"]:
        path = where if os.path.isabs(where) else os.path.join(root, where)
        facts.append(("local", path))
        facts += [("local", os.path.join(path, name)) for name in ("pyproject.toml", "setup.py", "setup.cfg")]
    files = stamp.get("version_files")
    if files is not None:
        facts += [("version", os.path.join(root, name)) for name in files]
        described = stamp["inputs"].get("version")
        if not (isinstance(described, list) and len(described) == 2 and described[0] is None):  # noqa: PLR2004
            import shutil  # the version may come from git (else the stamp holds None: `lock_stamp.version_inputs`)

            git = shutil.which("git")
            if git is None:
                return None
            facts.append(("git", git))
    if any(not path.isprintable() or not os.path.isabs(path) for _, path in facts):
        return None
    return str(root), str(env), dirs, facts


def _observe(
    record: Record,
    environ: Mapping[str, str],
    observed_ns: int,
    *,
    lock_bytes: bool = False,
    unproven: bool = False,
    proof: dict[str, str] | None = None,
) -> tuple[list[str], _Observation] | None:
    """The observation lines, and when each kind of input settled (`quick.settle_margin`); None when git cannot say.

    `observed_ns`: the clock read before it. `lock_bytes`: also the SHA-256 of pylock.toml's bytes (a record written
    while it was young holds them). What `git describe` says comes with the digest of its inputs when they had
    settled by then and did not move while git answered (`infra.git_state`: then an equal digest is that answer,
    and git is not asked), else `-`; `unproven`: `-` whatever they are (the record's line), the digest, if any,
    put in `proof`.
    """
    from corral.cli import quick
    from corral.infra.credential_vars import is_credential

    project, env, dirs, facts = record
    seen = quick._observe(project, env, dirs, environ)  # noqa: SLF001 - the shared observation, with its settle times
    lines = seen.lines
    lines += [
        f"environ {k}={quick.secretless(v)}"
        for k, v in sorted(environ.items())
        if (k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES) and not is_credential(k)
    ]
    if lock_bytes:
        lines.append(f"{_LOCK_BYTES}{quick._file_digest(os.path.join(project, 'pylock.toml'))}")  # noqa: SLF001
    for kind, path in facts:
        if kind == "git":
            described = _described(path, project, environ, observed_ns)
            if described is None:
                return None
            if unproven and described[1] != "-" and proof is not None:
                proof["digest"] = described[1]
            lines += [f"{_GIT_STATE}{'-' if unproven else described[1]}", f"git {described[0]}"]
            continue
        try:
            st = os.lstat(path) if kind in _LSTAT else os.stat(path)
        except OSError as err:
            lines.append(f"{kind} !{err.errno} {path}")
            continue
        if not (kind == "local" and stat.S_ISDIR(st.st_mode)):
            # a local source tree counts by its metadata files (their own `local` facts) and by being a folder, which
            # the line's mode shows: its times (every lock written into the project moves them) need not settle
            label = f"fact-{kind}"
            settled = st.st_ctime_ns + quick.settle_margin(st.st_ctime_ns)
            seen.settled[label] = max(seen.settled.get(label, 0), settled)
        lines.append(
            f"{kind} {st.st_dev} {st.st_ino} {st.st_mode} {st.st_uid} {st.st_gid} {st.st_size} "
            f"{st.st_mtime_ns} {st.st_ctime_ns} {path}"
        )
        if kind == "stamp":  # what the verdict reads of it: its bytes
            lines.append(f"stamp-file-bytes {quick._file_digest(path)}")  # noqa: SLF001
    return lines, seen


def _described(git: str, project: str, environ: Mapping[str, str], observed_ns: int) -> tuple[str, str] | None:
    """(what git describe says, the digest of its settled inputs or `-`); None: git cannot say."""
    from corral.infra import git_state

    found = git_state.state(project, git, environ)
    known = None if found is None else git_state.recall(found, observed_ns)
    if known is not None and found is not None:
        return known, found.digest
    described = _git_describe(git, project, environ)
    if described is None:
        return None
    if found is not None and found.settled_ns <= observed_ns:
        after = git_state.state(project, git, environ)
        if after is not None and after.digest == found.digest:  # nothing moved while git answered
            git_state.remember(found, observed_ns, described)
            return described, found.digest
    return described, "-"


def _git_describe(git: str, project: str, environ: Mapping[str, str]) -> str | None:
    """What `services.project_version.git_describe` gets from git for `project` ("" outside git); None: unknown."""
    from corral.infra.git import git_environ, safe_options, spawn_output

    options = safe_options(git, project, environ)  # the repository's own filter drivers emptied
    if options is None:
        return None
    argv = [git, "--no-pager", *options, "-C", project]
    argv += ["describe", "--tags", "--long", "--always", "--dirty", "--abbrev=40"]
    ran = spawn_output(git, argv, git_environ(environ), limit=1 << 16)
    if ran is None:
        return None
    text = ran[1].decode("utf-8", "replace").strip()
    if not text.isprintable():
        return None
    return text if ran[0] == 0 else ""


def _remember(
    record: Record,
    before: tuple[list[str], _Observation],
    environ: Mapping[str, str],
    packages: int,
    observed_ns: int,
    *,
    judged: tuple[bytes, str | None] | None,
) -> None:
    """Write the record when nothing changed while the stamp was compared and every input had settled before it.

    `observed_ns`: the clock read right before `before` (`cli.quick.remember` says why not now). `judged`: the
    stamp file's bytes and pylock.toml's sha256 the verdict judged; when they are the observed ones, those two need
    not have settled (right after a lock they never have): the record holds their SHA-256 and the lock's is read
    on every answer until it is written again settled. Everything else must have settled.
    """
    from corral.cli import quick

    after = _observe(record, environ, observed_ns, lock_bytes=any(line.startswith(_LOCK_BYTES) for line in before[0]))
    if after is None or after[0] != before[0]:
        return
    lines, seen = after
    exempt: tuple[str, ...] = ()
    stamp_seen = judged is not None and f"stamp-file-bytes {quick._sha256_hex(judged[0])}" in lines  # noqa: SLF001
    if stamp_seen and judged is not None and judged[1] is not None and f"{_LOCK_BYTES}{judged[1]}" in lines:
        exempt = _JUDGED_LABELS
    if not seen.settled_by(observed_ns, exempt):
        return
    if seen.settled_by(observed_ns):
        lines = [line for line in lines if not line.startswith(_LOCK_BYTES)]  # settled: its stat tells
    _write(record, lines, packages)


def _write(record: Record, lines: list[str], packages: int) -> None:
    """The record file of observation `lines` (with this env's trust entries, read from the trust.json observed)."""
    from corral.cli import quick

    project, env, dirs, facts = record
    entry = quick.trust_entry(lines, dirs[0])  # trust.json as settled and observed: what the stamp read
    if entry is None:
        return
    head = [_HEADER, f"project {project}", f"env {env}", f"packages {packages}"]
    text = "\n".join([*head, *(f"fact {kind} {path}" for kind, path in facts), *lines, entry, "end"])
    if any(c in text for c in "\r\x00") or not env.isprintable():
        return
    quick.write_record(_record_path(dirs[1], project), text)
