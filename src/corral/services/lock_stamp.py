"""The lock stamp: what pylock.toml was last locked from, so `corral lock` with nothing changed returns at once.

`<cache>/lock-stamps/<hash of the project's real path>.json` (corral's cache, never the project) records the
sha256 of pyproject.toml and of the pylock.toml corral wrote (a hand-edited or damaged lock is another file),
every `.python-version` at or above the project, the user config file and uv's, the environment that chooses
indexes, uv's behaviour or the interpreter (CORRAL_*, UV_*, PIP_*, PYENV_*), the interpreter the lock was
resolved with (its file; the env's pyvenv.cfg's bytes and corral's trust in the env when it was the env's python,
else the folders discovery chooses one from), local packages the lock names, and, when a locked package depends
on the project and its version is dynamic, what that version is derived from (`git describe` and the version
files, services.project_version). Re-resolving with all of that unchanged keeps every pin, so it would write the
same bytes: `corral lock` says "unchanged" from this record alone (`--upgrade`/`--upgrade-package` always resolve).

pyproject.toml counts twice: by its bytes (a match needs no TOML parser), and by `view`, the digest of what of it
can change a lock (core.lock_view: no comment, layout, key order, description or linter's table). When only its
bytes differ, `unchanged` parses it once and compares the view; equal, the lock is unchanged and the stamp is
written again with the new bytes (corral's cache only), so the next `corral lock` matches by bytes.

Stdlib only, on purpose: `cli/lock_cmd.fast_path` decides with this module before packaging, tomlkit or the
settings machinery are imported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral import __version__
from corral.core.lock_fingerprint import LOCK_FILE
from corral.core.lock_view import VERSION_PLUGIN_PREFIXES
from corral.infra.credential_vars import is_credential
from corral.infra.fingerprint import digest, fingerprint
from corral.infra.uv_config import uv_config_files

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.infra.paths import CorralPaths

__all__ = [
    "env_made_from",
    "env_trusted",
    "parse_lock_stamp",
    "pyproject_view",
    "read_lock_stamp",
    "read_lock_stamp_bytes",
    "recorded_python",
    "stamp_inputs",
    "stamp_path",
    "unchanged",
    "uv_config_files",
    "version_inputs",
    "write_lock_stamp",
]

_SCHEMA = 2  # 2: the pyproject's lock view
# + what a dynamic version's build plugin reads (setuptools-scm, hatch-vcs: SETUPTOOLS_SCM_PRETEND_VERSION; pdm)
_ENV_PREFIXES = ("CORRAL_", "UV_", "PIP_", "PYENV_", *VERSION_PLUGIN_PREFIXES)
_ENV_NAMES = ("XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "HOME")
_NOT_INPUTS = ("CORRAL_FAULT", "CORRAL_FAULT_LOG")  # crash-test hooks (infra.faults): they change no lock
_PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_PROJECT = "the project's pyproject.toml"  # a local tree that is the project: its pyproject is the `pyproject` input
_COPY_LIMIT = 1 << 20  # a copied interpreter is a small launcher (2.7: 18 KB); a larger file is compared by stat


def stamp_path(paths: CorralPaths, root: Path) -> Path:
    """Where the stamp of the project at `root` lives (corral's cache; keyed by the project's real path)."""
    from corral.infra.journals import project_key  # stdlib only

    return paths.cache / "lock-stamps" / f"{project_key(root)}.json"


def _environ_key(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a lock depends on; a value with an `@` (credentials) by its digest (`sync.stamp.secretless`).

    A variable that holds a credential (`UV_INDEX_<NAME>_PASSWORD`: `infra.credential_vars`) is no input at all.
    """
    from corral.services.sync.stamp import secretless

    return {
        k: secretless(v)
        for k, v in sorted(environ.items())
        if (k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES) and k not in _NOT_INPUTS and not is_credential(k)
    }


def _candidates(environ: Mapping[str, str]) -> list[list[Any]] | None:
    """The folders discovery chooses an interpreter from, with their fingerprints (a new or replaced one may win).

    None on Windows (the registry is a source too): no shortcut there unless the env's python was used.
    """
    if os.name == "nt":
        return None
    from corral.discovery.places import candidate_folders  # stdlib only, no dataclasses

    return [[str(folder), fingerprint(folder)] for folder in candidate_folders(environ)]


def _local(root: Path, where: str) -> list[Any]:
    """A local package the lock names: an archive's file, or a source tree's metadata files (not its folder's mtime).

    The metadata files by their bytes: the project itself is one when a locked package depends on it (pluggy), and
    a `touch pyproject.toml`, an editor's save or a `git checkout` of the same text cost a resolution. The project's
    own pyproject.toml is the stamp's `pyproject` input already (by its bytes, then by its lock view): not again here,
    or a comment added to it would resolve again.
    """
    path = Path(where) if os.path.isabs(where) else root / where
    if not path.is_dir():
        return [where, fingerprint(path)]
    itself = os.path.realpath(path) == os.path.realpath(root)
    return [where, [_PROJECT if itself and n == "pyproject.toml" else digest(path / n) for n in _PACKAGE_FILES]]


