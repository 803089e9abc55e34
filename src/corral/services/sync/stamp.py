"""The sync stamp: what an env was last synced from, so an unchanged project syncs in a few milliseconds.

`<env>/corral-sync.json` records the env's own path (a moved or copied env names another), the lock file (size,
mtime_ns, sha256), pyproject.toml (size, mtime_ns), every `.python-version` at or above the project (which
Python the env must run), the selection, the engine, the index-related environment, the user config file and,
for each site-packages folder, its mtime_ns, the names of its distributions and the identity of the files directly
in it (a `.pth` runs at every start). A bare `pip install` or `pip uninstall` in the env changes those, so the
next sync acts. It also records the interpreter the env's python resolves to (its real path and identity: a base
upgraded in place to another X.Y, or removed, sends the command the full way, which rebuilds the env) and the env's
`bin/` (`Scripts`):
the folder's mtime and ctime and each entry's name and inode, so a program put there since (a `git
checkout` of a branch that force-added `.venv/bin/pip`) sends the command the full way, which asks whether git
tracks files inside the env (`services.trust.why_untrusted`) and rebuilds it from the lock if so.

Stdlib only, on purpose: `corral sync`/`corral run` decide "nothing to do" with this module alone, before
packaging, tomlkit or rich are imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

from corral import __version__
from corral.core.env import Env
from corral.infra.fingerprint import digest, fingerprint
from corral.services.sync import stamp_state
from corral.services.sync.stamp_state import STAMP_FILE, environ_key, secretless, selection_key

__all__ = [
    "STAMP_FILE",
    "STAMP_LIMIT",
    "clear_stamp",
    "environ_key",
    "git_index_state",
    "interpreter_state",
    "is_noop",
    "locate",
    "make_stamp",
    "parse_stamp",
    "python_pins",
    "read_stamp",
    "read_stamp_bytes",
    "secretless",
    "selection_key",
    "write_stamp",
]

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


_SCHEMA = stamp_state.SCHEMA
_ENV_PREFIXES = stamp_state.ENV_PREFIXES  # (cli.quick observes the same variables: a unit test keeps them equal)
_ENV_IGNORED = stamp_state.ENV_IGNORED
_ENV_NAMES = stamp_state.ENV_NAMES
_LOCK_LIMIT = 64 << 20  # as infra.toml_file reads pylock.toml
_PYPROJECT_LIMIT = 1 << 20  # infra.toml_file.PYPROJECT_LIMIT: a bigger one is the full path's error, never parsed
STAMP_LIMIT = 16 << 20  # as infra.json_file reads corral's records (cli.quick hashes the stamp up to it too)


def git_index_state(project_root: Path) -> list[object] | None:
    """[path, fingerprint] of the git index of the work tree around the project (None outside one)."""
    from corral.infra.git_index import git_index_path

    index = git_index_path(str(project_root))
    return None if index is None else [index, fingerprint(index)]


def python_pins(project_root: Path) -> list[list[object]]:
    """[path, size, mtime_ns, inode, ctime_ns] of every `.python-version` at or above `project_root`.

    The nearest one is the pin. Not size and mtime alone: an edit given its old mtime back keeps both.
    """
    found: list[list[object]] = []
    for folder in (project_root, *project_root.parents):
        candidate = folder / ".python-version"
        try:
            st = candidate.stat()
        except OSError:
            continue
        found.append([str(candidate), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns])
    return found


def interpreter_state(env: Path) -> list[object]:
    """[real path, inode, size, mtime_ns] of the interpreter the env's python resolves to now ([path, None]: gone).

    The base under a venv can change in place: `brew upgrade python` / a Debian release re-point `python3` to another
    X.Y (the env starts, every package invisible), or the installation is removed (a dangling link). `cli.quick`
    observes the same facts.
    """
    return stamp_state.interpreter_state(str(Env.at(env).python))


def _site_state(site: Path) -> dict[str, Any]:
    """`stamp_state.site_state` of `site`."""
    return stamp_state.site_state(str(site))


def _bin_state(env: Path) -> dict[str, Any]:
    """`stamp_state.bin_state` of the env's `bin/` (`Scripts`)."""
    return stamp_state.bin_state(str(Env.at(env).bin_dir))


