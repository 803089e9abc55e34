"""Which envs the cd-hook may activate: those corral's own record says it made there, and those the user allowed.

Nothing inside a project or an env is evidence: a repository can ship a `.venv` holding any `corral-env.json`.
The only evidence is `trust.json` in corral's data folder (the user's, outside every project), keyed by the env's
real path. Each entry holds the env's identity as corral saw it:

    folder      [st_dev, st_ino] of the env folder
    pyvenv_cfg  [st_dev, st_ino, st_mtime_ns, st_ctime_ns] of its pyvenv.cfg (no process can set a ctime, so a
                folder put in the env's place never matches, even where the file system reuses inode numbers)

`created` entries are written by corral itself when it creates, rebuilds, upgrades or moves an env
(`record_created`, `keeping_trust`); `envs` entries by `corral allow` (`allow_env`). An entry whose identity no
longer matches is void.

Whatever the record says, an env is never activated (nor allowed) when its folder, its pyvenv.cfg or its `bin/`
(`Scripts`) belongs to another user than the one running corral, or when the folder or `bin/` can be written by
other users (world-writable, or group-writable for a group other than the user's own). There are no owners to
compare on Windows: only the record counts there.

Called by the cd-hook at a prompt: stdlib only, a handful of stat calls and one small JSON file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from corral.core.env import BIN_NAMES
from corral.errors import EnvError

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from corral.infra.paths import CorralPaths


__all__ = [
    "TRUST_FILE",
    "Trust",
    "allow_env",
    "check_trust",
    "keeping_trust",
    "record_created",
    "revoke_env",
    "tracked_in_env",
    "why_untrusted",
]

TRUST_FILE = "trust.json"
_VERSION = 2
_CREATED = "created"  # corral made the env there
_ALLOWED = "envs"  # the user ran `corral allow` (the key of version 1 files, kept)


class Trust:
    """Whether an env may be activated automatically, and why (or why not).

    `can_allow` is False when `corral allow` would be refused too (another user's env, or one others can write to).
    `recorded` is True when corral's record names the env's path at all (made or allowed, matching or not).
    A plain class, not a dataclass: the no-op `sync`/`run` fast paths ask too, and importing dataclasses costs ~5 ms.
    """

    __slots__ = ("can_allow", "reason", "recorded", "trusted")

    def __init__(self, *, trusted: bool, reason: str, can_allow: bool = True, recorded: bool = False) -> None:
        self.trusted = trusted
        self.reason = reason
        self.can_allow = can_allow
        self.recorded = recorded

    def __repr__(self) -> str:
        return (
            f"Trust(trusted={self.trusted!r}, reason={self.reason!r}, can_allow={self.can_allow!r}, "
            f"recorded={self.recorded!r})"
        )


def _identity(env: Path) -> tuple[str, dict[str, list[int]]]:
    real = os.path.realpath(env)
    try:
        folder = os.stat(real)
        cfg = os.lstat(Path(real) / "pyvenv.cfg")
    except OSError as err:
        msg = f"{env} is not an environment (cannot read its pyvenv.cfg: {err.strerror})"
        raise EnvError(msg) from err
    return real, {
        "folder": [folder.st_dev, folder.st_ino],
        "pyvenv_cfg": [cfg.st_dev, cfg.st_ino, cfg.st_mtime_ns, cfg.st_ctime_ns],
    }


def _writable_by_others(st: os.stat_result) -> bool:
    if st.st_mode & stat.S_IWOTH:
        return True
    return bool(st.st_mode & stat.S_IWGRP) and st.st_gid != os.getegid()


def _ownership_problem(real: str) -> str | None:
    """Why an env at `real` must never be activated whoever vouches for it (None: nothing wrong)."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # Windows: no owners to compare
        return None
    me = geteuid()
    root = Path(real)
    checks: list[tuple[str, Path, bool]] = [("folder", root, True), ("pyvenv.cfg", root / "pyvenv.cfg", False)]
    checks += [(f"{name}/ folder", root / name, True) for name in BIN_NAMES if os.path.lexists(root / name)]
    for what, path, is_dir in checks:
        try:
            st = os.stat(path) if is_dir else os.lstat(path)
        except OSError as err:
            return f"cannot read its {what} ({err.strerror})"
        if not is_dir and not stat.S_ISREG(st.st_mode):
            return "its pyvenv.cfg is not a regular file"
        if st.st_uid != me:
            return f"its {what} belongs to another user (uid {st.st_uid}; you are uid {me})"
        if is_dir and _writable_by_others(st):
            return (
                f"its {what} can be written by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
                f"fix with `chmod go-w {path}`"
            )
    return None


def _empty() -> dict[str, Any]:
    return {"version": _VERSION, _ALLOWED: {}, _CREATED: {}}


def _load(paths: CorralPaths) -> dict[str, Any]:
    """The store; empty when missing, damaged or not the user's own file."""
    try:
        with open(paths.data / TRUST_FILE, "rb") as handle:
            geteuid = getattr(os, "geteuid", None)
            if geteuid is not None and os.fstat(handle.fileno()).st_uid != geteuid():
                return _empty()
            data = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return _empty()
    if not isinstance(data, dict):
        return _empty()
    for key in (_ALLOWED, _CREATED):
        if not isinstance(data.get(key), dict):
            data[key] = {}
    data["version"] = _VERSION
    return data


@contextlib.contextmanager
def _store(paths: CorralPaths) -> Iterator[dict[str, Any]]:
    """Read, change and write the store under an exclusive lock (two corral commands may record at once)."""
    from corral.infra.fs import atomic_write_text
    from corral.infra.locks import file_lock

    with file_lock(paths.data / f"{TRUST_FILE}.lock"):
        data = _load(paths)
        yield data
        atomic_write_text(paths.data / TRUST_FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _gone(real: str) -> bool:
    """The env was removed (its parent folder is there, it is not); an unmounted drive's env is not gone."""
    return not os.path.lexists(real) and os.path.isdir(os.path.dirname(real))


def _now() -> str:
    """`datetime.now(timezone.utc).isoformat(timespec="seconds")`, without datetime (the rebuild replay's path)."""
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def check_trust(paths: CorralPaths | Callable[[], CorralPaths], env: Path) -> Trust:
    """Trusted when corral's record says it made the env there, or the user allowed it, and it is still that env.

    `paths` may be a callable: it is called only when the trust store must be read.
    """
    real, ident = _identity(env)
    problem = _ownership_problem(real)
    if problem is not None:
        return Trust(trusted=False, reason=problem, can_allow=False)
    data = _load(paths() if callable(paths) else paths)
    created, allowed = data[_CREATED].get(real), data[_ALLOWED].get(real)
    if _matches(created, ident):
        return Trust(trusted=True, reason="created here by corral", recorded=True)
    if _matches(allowed, ident):
        return Trust(trusted=True, reason="allowed by the user", recorded=True)
    if isinstance(allowed, dict) and "pyvenv_cfg" not in allowed:
        return Trust(
            trusted=False, reason="allowed by an older corral, which recorded too little to recognise it", recorded=True
        )
    if created is not None or allowed is not None:
        verb = "created here by corral" if created is not None else "allowed once"
        return Trust(
            trusted=False,
            reason=f"{verb}, but replaced or changed since (its pyvenv.cfg is not the same file any more)",
            recorded=True,
        )
    return Trust(
        trusted=False,
        reason="corral has no record of creating it here or of you allowing it "
        "(a corral-env.json inside an env proves nothing)",
    )


def why_untrusted(paths: CorralPaths | Callable[[], CorralPaths], env: Path) -> str | None:
    """Why `sync` and `run` must not use the project's env as it is (they rebuild it from the lock), else None.

    None when corral's record says it made the env there, or the user allowed it, and it is still that env.
    An env a repository ships (a `.venv` committed or unpacked with the project) is one corral has no record of:
    its programs are the repository's, whatever its corral-env.json or corral-sync.json say.
    """
    try:
        trust = check_trust(paths, env)
    except EnvError as err:
        return str(err)
    if trust.trusted or (trust.can_allow and not trust.recorded and _moved_here(paths, env)):
        tracked = tracked_in_env(env)  # what corral made there, git may have rewritten since
        if tracked is None:
            return None
        return (
            f"git tracks {tracked} inside it, so a checkout or a pull replaces its files with the repository's; "
            f"untrack the env with `git rm -r --cached {env.name}` (the files stay on disk)"
        )
    reason = trust.reason if trust.recorded or not trust.can_allow else "corral has no record of making it here"
    return f"{reason}; `corral allow` keeps an env you made yourself" if trust.can_allow else reason


def tracked_in_env(env: Path) -> str | None:
    """A file inside `env` that the enclosing git work tree tracks (a checkout or a pull rewrites it), or None.

    The env's `.gitignore` (`*`) does not stop git from writing a file a branch force-added, so corral's record
    that it made the env says nothing about such a file. Asked only when a `.git` is found above the env (a few
    stats); then one `git ls-files` with the repository's program-running settings overridden (`infra.git`: its
    `.git/config` is untrusted). No git, no work tree or any git failure means None. The index file is read
    without git when `infra.git_index.tracked_under` reads it in full (a plain version 2/3 index: no process);
    git is asked only otherwise.
    """
    import subprocess

    from corral.infra.git import git_command, git_environ
    from corral.infra.git_index import tracked_under

    # The env as named and where it really is: git does not follow a `.venv` link to the folder it tracks files in.
    for where in dict.fromkeys((env.absolute(), Path(os.path.realpath(env)))):
        repo = next((f for f in (where.parent, *where.parent.parents) if (f / ".git").exists()), None)
        if repo is None:
            continue
        listed = tracked_under(str(repo), where.relative_to(repo).as_posix())
        if listed is not None:  # the index's own answer; paths as `ls-files` run in the env's parent gives them
            if listed:
                return os.path.relpath(repo / listed[0], where.parent)
            continue
        argv = git_command(["--literal-pathspecs", "-C", str(where.parent), "ls-files", "-z", "--", where.name])
        if argv is None:
            return None
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, check=False, timeout=10, env=git_environ(os.environ)
            )
        except (OSError, subprocess.SubprocessError):
            continue
        first = done.stdout.split("\0", 1)[0] if done.returncode == 0 else ""
        if first:
            return first
    return None


def _moved_here(paths: CorralPaths | Callable[[], CorralPaths], env: Path) -> bool:
    """True when the record knows this very env (same folder and pyvenv.cfg identity) under the path it left.

    Only `why_untrusted` asks (the user moved the project: the env is still corral's, sync rebuilds it anyway);
    the cd-hook does not activate a moved env until `corral doctor --fix` records it where it is now.
    """
    try:
        _, ident = _identity(env)
    except EnvError:
        return False
    data = _load(paths() if callable(paths) else paths)
    return any(_matches(entry, ident) for kind in (_CREATED, _ALLOWED) for entry in data[kind].values())


def _matches(entry: object, ident: dict[str, list[int]]) -> bool:
    return isinstance(entry, dict) and all(entry.get(key) == value for key, value in ident.items())


def record_created(paths: CorralPaths, env: Path, *, warn: bool = True) -> bool:
    """Note in corral's own record that corral made `env` there, as it is now (call after the env is in place).

    Never fails the caller: a store that cannot be written only means the cd-hook will ask for `corral allow`
    (a logged warning unless `warn` is False, when the caller says so itself). True when recorded.
    """
    try:
        real, ident = _identity(env)
        with _store(paths) as data:
            created = data[_CREATED]
            for stale in [path for path in created if _gone(path)]:
                del created[stale]
            created[real] = {**ident, "created_at": _now()}
    except (OSError, EnvError):
        if warn:
            import logging

            logging.getLogger(__name__).warning(
                "could not record %s as made by corral in %s; the cd-hook will not activate it until you run "
                "`corral allow %s`",
                env,
                paths.data / TRUST_FILE,
                env,
            )
        return False
    return True


def _standing(paths: CorralPaths, env: Path, recorded_at: Path) -> str | None:
    """Which record (created or allowed) vouches for `env` as it is now, looked up under `recorded_at`'s path."""
    try:
        real, ident = _identity(env)
    except EnvError:
        return None
    if _ownership_problem(real) is not None:
        return None
    data = _load(paths)
    key = os.path.realpath(recorded_at)
    return next((kind for kind in (_CREATED, _ALLOWED) if _matches(data[kind].get(key), ident)), None)


@contextlib.contextmanager
def keeping_trust(paths: CorralPaths, env: Path, *, was_at: Path | None = None) -> Iterator[None]:
    """Renew, around corral's own change to an env, the record that vouched for it (created by corral, or allowed).

    The change: pyvenv.cfg rewritten in place, or the folder moved here from `was_at` by the user. The record is
    renewed for what the env is afterwards, even when the change fails and is rolled back.

    A moved env keeps its folder identity (same file system), so it is found under its old path; a copy is not.
    """
    kind = _standing(paths, env, was_at if was_at is not None else env)
    try:
        yield
    finally:
        if kind == _CREATED:
            record_created(paths, env)
        elif kind == _ALLOWED:
            with contextlib.suppress(OSError, EnvError):
                allow_env(paths, env)


def allow_env(paths: CorralPaths, env: Path) -> str:
    """Record `env` (as it is now) as allowed; returns its real path.

    Raises:
        EnvError: `env` is not an env, or it belongs to (or can be changed by) another user.

    """
    real, ident = _identity(env)
    problem = _ownership_problem(real)
    if problem is not None:
        msg = f"refusing to allow {env}: {problem}; the cd-hook never activates an env another user can change"
        raise EnvError(msg)
    with _store(paths) as data:
        data[_ALLOWED][real] = {**ident, "allowed_at": _now()}
    return real


def revoke_env(paths: CorralPaths, env: Path) -> bool:
    """Forget that `env` was allowed or made by corral (the cd-hook stops activating it); False when neither."""
    real = os.path.realpath(env)
    known = _load(paths)
    if real not in known[_ALLOWED] and real not in known[_CREATED]:
        return False
    with _store(paths) as data:
        dropped = [data[key].pop(real, None) for key in (_ALLOWED, _CREATED)]
    return any(entry is not None for entry in dropped)