def _interpreter(python: str, *, in_env: bool) -> list[int] | str | None:
    """The interpreter's stat (a link: its target's), or the bytes of a small copy the env holds.

    virtualenv copies python into a 2.7 env (and venv python.exe on Windows): every rebuild of the same env made a
    new file, and the next `corral lock` resolved again. A copy's bytes, with the env's pyvenv.cfg (its home and
    version), name the same program. A base interpreter (not the env's) is always compared by stat.
    """
    if in_env and not os.path.islink(python):
        copied = digest(python, limit=_COPY_LIMIT)
        if copied is not None:
            return copied
    return fingerprint(python)


def stamp_inputs(
    *,
    root: Path,
    pyproject: Path,
    lock_path: Path,
    env: Path,
    python: str | None,
    from_env: bool,
    version: list[Any] | None,
    local_paths: Sequence[str],
    user_config: Path,
    environ: Mapping[str, str],
    trusted: bool | None,
    lock_digest: str | None = None,
) -> dict[str, Any]:
    """Everything a re-lock would read, as comparable JSON data (the same code builds and checks a stamp).

    `lock_digest`: pylock.toml's sha256 as the caller read it (else read here).
    """
    from corral.services.sync.stamp import python_pins  # stdlib only

    return {
        "root": str(root),
        "pyproject": digest(pyproject),
        "lock": digest(lock_path) if lock_digest is None else lock_digest,
        "python_pins": python_pins(root),
        "config": [fingerprint(p) for p in (str(user_config), *uv_config_files(environ))],
        "environ": _environ_key(environ),
        # its bytes, not its stat: `rm -rf .venv && corral sync` rebuilds the same env (same interpreter, same
        # words), which must not cost the next `corral lock` a resolution; trust and the python's stat still count
        "env_cfg": digest(env / "pyvenv.cfg"),
        "python": [python, _interpreter(python, in_env=from_env) if python else None, from_env, trusted],
        "candidates": None if from_env else _candidates(environ),
        "version": version,
        "local": [_local(root, p) for p in local_paths],
    }


def write_lock_stamp(
    paths: CorralPaths,
    root: Path,
    *,
    inputs: dict[str, Any],
    python: str | None,
    from_env: bool,
    version_files: Sequence[str] | None,
    local_paths: Sequence[str],
    packages: int,
    view: str | None,
) -> None:
    """Record a lock's inputs (a failure only costs the next `corral lock` its shortcut).

    `view`: `pyproject_view` of the pyproject whose digest `inputs` holds (None: its bytes alone count).
    """
    stamp = {
        "schema": _SCHEMA,
        "corral": __version__,
        "inputs": inputs,
        "python": python,
        "from_env": from_env,
        "version_files": None if version_files is None else list(version_files),
        "local": list(local_paths),
        "packages": packages,
        "view": view,
    }
    _write(paths, root, stamp)


def _write(paths: CorralPaths, root: Path, stamp: Mapping[str, Any]) -> None:
    import contextlib
    import secrets

    target = stamp_path(paths, root)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    with contextlib.suppress(OSError):
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # the user's own private file, as every record in corral's cache (it names the project and its settings)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(stamp, sort_keys=True))
        os.replace(tmp, target)
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def read_lock_stamp(paths: CorralPaths, root: Path) -> dict[str, Any] | None:
    """The project's lock stamp, None when missing, unreadable or not of this corral (only a cache)."""
    data = read_lock_stamp_bytes(paths, root)
    return None if data is None else parse_lock_stamp(data)


def read_lock_stamp_bytes(paths: CorralPaths, root: Path) -> bytes | None:
    """The stamp file's bytes as `read_lock_stamp` reads them (never through a link); None: it cannot be read."""
    from corral.infra.safe_read import read_small  # stdlib only
    from corral.services.sync.stamp import STAMP_LIMIT

    path = stamp_path(paths, root)
    try:
        return read_small(path, limit=STAMP_LIMIT, what=path.name, follow=False)
    except OSError:
        return None


