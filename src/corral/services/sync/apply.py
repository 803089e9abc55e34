"""`corral sync`: make the project's env exactly the lock (install, change, remove), then stamp it.

The lock's packages are chosen for the env's own interpreter (`core.pylock_select`), compared with what
the env holds (`core.plan`), and handed to an installer engine as exact hash-checked files. Seed packages
of a seeded env and the project itself (installed editable when it declares a build system) are kept.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral import __version__
from corral.core.frozen import Frozen
from corral.core.lock_fingerprint import LOCK_FILE
from corral.core.selection import Selection
from corral.errors import EngineError, EnvError, InterpreterNotFound, LockError, NoSpace, UsageError
from corral.infra.faults import checkpoint
from corral.infra.markers import ENV_LOCK_SUFFIX
from corral.services.sync import stamp as sync_stamp

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan
    from corral.core.protocols import Installer
    from corral.core.pylock_select import Chosen
    from corral.services.context import Context
    from corral.services.project import Project

__all__ = [
    "LOCK_FILE",
    "SyncReport",
    "apply_lock",
    "last_selection",
    "pick_engine",
    "remember_fresh_lock",
    "stamp_env",
    "stamp_key",
    "sync",
]

Progress = Callable[[str, str], None]


class SyncReport(Frozen):
    """What a sync did; each change is (name, old version or None, new version or None)."""

    __slots__ = (
        "changed",
        "created_env",
        "engine",
        "env",
        "installed",
        "lock",
        "noop",
        "project_installed",
        "rebuilt",
        "removed",
        "unchanged",
    )
    env: Path
    lock: Path
    engine: str
    installed: list[tuple[str, str | None, str | None]]
    removed: list[tuple[str, str | None, str | None]]
    changed: list[tuple[str, str | None, str | None]]
    unchanged: int
    noop: bool
    created_env: bool
    project_installed: bool
    rebuilt: str | None  # why the env was rebuilt from the lock first (moved, copied, another Python asked)

    def __init__(
        self,
        *,
        env: Path,
        lock: Path,
        engine: str,
        installed: list[tuple[str, str | None, str | None]] | None = None,
        removed: list[tuple[str, str | None, str | None]] | None = None,
        changed: list[tuple[str, str | None, str | None]] | None = None,
        unchanged: int = 0,
        noop: bool = False,
        created_env: bool = False,
        project_installed: bool = False,
        rebuilt: str | None = None,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`); the lists default to new ones."""
        self._set(
            env=env,
            lock=lock,
            engine=engine,
            installed=[] if installed is None else installed,
            removed=[] if removed is None else removed,
            changed=[] if changed is None else changed,
            unchanged=unchanged,
            noop=noop,
            created_env=created_env,
            project_installed=project_installed,
            rebuilt=rebuilt,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""

        def rows(items: list[tuple[str, str | None, str | None]]) -> list[dict[str, str | None]]:
            return [{"name": n, "old": o, "new": v} for n, o, v in items]

        return {
            "env": str(self.env),
            "lock": str(self.lock),
            "engine": self.engine,
            "noop": self.noop,
            "created_env": self.created_env,
            "rebuilt": self.rebuilt,
            "project_installed": self.project_installed,
            "installed": rows(self.installed),
            "changed": rows(self.changed),
            "removed": rows(self.removed),
            "unchanged": self.unchanged,
        }


def stamp_key(selection: Selection) -> str:
    """The selection as the sync stamp records it."""
    return sync_stamp.selection_key(
        groups=selection.groups,
        extras=selection.extras,
        all_groups=selection.all_groups,
        no_dev=selection.no_dev,
        all_extras=selection.all_extras,
        only_groups=selection.only_groups,
    )


def last_selection(env: Path, lock_header: Mapping[str, Any]) -> Selection:
    """The groups/extras `env` was last synced with (its sync stamp), minus names the lock no longer offers.

    `corral run` syncs with it, so a run never takes away what `sync --group`/`--extra` installed. Without a
    stamp (an env never synced, or one a failed sync left) it is the lock's default groups.
    """
    from corral.core.selection import LockChoices
    from corral.doctor.drift import selection_from_key

    key = (sync_stamp.read_stamp(env) or {}).get("selection")
    last = selection_from_key(key if isinstance(key, str) else None, Selection)
    assert isinstance(last, Selection)  # noqa: S101 - selection_from_key builds the type it is given
    offered = LockChoices.from_lock(lock_header)
    groups = None if last.groups is None else tuple(g for g in last.groups if g in offered.all_groups)
    return last.replace(
        groups=groups if groups or last.only_groups else None,
        extras=tuple(e for e in last.extras if e in offered.extras),
    )


def _noop_progress(stage: str, detail: str) -> None:
    """Progress sink used when the caller gives none."""


def pick_engine(ctx: Context, requested: str | None, env: Path, interpreter: InterpreterInfo | None) -> Installer:
    """`--engine` (or `requested`), else the `engine` setting; the setting's yields to the next that can serve.

    The engine asked for on the command line is used or refused, never replaced; the next is `plugins.ENGINES`'.
    """
    from corral.plugins import engine_fallbacks, load_engine

    chosen = ctx.settings.get("engine", requested or None)
    name = str(chosen.value)
    engine = load_engine(name)
    reason = engine.cannot_install(env, interpreter)
    if reason is None:
        return engine
    if chosen.source == "command line":
        msg = f"--engine {name} cannot serve {env}: {reason}"
        raise UsageError(msg)
    for other in engine_fallbacks(name):
        fallback = load_engine(other)
        if fallback.cannot_install(env, interpreter) is None:
            return fallback
    msg = f"no installer engine can serve {env}: {reason}"
    raise EnvError(msg)


def _target(ctx: Context, env: Path, made_from: InterpreterInfo | None = None) -> tuple[Path, InterpreterInfo]:
    """The env's python and what it is; never started when it is a program the project ships (`exec_guard`).

    `made_from`: the interpreter this very process just made the env from. Its python is that program, so what
    choosing, planning and seeding ask of it (version, tags, marker values) is `made_from`'s, and the probe of a
    path never probed before (a new project's first env, a fresh cache: a Python start, 30-70 ms) is not run.
    """
    from corral.core.env import Env
    from corral.services.exec_guard import env_refusal

    python = Env.at(env).python
    refusal = env_refusal(ctx, env)
    if refusal is not None:
        msg = f"not starting the python of {env}: {refusal}; rebuild the env from the lock with `corral recreate`"
        raise EnvError(msg)
    if made_from is not None:
        return python, made_from
    try:
        return python, ctx.finder.from_path(python)
    except InterpreterNotFound as err:
        msg = f"the env at {env} has no working interpreter ({err}); rebuild it with `corral recreate`"
        raise EnvError(msg) from err


def _where(chosen: Chosen) -> str:
    """`@ /path` for a lock entry without a version (a folder), as `corral lock` shows one."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(chosen.url)
    return f"@ {unquote(parts.path) if parts.scheme == 'file' else chosen.url}"


def _seeded(env: Path, installed: dict[str, str]) -> bool:
    """Whether `env` is a seeded env: its record says so, else (no record) it holds pip."""
    from corral.services.inspection import read_provenance

    record = read_provenance(env)
    return bool(record.options.get("seed", True)) if record else any(n.lower() == "pip" for n in installed)


def _keep(env: Path, seeded: bool, project_name: str | None) -> set[str]:
    from corral.core.env import Env
    from corral.services.inspection import seed_closure

    keep = {project_name} if project_name else set()
    if seeded:  # pip, setuptools, wheel and what they need (wheel needs packaging): never "not in the lock"
        keep |= seed_closure(Env.at(env).site_packages())
    return keep


def _missing_seed(
    seeded: bool, installed: dict[str, str], chosen: list[Chosen], target: InterpreterInfo
) -> tuple[str, ...]:
    """The seed packages a seeded env lacks because its creation left them to this sync (`create_env(defer_seed=)`).

    Also what a sync killed before it installed them left out. The lock's own version of one wins (not added).
    """
    if not seeded:
        return ()
    from corral.core.names import normalize_name as normalize
    from corral.services.seed import seed_by_installer

    have = {normalize(n) for n in installed} | {normalize(c.name) for c in chosen}
    return tuple(n for n in seed_by_installer(target) if normalize(n) not in have)


def _declares_build_system(root: Path, data: Mapping[str, Any] | None = None) -> tuple[bool, str | None]:
    """Whether the project at `root` declares a build system, and its name; `data`: its pyproject as already read."""
    if data is None:
        from corral.infra.toml_file import read_toml

        data = read_toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else {}
    table = data.get("project")
    project: dict[str, Any] = table if isinstance(table, dict) else {}
    name = project.get("name") if isinstance(project.get("name"), str) else None
    return isinstance(data.get("build-system"), dict), name


def apply_lock(
    ctx: Context,
    env_path: Path,
    lock_path: Path,
    *,
    selection: Selection | None = None,
    engine: str | None = None,
    offline: bool = False,
    install_project: bool = True,
    project_root: Path | None = None,
    project_data: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    made_from: InterpreterInfo | None = None,
) -> SyncReport:
    """Make the env at `env_path` exactly what `lock_path` selects for its interpreter.

    `project_data`: the pyproject.toml of `project_root` as the caller read it (else it is read here).
    `made_from`: the interpreter the caller just made the env from (`create_env`): its facts stand for the env's
    python (`_target`).

    Raises:
        UsageError: unknown group/extra, or an engine that cannot serve the env.
        LockError: unusable lock (invalid, wrong Python, no file for this platform).
        EngineError: the engine failed; the message names the failing requirement.

    """
    from corral.core.env import Env
    from corral.core.names import normalize_name as normalize
    from corral.core.plan import SyncPlan
    from corral.services.inspection import installed_distributions

    say = progress or _noop_progress
    env = env_path.absolute()
    if not lock_path.is_file():
        msg = f"no lock file at {lock_path}; run `corral lock` to create it"
        raise LockError(msg)
    python, target = _target(ctx, env, made_from)
    root = project_root or (ctx.project.root if ctx.project else None)
    is_package, project_name = _declares_build_system(root, project_data) if root else (False, None)
    # the name users know, not that of the candidate a transaction checks before it replaces pylock.toml
    say(
        "selecting",
        f"{'pylock.toml' if lock_path.name.startswith('.') else lock_path.name} for Python {target.version}",
    )
    chosen = _choose(ctx, lock_path, target, selection or Selection())
    if root is not None:  # the lock lists the project itself when a locked package needs it: installed below
        chosen = [c for c in chosen if not (c.kind == "directory" and c.url == root.resolve().as_uri())]
    from corral.infra import headstart

    # the env this sync just laid out holds nothing yet but what the head start's uv is installing (`_install`)
    installed = {} if headstart.pending_install(env) else installed_distributions(Env.at(env).site_packages())
    seeded = _seeded(env, installed)
    from corral.services.inspection import moved_folders

    moved = moved_folders(Env.at(env).site_packages(), chosen, installed)
    plan = SyncPlan.diff(chosen, installed, keep=_keep(env, seeded, project_name), reinstall=moved)
    seed = _missing_seed(seeded, installed, chosen, target)
    installer = pick_engine(ctx, engine, env, target)
    if installer.name != "uv":  # the head start's uv command is engines.uv's, compared in its first call
        headstart.mismatch(env)
    do_project = (
        install_project
        and is_package
        and root is not None
        and project_name is not None
        and normalize(project_name) not in {normalize(n) for n in installed}
    )
    if not plan.empty or do_project or seed:
        sync_stamp.clear_stamp(env)
        from corral.services.cache_auto import prune_if_due

        prune_if_due(ctx.paths.cache)  # at most once a day, detached, 10 s on: this sync installs anyway
    _install(
        ctx,
        installer,
        (env, python),
        plan,
        seed=seed,
        editable=(root, project_name) if do_project and root is not None and project_name else None,
        note=f"{project_name} (editable, from {root})",
        target=target,
        offline=offline,
        say=say,
    )
    return _report(env, lock_path, installer.name, plan, project_installed=do_project)


def _install(
    ctx: Context,
    installer: Installer,
    where: tuple[Path, Path],
    plan: SyncPlan,
    *,
    seed: tuple[str, ...],
    editable: tuple[Path, str] | None,
    note: str,
    target: InterpreterInfo,
    offline: bool,
    say: Progress,
) -> None:
    """Install the plan, the missing seed and the project (`editable`: its root and name) into `where` (env, python).

    One installer process when the engine can (`apply_with`), else each part apart; the seed goes first then,
    since the pip engine installs with the env's own pip.
    """
    env, python = where
    environ = _engine_environ(ctx)
    together = getattr(installer, "apply_with", None)
    if together is not None and (seed or editable is not None or plan.to_install):  # engines.uv: one `uv pip install`
        pending = [note] if editable is not None else []

        def said(stage: str, detail: str) -> None:  # the project's line after the packages', as apart
            say(stage, detail)
            if stage == "installing" and pending:
                say("installing", pending.pop())

        if pending and not plan.to_install:
            said("installing", pending.pop())
        served = _served_marker(ctx, plan, editable and editable[0], environ)
        installer_seeded = _served_install(
            served,
            lambda cache_first: together(
                python,
                plan,
                seed=seed,
                editable=editable and editable[0],
                editable_name=editable and editable[1],
                offline=offline,
                progress=said,
                environ=environ,
                cache_first=cache_first,
            ),
        )
    else:
        installer_seeded = False
        if seed:
            _install_seed(ctx, env, seed, environ=environ, offline=offline)
            installer_seeded = True
        if not plan.empty:
            installer.apply(python, plan, offline=offline, progress=say, environ=environ)
        if editable is not None:
            say("installing", note)
            installer.install_editable(python, editable[0], environ=environ, offline=offline)
    if seed and not installer_seeded:
        _install_seed(ctx, env, seed, environ=environ, offline=offline)
    if "pip" in seed:
        _freshen(ctx, env, target, environ)


def _served_marker(ctx: Context, plan: SyncPlan, editable: Path | None, environ: Mapping[str, str]) -> Path | None:
    """Where corral notes that this set of files (and project) went through uv's cache here before.

    Such a set is tried from the cache first (offline, no index round trips); a set never installed here goes to
    the index at once: on an empty cache the offline try builds the project's editable install only to fail on a
    missing file, and the project is built a second time online. A wrong guess costs one try, never correctness.
    """
    import hashlib

    files = sorted(f"{c.name}=={c.version}#{c.sha256}" for c in plan.to_install)
    if not files and editable is None:
        return None
    key = "\n".join([*files, str(editable), environ.get("UV_CACHE_DIR", ""), ctx.environ.get("XDG_CACHE_HOME", "")])
    return ctx.paths.cache / "served-installs" / hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _mark_served(marker: Path | None) -> bool:
    """Whether the set went through uv's cache here before; notes that it does now.

    Noted before the install, so an interrupted one is tried from the cache next time, where its downloaded files
    are. An empty file; a failure only costs the next sync its offline-first try.
    """
    if marker is None:
        return True
    seen = marker.exists()
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return seen


def _served_install(marker: Path | None, install: Callable[[bool], bool]) -> bool:
    """`install(cache_first)`, cache first when `marker` says so; a set whose install failed goes online first next.

    A build backend that failed offline is not run again online in the same sync (engines.uv); the next sync's
    first try then resolves its build requirements from the index, not from what uv's cache last held.
    """
    try:
        return install(_mark_served(marker))
    except EngineError:
        if marker is not None:
            with contextlib.suppress(OSError):
                marker.unlink()
        raise


def _install_seed(
    ctx: Context, env: Path, names: tuple[str, ...], *, environ: Mapping[str, str], offline: bool
) -> None:
    from corral.services.seed import install_seed

    index_url, extra = _indexes(ctx)
    install_seed(env, names, environ=environ, index_url=index_url, extra_index_urls=extra, offline=offline)


def _freshen(ctx: Context, env: Path, target: InterpreterInfo, environ: Mapping[str, str]) -> None:
    """The seeded pip brought to the newest doctor expects, as `create_env` does for the creator's seed."""
    from corral.services.seed import freshen_pip

    index_url, extra = _indexes(ctx)
    freshen_pip(env, target, environ=environ, index_url=index_url, extra_index_urls=extra)


def _engine_environ(ctx: Context) -> dict[str, str]:
    """The installer's environment, with corral's index settings where the engine looks for credentials.

    The lock holds its indexes without credentials; the engine finds their spelling with them where the user gave
    it: uv's and pip's variables, and corral's settings, set here when one holds any (the user config file's too).
    """
    from corral.infra.environ import engine_environ

    environ = engine_environ(ctx.environ)
    index_url, extra = _indexes(ctx)
    if index_url and "@" in index_url:
        environ["CORRAL_INDEX_URL"] = index_url
    if any("@" in url for url in extra):
        environ["CORRAL_EXTRA_INDEX_URLS"] = " ".join(extra)
    project = ctx.project
    if project is not None:  # the project's own [tool.uv] indexes: named (their credentials) or with credentials
        from corral.core.uv_indexes import index_spellings

        spelled = index_spellings(project.data)
        if spelled:
            environ["CORRAL_PROJECT_INDEXES"] = " ".join(spelled)
    return environ


def _indexes(ctx: Context) -> tuple[str | None, tuple[str, ...]]:
    """The `index-url` and `extra-index-urls` settings (where seeding asks for pip)."""
    settings = ctx.settings
    return settings.value("index-url"), tuple(settings.value("extra-index-urls"))


def _choose(ctx: Context, lock_path: Path, target: InterpreterInfo, selection: Selection) -> list[Chosen]:
    from corral.services.sync.selection_cache import choose

    return choose(
        lock_path,
        target=target,
        selection=selection,
        selection_key=stamp_key(selection),
        cache_dir=ctx.paths.cache / "lock-choices",
    )


def _report(env: Path, lock: Path, engine: str, plan: SyncPlan, *, project_installed: bool) -> SyncReport:
    return SyncReport(
        env=env,
        lock=lock,
        engine=engine,
        installed=[(c.name, None, c.version) for c in plan.install],
        changed=[(name, old, c.version or _where(c)) for name, old, c in plan.change],
        removed=[(name, version, None) for name, version in plan.remove],
        unchanged=len(plan.unchanged),
        noop=plan.empty and not project_installed,
        project_installed=project_installed,
    )


def _ensure_lock(ctx: Context, project: Project, *, frozen: bool, locked: bool, progress: Progress) -> Path:
    default = project.root / LOCK_FILE
    if frozen:
        if not default.is_file():
            if default.exists():  # there but no regular file (a fifo, a folder): say what it is
                from corral.infra.safe_read import read_small

                read_small(default, limit=0, what=LOCK_FILE)  # stats first, never opens it: raises, naming the kind
            msg = f"--frozen needs {default}, which does not exist; run `corral lock` first"
            raise LockError(msg)
        return default
    if _declares_environments(project.data):  # before the memo: a fresh lock holds nothing for a Python left out
        from corral.services.lock import refuse_undeclared_environment

        refuse_undeclared_environment(ctx, project.data, str(project.pyproject))
    memo = _fresh_memo(ctx, project.pyproject, default)
    if memo is not None and memo.is_file():
        return default  # this exact pyproject/lock/settings triple was found fresh before
    from corral.services import lock as lock_service

    if default.is_file() and not locked and not lock_service.is_fresh(project, default, ctx=ctx):
        lock_service.refuse_damaged_lock(default)  # said before the note, which would blame pyproject.toml
        progress("updating", "pylock.toml: pyproject.toml changed since it was written")
    elif not os.path.lexists(default) and not locked:  # a fifo or a folder there: the lock step says what it is
        progress("locking", "the project: there is no pylock.toml yet")
    notes = lambda kind, text: progress(f"{kind}:", text)  # noqa: E731 - sync's lines say `stage detail`
    path = Path(lock_service.ensure_lock(ctx, frozen=False, locked=locked, progress=notes))
    remember_fresh_lock(ctx, project.pyproject, path)
    return path


def _declares_environments(data: Mapping[str, Any]) -> bool:
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return isinstance(uv, dict) and bool(uv.get("environments"))


def remember_fresh_lock(ctx: Context, pyproject: Path, lock_path: Path) -> bool:
    """Note that `lock_path` is fresh for `pyproject` as it is now, so the next sync skips the lock side's check.

    For the lock side, right after it wrote or kept the lock (`corral lock`, a sync's own lock step): the next
    `corral sync` then finds the memo (`_fresh_memo`) instead of importing the resolver side (packaging's markers
    and specifiers, ~50 ms) only to compare the same inputs-hash. The memo names the pyproject's bytes it read
    here, and is written only when the inputs-hash of exactly those bytes is the one the lock stores, so an edit
    made after the lock read the pyproject is never remembered as fresh. Whether the memo was written.
    """
    found = _fresh_memo_parts(ctx, pyproject, lock_path)
    if found is None:
        return False
    memo, body, stored = found
    from corral.errors import CorralError
    from corral.infra.toml_file import decode_text, parse_toml
    from corral.services.lock import lock_inputs_hash  # the caller's own module: already imported

    try:
        data = parse_toml(decode_text(body, origin=str(pyproject)), origin=str(pyproject))
        if lock_inputs_hash(ctx, data) != stored:
            return False
    except CorralError:  # only a cache: the next sync asks the lock side
        return False
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.touch()
    except OSError:
        return False
    return True


def _fresh_memo(ctx: Context, pyproject: Path, lock_path: Path) -> Path | None:
    """A cache file whose existence says "the lock side found this lock fresh for these exact inputs".

    Keyed by the pyproject's bytes, the lock's inputs-hash, the index/corral environment and the user config
    file: everything the lock side's freshness check reads. It spares a sync the import of the resolver side.
    """
    found = _fresh_memo_parts(ctx, pyproject, lock_path)
    return None if found is None else found[0]


def _fresh_memo_parts(ctx: Context, pyproject: Path, lock_path: Path) -> tuple[Path, bytes, str] | None:
    """(`_fresh_memo`'s path, the pyproject's bytes it names, the lock's inputs-hash), or None (no memo)."""
    import hashlib
    import json

    from corral.core.lock_fingerprint import stored_inputs_hash
    from corral.infra.fingerprint import fingerprint
    from corral.infra.toml_file import read_bytes
    from corral.services.sync.lock_bytes import lock_text

    try:
        text, body = lock_text(lock_path), read_bytes(pyproject)
    except UsageError:  # unreadable, not a file, not UTF-8: no memo (the lock side names the problem)
        return None
    stored = stored_inputs_hash(text)
    if stored is None:
        return None
    if "\nenvironments = " in text:  # services.legacy's own first test: imported only for a lock that may be one
        from corral.services.legacy import environment_specific

        if environment_specific(lock_path):  # a 2.7 lock holds for one interpreter, which these inputs do not name
            return None
    config = ctx.paths.user_config_file
    blob = json.dumps(
        {
            "pyproject": hashlib.sha256(body).hexdigest(),
            "inputs": stored,
            "root": str(pyproject),
            "environ": sync_stamp.environ_key(ctx.environ),
            "config": fingerprint(config),
            "corral": __version__,
        },
        sort_keys=True,
    )
    return ctx.paths.cache / "fresh-locks" / hashlib.sha256(blob.encode()).hexdigest()[:32], body, stored


@contextlib.contextmanager
def env_lock(env: Path, progress: Progress) -> Iterator[None]:
    """Hold a lock on `env` so two syncs never change one env at once.

    The lock file sits in corral's cache (keyed by the env's path, `infra.locks`), so a sync that fails writes
    nothing into the env.
    """
    import hashlib

    from corral.infra.locks import file_lock
    from corral.infra.paths import CorralPaths

    folder = CorralPaths.from_environment().cache / "env-locks"
    lock_file = folder / (hashlib.sha256(str(env.absolute()).encode()).hexdigest()[:24] + ENV_LOCK_SUFFIX)
    from corral.infra.headstart import take_lock

    held = take_lock(lock_file)  # this process's head start took it (`cli.headstart`): a second flock would wait
    if held is not None:
        import os

        try:
            yield
        finally:
            os.close(held)  # releases the lock
        return
    with file_lock(lock_file, on_wait=lambda: progress("waiting", f"another corral command is changing {env}")):
        yield


def sync(
    ctx: Context,
    *,
    selection: Selection | None = None,
    frozen: bool = False,
    locked: bool = False,
    offline: bool = False,
    engine: str | None = None,
    env_path: Path | None = None,
    progress: Progress | None = None,
    keep_last: bool = False,
) -> SyncReport:
    """Lock if needed (unless frozen/locked), create the env if missing, apply the lock, stamp the env.

    `selection` None means the lock's default groups, or with `keep_last` the env's last selection
    (`last_selection`; what `corral run` asks for).
    """
    if frozen and locked:
        msg = "--frozen and --locked exclude each other: --frozen uses the lock as is, --locked checks it"
        raise UsageError(msg)
    from corral.services.transaction import project_lock

    root = (ctx.project or ctx.require_project()).root  # the settings' project: read once (loaded again under the lock)
    with project_lock(root):  # serialized with add/remove/recreate; recovers a killed one first
        return _sync(
            ctx,
            selection=selection,
            frozen=frozen,
            locked=locked,
            offline=offline,
            engine=engine,
            env_path=env_path,
            progress=progress,
            keep_last=keep_last,
        )


def stamp_env(
    ctx: Context,
    env: Path,
    lock_path: Path,
    *,
    selection: Selection,
    engine: str,
    lock_fresh: bool,
    project: Project | None = None,
    inputs: dict[str, Any] | None = None,
) -> None:
    """Record that `env` now matches `lock_path` for `selection`, so the next no-op sync/run returns at once.

    `project`: the project as the caller loaded it under the project lock (default: loaded again); `inputs`: the
    input files as `sync_stamp.input_state` saw them before the sync read them (default: now).
    """
    stamp = sync_stamp.make_stamp(
        inputs=inputs,
        env=env,
        lock_path=lock_path,
        pyproject=(project or ctx.require_project()).pyproject,
        selection_key=stamp_key(selection),
        engine=engine,
        lock_fresh=lock_fresh,
        user_config=ctx.paths.user_config_file,
        environ=ctx.environ,
    )
    sync_stamp.write_stamp(env, stamp)


def _sync(ctx: Context, **options: Any) -> SyncReport:  # noqa: ANN401 - `_sync_once`'s
    """`_sync_once`; when the head start's uv command was not this sync's, its env is removed and built again."""
    from corral.infra import headstart

    try:
        return _sync_once(ctx, **options)
    except headstart.Mismatch as mismatch:
        _drop_new_env(ctx, Path(mismatch.args[0]))  # laid out by this process a moment ago, where nothing was
        return _sync_once(ctx, **options)


def _sync_once(
    ctx: Context,
    *,
    selection: Selection | None,
    frozen: bool,
    locked: bool,
    offline: bool,
    engine: str | None,
    env_path: Path | None,
    progress: Progress | None,
    keep_last: bool,
) -> SyncReport:
    from corral.infra import headstart

    say = progress or _noop_progress
    project = ctx.require_project()
    env = (ctx.cwd / env_path).absolute() if env_path else project.env_path
    lock_path = _ensure_lock(ctx, project, frozen=frozen, locked=locked, progress=say)
    # before anything reads them: an edit while uv runs must not be recorded as what the env matches
    inputs = sync_stamp.input_state(
        lock_path=lock_path, pyproject=project.pyproject, user_config=ctx.paths.user_config_file
    )
    from corral.services.sync.selection_cache import lock_header

    header = lock_header(lock_path)
    chosen = selection or (last_selection(env, header) if keep_last else Selection())
    chosen.validate(header)  # bad group/extra names fail before an env is made
    created = False
    made_from = None
    from corral.services.inspection import is_environment

    if headstart.live_env(env) or not is_environment(env):  # the head start's env is this sync's to create
        from corral.services.create import create_env
        from corral.services.sync.selection_cache import check_once

        check_once(lock_path, ctx.paths.cache / "lock-checked")  # a lock corral would refuse fails before the env
        say("creating", f"environment {env}")
        made = create_env(ctx, env, defer_seed=_installs_seed(ctx, engine))  # pip with the lock's files (apply_lock)
        created, made_from = True, made.interpreter
    rebuilt = (
        _rebuild_if_stale(ctx, env, offline=offline, engine=engine, say=say)
        if not created and env == project.env_path
        else None
    )
    with env_lock(env, say):
        try:
            report = apply_lock(
                ctx,
                env,
                lock_path,
                selection=chosen,
                engine=engine,
                offline=offline,
                project_root=project.root,
                project_data=project.data,
                progress=say,
                made_from=made_from,
            )
        except NoSpace:
            if created:  # as when the creator's seed did not fit: no new env left half filled on a full disk
                _drop_new_env(ctx, env)
            raise
        headstart.mismatch(env)  # a head start this sync did not run: undone, built again
        checkpoint("sync:applied")
        stamp_env(
            ctx,
            env,
            lock_path,
            selection=chosen,
            engine=report.engine,
            lock_fresh=not frozen,
            project=project,
            inputs=inputs,
        )
    headstart.synced(env, created=created)
    if created or rebuilt:
        report = report.replace(created_env=created, rebuilt=rebuilt, noop=False)
    return report


def _drop_new_env(ctx: Context, env: Path) -> None:
    """Delete the env this sync made (and its inventory row): the disk could not take the lock's files."""
    from corral.infra.rmtree import remove_tree
    from corral.inventory.record import forget

    remove_tree(env, ignore_errors=True)
    with contextlib.suppress(Exception):  # the inventory is a view: `corral envs scan` mends it
        forget(ctx.paths, env)


def _installs_seed(ctx: Context, requested: str | None) -> bool:
    """Whether the engine a sync will use can add the seed beside the lock's files (the pip engine needs pip first)."""
    from corral.plugins import load_engine

    return hasattr(load_engine(str(ctx.settings.value("engine", requested or None))), "apply_with")


def _rebuild_if_stale(ctx: Context, env: Path, *, offline: bool, engine: str | None, say: Progress) -> str | None:
    """Rebuild the project's env from the lock when it no longer follows its record (`services.stale_env`); why."""
    from corral.services.stale_env import why_stale

    reason = why_stale(ctx, env, lambda: _target(ctx, env)[1])
    if reason is None:
        return None
    say("rebuilding", f"{env} from the lock: {reason}")
    from corral.services.recreate import recreate

    recreate(ctx, offline=offline, engine=engine)
    return reason