def locate(start: Path) -> tuple[Path, Path] | None:
    """(pyproject.toml, env folder) of the project around `start`, found with the stdlib alone.

    The env is `.venv` unless pyproject.toml mentions `venv-dir`, in which case [tool.corral] is read; CORRAL_VENV_DIR
    (trusted) outranks it. A project's venv-dir that leaves the project is left to the full path, which refuses it.
    """
    from corral.infra.safe_read import read_small

    trusted = os.environ.get("CORRAL_VENV_DIR") or None
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        try:
            text = read_small(pyproject, limit=_PYPROJECT_LIMIT, what="pyproject.toml").decode("utf-8")
        except (FileNotFoundError, NotADirectoryError):
            continue
        except (OSError, ValueError):  # unreadable, a fifo, not UTF-8: the full path reports it
            return None
        if trusted is not None:
            return (pyproject, (folder / trusted).absolute()) if trusted.isprintable() else None
        rel = ".venv"
        if "venv-dir" in text:
            value = _venv_dir_setting(text)
            if not isinstance(value, str) or not value.isprintable():  # the full path rejects it with a message
                return None
            rel = value
            real, root = os.path.realpath(folder / rel), os.path.realpath(folder)
            if real == root or not real.startswith(root.rstrip(os.sep) + os.sep):
                return None
        return pyproject, (folder / rel).absolute()
    return None


def input_state(*, lock_path: Path, pyproject: Path | None, user_config: Path | None) -> dict[str, Any]:
    """The stamp's record of the sync's input files, taken before the sync reads them (`make_stamp(inputs=)`).

    Taken after the install, an edit made while uv ran (a checkout, an editor, another corral) was recorded as
    what the env matches: the next sync was a no-op over the packages of the old lock.
    """
    from corral.services.sync.lock_bytes import lock_digest  # read once per sync (its other readers find it kept)

    return {
        "lock": {"path": str(lock_path), "stat": fingerprint(lock_path), "sha256": lock_digest(lock_path)},
        "pyproject": {"path": str(pyproject), "stat": fingerprint(pyproject)} if pyproject else None,
        "python_pins": python_pins(pyproject.parent) if pyproject else [],
        "git_index": git_index_state(pyproject.parent) if pyproject else None,
        "user_config": {"path": str(user_config), "stat": fingerprint(user_config)} if user_config else None,
    }