def parse_lock_stamp(data: bytes) -> dict[str, Any] | None:
    """`read_lock_stamp`'s answer for a stamp file holding `data`."""
    try:
        found = json.loads(data)
    except (ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(found, dict) or found.get("schema") != _SCHEMA or found.get("corral") != __version__:
        return None
    shaped = (
        isinstance(found.get("inputs"), dict)
        and isinstance(found.get("packages"), int)
        and isinstance(found.get("local"), list)
        and all(isinstance(p, str) for p in found["local"])
        and (found.get("python") is None or isinstance(found.get("python"), str))
        and (found.get("view") is None or isinstance(found.get("view"), str))
    )
    return found if shaped else None


def unchanged(
    paths: CorralPaths,
    *,
    pyproject: Path,
    env: Path,
    environ: Mapping[str, str],
    stamp_bytes: bytes | None = None,
    lock_digest: str | None = None,
) -> dict[str, Any] | None:
    """The stamp when pylock.toml is exactly what `corral lock` would write now, else None (lock the full way).

    A journal of unfinished work (a killed `add`) sends the command the full way, which finishes or undoes it.
    `stamp_bytes` / `lock_digest`: the stamp file's bytes and pylock.toml's sha256 as the caller read them
    (`read_lock_stamp_bytes`, `infra.fingerprint.digest`), judged instead of reading them again (`cli.lock_quick`
    records what it judged).
    """
    from corral.infra.journals import pending  # stdlib only

    root = pyproject.parent
    stamp = read_lock_stamp(paths, root) if stamp_bytes is None else parse_lock_stamp(stamp_bytes)
    if lock_digest is None:
        lock_digest = digest(root / LOCK_FILE)
    # another lock than the stamp's, or none (a fresh lock): told before any git describe or fingerprint
    if stamp is None or lock_digest is None or lock_digest != stamp["inputs"].get("lock") or pending(paths, root):
        return None
    python, from_env = stamp.get("python"), stamp.get("from_env") is True
    if not from_env and os.name == "nt":
        return None  # discovery reads the registry too, which no folder's mtime tells
    trusted = None
    if from_env:
        trusted = env_trusted(paths, env)
        if trusted is None:
            return None
    files = stamp.get("version_files")
    if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return None
    inputs = stamp_inputs(
        root=root,
        pyproject=pyproject,
        lock_path=root / LOCK_FILE,
        env=env,
        python=python,
        from_env=from_env,
        version=version_inputs(root, files, git=_asks_git(stamp["inputs"].get("version"))),
        local_paths=stamp["local"],
        user_config=paths.user_config_file,
        environ=environ,
        trusted=trusted,
        lock_digest=lock_digest,
    )
    if inputs != stamp["inputs"] and not from_env and isinstance(python, str) and env_made_from(paths, env, python):
        # `corral lock` chose the interpreter itself, then `corral sync` made the env from that very interpreter
        # (a link to it, or virtualenv's copy for 2.7): a lock now resolves with the env's python, which is the same
        # program, so the env's arrival changes nothing
        inputs["env_cfg"] = stamp["inputs"].get("env_cfg")
    if inputs != stamp["inputs"]:
        if not _same_view(stamp, inputs, pyproject):
            return None
        _write(paths, root, {**stamp, "inputs": inputs})  # matched by its bytes next time (corral's cache only)
    return stamp


# what chooses the interpreter a lock resolves with (`services.lock.python_choice`): every input but the lock's
# bytes, the version's and the local packages', which the choice never reads
_CHOICE_INPUTS = ("root", "pyproject", "python_pins", "config", "environ", "env_cfg", "python", "candidates")


def recorded_python(
    paths: CorralPaths, *, pyproject: Path, env: Path, environ: Mapping[str, str]
) -> tuple[str | None, bool] | None:
    """(the interpreter, from the env?) the last lock was resolved with, when everything that chose it is as then.

    The stamp's own premise (`unchanged`): with the same pyproject.toml bytes, `.python-version` files, settings
    files, environment, env (its pyvenv.cfg's bytes and corral's trust in it), interpreter file and discovery
    folders, choosing again gives the same interpreter; a fresh lock (pylock.toml removed) need not pay for the
    choice (discovery, packaging's specifiers) before uv starts. None: choose (no stamp, another corral's, any
    difference, a journal of unfinished work, Windows, whose registry no folder's stat tells).
    """
    from corral.infra.journals import pending  # stdlib only

    root = pyproject.parent
    stamp = read_lock_stamp(paths, root)
    if stamp is None or os.name == "nt" or pending(paths, root):
        return None
    python, from_env = stamp.get("python"), stamp.get("from_env") is True
    trusted = env_trusted(paths, env) if from_env else None
    if from_env and trusted is not True:
        return None
    inputs = stamp_inputs(
        root=root,
        pyproject=pyproject,
        lock_path=root / LOCK_FILE,
        env=env,
        python=python,
        from_env=from_env,
        version=None,
        local_paths=(),
        user_config=paths.user_config_file,
        environ=environ,
        trusted=trusted,
        lock_digest="",
    )
    recorded = stamp["inputs"]
    if any(key not in recorded or inputs[key] != recorded[key] for key in _CHOICE_INPUTS):
        return None
    return python, from_env


def _same_view(stamp: Mapping[str, Any], inputs: Mapping[str, Any], pyproject: Path) -> bool:
    """Only pyproject.toml's bytes differ from the stamp's inputs, and what of it a lock reads does not."""
    recorded = stamp["inputs"]
    if set(inputs) != set(recorded) or any(inputs[k] != recorded[k] for k in inputs if k != "pyproject"):
        return False
    view, now = stamp.get("view"), inputs["pyproject"]
    if view is None or now is None:
        return False
    reaches = stamp.get("version_files") is not None
    return bool(pyproject_view(pyproject, now, version_reaches_lock=reaches) == view)


def pyproject_view(pyproject: Path, expected: str, *, version_reaches_lock: bool) -> str | None:
    """`core.lock_view.view_digest` of the pyproject whose bytes have the sha256 `expected`; None: not those bytes.

    The bytes are read once: the ones parsed are the ones the stamp's digest names (an edit in between is None).
    None too when it cannot be read or is not UTF-8 TOML (the full path says what is wrong).
    """
    import hashlib

    from corral.core.lock_view import view_digest
    from corral.errors import ConfigError
    from corral.infra.safe_read import read_small
    from corral.infra.toml_file import PYPROJECT_LIMIT, decode_text, parse_toml

    try:
        data = read_small(pyproject, limit=PYPROJECT_LIMIT, what=pyproject.name)  # over it: the full path's error
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        return None
    try:
        parsed = parse_toml(decode_text(data, origin=str(pyproject)), origin=str(pyproject))
    except ConfigError:
        return None
    return view_digest(parsed, version_reaches_lock=version_reaches_lock)


def env_made_from(paths: CorralPaths, env: Path, python: str) -> bool:
    """The project's env is corral's own (its trust record) and its python is the interpreter `python` is.

    That is a link to it (venv, uv), or a copy of its file (virtualenv's 2.7 env) in an env made from its folder.
    """
    exe = env / "bin" / "python"
    if os.name == "nt":
        return False  # python.exe is venv's or uv's launcher, not the base's file: resolved once with the env's
    made = os.path.realpath(exe) == os.path.realpath(python) if exe.is_symlink() else _copied_from(env, exe, python)
    return made and env_trusted(paths, env) is True


def _copied_from(env: Path, exe: Path, python: str) -> bool:
    """`exe`, a file of the env, has the bytes of `python`'s file and pyvenv.cfg's `home` is that file's folder.

    virtualenv copies the interpreter into a 2.7 env; the copy runs the base installation `home` names (its stdlib,
    its libpython). Equal bytes alone could be another installation's launcher (a 2.7 launcher is 18 KB that links
    libpython), hence the folder too; the base's own file is still the stamp's `python` input, compared by stat.
    """
    from corral.infra.envfiles import read_env  # stdlib only

    real = os.path.realpath(python)
    try:
        home = read_env(env).home
    except OSError:
        return False
    folders = {os.path.dirname(real), os.path.realpath(os.path.dirname(python))}
    # pyvenv.cfg is the project's file (trust vouches for it only after this): a NUL would make realpath raise
    if not home or "\0" in home or not os.path.isabs(home) or os.path.realpath(home) not in folders:
        return False
    copied = digest(exe, limit=_COPY_LIMIT)
    return copied is not None and copied == digest(real, limit=_COPY_LIMIT)


def env_trusted(paths: CorralPaths, env: Path) -> bool | None:
    """True when corral's trust record vouches for the env (as the no-op sync asks); None when that cannot be told."""
    from corral.errors import CorralError
    from corral.services.trust import check_trust  # stdlib only

    try:
        return check_trust(paths, env).trusted
    except CorralError:
        return None


def version_inputs(root: Path, files: Sequence[str] | None, *, git: bool = True) -> list[Any] | None:
    """`git describe` and the version files' digests (services.project_version), when the version reaches the lock.

    `files` (relative to `root`) are those the full path found; pyproject.toml, which names them, is compared anyway.
    `git=False`: the version was found to come from files alone (`services.version_source`), so git is not asked
    (None in its place), as the full path recorded it.
    """
    if files is None:
        return None
    from corral.services.project_version import version_state  # stdlib only

    described, digests = version_state(root, [root / f for f in files], git=git)
    return [described, digests]


def _asks_git(recorded: object) -> bool:
    """Whether the stamp's version input holds `git describe` (else the full path found it no input, see below).

    The full path judged git no input from pyproject.toml's lock view and the bytes of the version files, every
    one of which this stamp compares too: while they are equal, so is that judgement.
    """
    return not (isinstance(recorded, list) and len(recorded) == 2 and recorded[0] is None)  # noqa: PLR2004