def make_stamp(
    *,
    env: Path,
    lock_path: Path,
    pyproject: Path | None,
    selection_key: str,
    engine: str,
    lock_fresh: bool,
    user_config: Path | None,
    environ: Mapping[str, str],
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record the state of the env now and of its inputs as `inputs` saw them before the sync (default: now)."""
    if inputs is None:
        inputs = input_state(lock_path=lock_path, pyproject=pyproject, user_config=user_config)
    return {
        "schema": _SCHEMA,
        "corral": __version__,
        "env": str(env),
        **inputs,
        "lock_fresh": lock_fresh,
        "selection": selection_key,
        "engine": engine,
        "environ": environ_key(environ),
        "site": {str(p): _site_state(p) for p in Env.at(env).site_packages()},
        "bin": _bin_state(env),
        "interpreter": interpreter_state(env),
    }


def write_stamp(env: Path, stamp: dict[str, Any]) -> None:
    """Write the stamp atomically (a failure only costs the next sync its shortcut)."""
    from corral.infra.json_text import dumps

    stamp_state.write_stamp_text(str(env), dumps(stamp, sort_keys=True))


def clear_stamp(env: Path) -> None:
    """Forget the last sync (the env is about to change), but not its selection: `corral run` keeps that one.

    What is left, `{"selection": ...}`, proves nothing (no schema), so no fast path trusts it.
    """
    selection = (read_stamp(env) or {}).get("selection")
    with contextlib.suppress(OSError):
        (env / STAMP_FILE).unlink()
    if isinstance(selection, str):
        write_stamp(env, {"selection": selection})


def _maybe_partial_writes(root: Path) -> bool:
    """A name in `root` could be a killed writer's temporary (one listing; the exact test is infra.journals')."""
    from corral.infra.markers import maybe_partial_write

    try:
        return any(maybe_partial_write(n) for n in os.listdir(root))
    except OSError:
        return False


def is_noop(  # noqa: PLR0911, PLR0912, C901 - one early exit per input checked
    *,
    env: Path,
    lock_path: Path,
    pyproject: Path | None,
    selection_key: str | None,
    frozen: bool,
    environ: Mapping[str, str],
    engine: str | None = None,
    stamp_bytes: bytes | None = None,
    git_index: bool = True,
) -> bool:
    """True when the env was synced from exactly these inputs and nobody changed its packages since.

    `engine` is compared only when given (an explicit --engine); the installed set does not depend on it.
    `selection_key` None accepts the selection the stamp records (`corral run` without group/extra flags).
    `stamp_bytes`: the stamp as the caller read it (`read_stamp_bytes`), judged instead of reading it again.
    `git_index=False`: git's index is not compared (doctor, whose own record proves what it guards:
    `services.doctor_record`).
    """
    # A journal of unfinished work (in corral's state folder) is never pending behind a valid stamp: every
    # journaled change drops the stamp before its commit point (services.transaction, services.recreate).
    # A killed writer's temporary file in the project sends the command the slow way, which removes it.
    if pyproject is not None and _maybe_partial_writes(pyproject.parent):
        from corral.infra.journals import partial_writes

        if partial_writes(pyproject.parent):
            return False
    stamp = read_stamp(env) if stamp_bytes is None else parse_stamp(stamp_bytes)
    if stamp is None or stamp.get("schema") != _SCHEMA or stamp.get("corral") != __version__:
        return False
    lock = stamp.get("lock")
    if not isinstance(lock, dict) or not _stamp_shaped(stamp):
        return False  # a damaged or hand-made stamp counts as none: the full sync checks the env and rewrites it
    checks = (
        stamp.get("env") == str(env),
        selection_key is None or stamp.get("selection") == selection_key,
        frozen or stamp.get("lock_fresh") is True,
        engine is None or stamp.get("engine") == engine,
        lock.get("path") == str(lock_path),
        stamp.get("environ") == environ_key(environ),
    )
    if not all(checks):
        return False
    recorded = stamp.get("pyproject")
    if pyproject is None or not isinstance(recorded, dict):
        if (recorded is None) != (pyproject is None):
            return False
    elif recorded.get("path") != str(pyproject) or fingerprint(pyproject) != recorded.get("stat"):
        return False
    if git_index and stamp.get("git_index") != (git_index_state(pyproject.parent) if pyproject else None):
        return False  # a checkout, pull or reset: git may have written files into the env (services.trust)
    if stamp.get("python_pins") != (python_pins(pyproject.parent) if pyproject else []):
        return False  # a new pin: the env may have to be rebuilt on another Python (services.stale_env)
    config = stamp.get("user_config")
    if config and fingerprint(Path(config["path"])) != config.get("stat"):
        return False
    if fingerprint(lock_path) != lock.get("stat") and digest(lock_path) != lock.get("sha256"):
        return False
    if stamp.get("bin") != _bin_state(env):
        return False  # a program put in bin/ since (or changed): the full path asks whether git put it there
    if stamp.get("interpreter") != interpreter_state(env):
        return False  # the base Python changed under the env (upgraded to another X.Y, removed): services.stale_env
    return _site_unchanged(env, stamp.get("site") or {})


def _venv_dir_setting(text: str) -> object:
    """`[tool.corral] venv-dir` as written, ".venv" when unset; None when only the full path can tell."""
    if sys.version_info >= (3, 11):  # stdlib from 3.11; older Pythons take the full path
        import tomllib

        try:
            tool = tomllib.loads(text).get("tool", {}).get("corral", {})
        except (ValueError, AttributeError, RecursionError, MemoryError):  # the full path names the problem
            return None
        return tool.get("venv-dir", ".venv") if isinstance(tool, dict) else ".venv"
    return None


def read_stamp(env: Path) -> dict[str, Any] | None:
    """The env's sync stamp; None when it is missing, unreadable, not a file or not a JSON object (only a cache)."""
    data = read_stamp_bytes(env)
    return None if data is None else parse_stamp(data)


def read_stamp_bytes(env: Path) -> bytes | None:
    """The stamp's bytes as `read_stamp` reads them (never through a link); None when it cannot be read."""
    from corral.infra.safe_read import read_small

    try:  # corral writes it, never as a link
        return read_small(env / STAMP_FILE, limit=STAMP_LIMIT, what=STAMP_FILE, follow=False)
    except OSError:
        return None


def parse_stamp(data: bytes) -> dict[str, Any] | None:
    """`read_stamp`'s answer for a stamp holding `data`."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError, MemoryError):
        return None
    return value if isinstance(value, dict) else None


def _stamp_shaped(stamp: dict[str, Any]) -> bool:
    """Every field is of the type make_stamp writes (a stamp sits in the env, which a repository may ship)."""

    def path_record(value: object) -> bool:
        return value is None or (isinstance(value, dict) and isinstance(value.get("path"), str))

    site = stamp.get("site")
    return (
        path_record(stamp.get("pyproject"))
        and path_record(stamp.get("user_config"))
        and (site is None or (isinstance(site, dict) and all(isinstance(v, dict) for v in site.values())))
    )


def _site_unchanged(env: Path, recorded: dict[str, Any]) -> bool:
    dirs = Env.at(env).site_packages()
    if sorted(str(p) for p in dirs) != sorted(recorded):
        return False
    for site in dirs:
        before = recorded[str(site)]
        try:
            if site.stat().st_mtime_ns == before.get("mtime_ns"):
                continue
        except OSError:
            return False
        # The folder changed (a new __pycache__): the same distributions and the same files mean no change.
        now = _site_state(site)
        if now.get("dists") != before.get("dists") or now.get("files") != before.get("files"):
            return False
    return True
