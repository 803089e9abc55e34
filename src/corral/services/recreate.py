"""`corral recreate`: build a new env beside the old one, sync it from the lock, swap it in atomically.

A journal (in corral's state folder, `infra.journals`; never in the project) names the folders involved; a kill
at any point leaves a working env (old or new) at the env path, and `recover()` (run by the next
recreate/doctor/upgrade) finishes the swap or rolls it back. Fault points for crash tests: recreate:created,
recreate:synced, recreate:before-swap, recreate:half-swapped (fallback only), recreate:swapped, recreate:cleaned.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.errors import EnvError, SafetyRefusal
from corral.infra.faults import checkpoint
from corral.infra.fs import atomic_write_text
from corral.infra.markers import RECREATE_ID_FILE, TOKEN_RE, recreate_names

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths
    from corral.services.context import Context
    from corral.services.create import CreatedEnv

__all__ = ["RecreateReport", "pending_journal", "recover", "recreate"]

MARKER_FILE = RECREATE_ID_FILE


@dataclass(frozen=True, kw_only=True, slots=True)
class RecreateReport:
    """What a recreate did."""

    env: Path
    python: str
    source: str  # "lock" or "installed" (no lock: the old env's packages by name==version)
    packages: int
    atomic: bool
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": str(self.env),
            "python": self.python,
            "source": self.source,
            "packages": self.packages,
            "atomic_swap": self.atomic,
            "notes": list(self.notes),
        }


def _journal(project_root: Path, paths: CorralPaths | None) -> Path:
    from corral.infra.journals import journal_path

    if paths is None:
        from corral.infra.paths import CorralPaths

        paths = CorralPaths.from_environment()
    return journal_path(paths, project_root, "recreate")


def pending_journal(project_root: Path, paths: CorralPaths | None = None) -> Path | None:
    """The journal of an interrupted recreate of this project, if one is left (in corral's state folder)."""
    from corral.infra.journals import read_journal

    path = _journal(project_root, paths)
    return path if read_journal(path, project_root) is not None else None


def _remove_tree(path: Path, token: str) -> None:
    """Delete a folder recreate itself made (its exact name carries the journal's random token), nothing else."""
    if not os.path.lexists(path):
        return
    from corral.inventory.safety import build_refusal

    reason = build_refusal(path, token)
    if reason is not None:
        msg = f"refusing to delete {path}: {reason}"
        raise SafetyRefusal(msg)
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        from corral.infra.rmtree import remove_tree

        remove_tree(path)


def _has_marker(env: Path, token: str) -> bool:
    from corral.infra.safe_read import read_small

    try:
        return read_small(env / MARKER_FILE, limit=4096, what=MARKER_FILE, follow=False).strip() == token.encode()
    except OSError:
        return False


def _journal_folders(data: dict[str, Any]) -> tuple[Path, Path, Path, str] | None:
    """(env, new, old, token) when the journal names exactly the folders a recreate makes, else None."""
    env, token = data.get("env"), data.get("token")
    if not (isinstance(env, str) and os.path.isabs(env) and isinstance(token, str) and TOKEN_RE.match(token)):
        return None
    new, old = recreate_names(Path(env), token)
    if data.get("new") != str(new) or data.get("old") != str(old):
        return None
    return Path(env), new, old, token


def recover(project_root: Path, paths: CorralPaths | None = None) -> str | None:
    """Finish or roll back an interrupted recreate; returns what was done (None when nothing was pending)."""
    from corral.infra.journals import read_journal, remove_journal

    journal = _journal(project_root, paths)
    data = read_journal(journal, project_root)
    if data is None:
        return None
    folders = None if "damaged" in data else _journal_folders(data)
    if folders is None:
        remove_journal(journal)
        return f"removed a damaged recreate journal ({journal}); nothing was deleted: check {project_root} by hand"
    env, new, old, token = folders
    if _has_marker(env, token):
        _remove_tree(new, token)  # after the exchange `new` holds the old env
        _remove_tree(old, token)
        (env / MARKER_FILE).unlink(missing_ok=True)
        outcome = "finished an interrupted recreate (the new env is in place; removed the old one)"
    elif not os.path.lexists(env):
        if _has_marker(new, token):
            os.replace(new, env)
            (env / MARKER_FILE).unlink(missing_ok=True)
            _remove_tree(old, token)
            outcome = "finished an interrupted recreate (moved the new env into place)"
        elif os.path.isdir(old):
            os.replace(old, env)
            _remove_tree(new, token)
            outcome = "rolled back an interrupted recreate (restored the old env)"
        else:
            _remove_tree(new, token)
            outcome = "cleaned up an interrupted recreate (there was no env before it)"
    else:
        _remove_tree(new, token)
        _remove_tree(old, token)
        outcome = "rolled back an interrupted recreate (the old env was never replaced; removed the partial build)"
    remove_journal(journal)
    if outcome.startswith("finished"):  # the env in place is the one corral built (it held our token's marker)
        from corral.infra.paths import CorralPaths

        _register_recovered(paths or CorralPaths.from_environment(), env, new)
    return outcome


def _register_final(
    paths: CorralPaths,
    env: Path,
    build: Path,
    *,
    project: Path | None,
    interpreter: str | None,
    version: str | None,
    creator: str | None,
) -> None:
    """The inventory knows the rebuilt env at its real place (with its new identity), not the temporary build.

    The cd-hook's proof is renewed too: a new folder and pyvenv.cfg stand at the same path.
    """
    from corral.inventory.record import forget
    from corral.services.create import record_made

    with contextlib.suppress(Exception):  # the inventory is a view: a failure must not fail the rebuild
        forget(paths, build)
    record_made(paths, env, kind="project", project=project, interpreter=interpreter, version=version, creator=creator)


def _register_recovered(paths: CorralPaths, env: Path, build: Path) -> None:
    """A recreate finished after a kill: record the env in place from corral's record in it (`corral-env.json`)."""
    from corral.services.inspection import read_provenance

    record = read_provenance(env)
    _register_final(
        paths,
        env,
        build,
        project=Path(record.project) if record and record.project else None,
        interpreter=record.interpreter if record else None,
        version=record.python_version if record else None,
        creator=record.creator if record else None,
    )


def _unpinned_note(ctx: Context, created: CreatedEnv) -> list[str]:
    """`--python` chose what the project does not ask for: the next sync or run rebuilds on what it asks for."""
    from corral.services.python import unmet_request

    wanted = unmet_request(ctx, created.interpreter)
    if wanted is None:
        return []
    chosen = created.interpreter
    note = (
        f"{wanted}, so the next `corral sync` or `corral run` rebuilds the env on that; to keep Python "
        f"{chosen.version}, pin it: `corral python pin {chosen.short_version}` (or `corral upgrade --python`)"
    )
    return [note]


def _refuse_unsafe_env(ctx: Context, env: Path) -> None:
    """The env path must be provably an env (or absent): recreate swaps it out and deletes what was there."""
    if not os.path.lexists(env):
        return
    from corral.services.envs import safety_refusal

    reason = safety_refusal(ctx, env, project_env=True)  # first: `/`, home, the project itself are never an env
    if reason:
        msg = f"refusing to recreate {env}: {reason}; check [tool.corral] venv-dir"
        raise SafetyRefusal(msg)
    if os.path.ismount(env):  # a volume of its own (a devcontainer's, Docker's): the swap cannot move it (EBUSY)
        msg = (
            f"{env} is a mount point: corral rebuilds an env beside it and swaps the two, which a mount point "
            f"cannot take part in; empty it (`find {env} -mindepth 1 -delete`) and run `corral sync`, which makes "
            "the env inside it"
        )
        raise SafetyRefusal(msg)


def _populate(
    ctx: Context, new: Path, old: Path, lock_path: Path, *, offline: bool = False, engine: str | None = None
) -> tuple[str, int, list[str]]:
    """Install the lock into `new` (or, without a lock or sync, the old env's packages by name==version)."""
    notes: list[str] = []
    if lock_path.is_file():
        from corral.core.selection import Selection
        from corral.services.sync.apply import apply_lock

        report = apply_lock(
            ctx, new, lock_path, selection=_recorded_selection(old, Selection), offline=offline, engine=engine
        )
        return "lock", len(report.installed) + len(report.changed) + report.unchanged, notes
    notes.append(f"no {lock_path.name}: reinstalled the old env's packages by name==version (run `corral lock`)")
    return "installed", _reinstall_from(ctx, new, old), notes


def _keep_selection(old: Path, new: Path) -> None:
    """Carry the groups/extras the old env was synced with into the new one (a stamp of the selection alone).

    Without it, the new env had no stamp: `corral run` and doctor took the lock's defaults, so a rebuild of an env
    synced with `--all-groups` was then called drift (its groups' packages "installed but not in the lock"), and the
    `corral sync` that doctor offered removed them. A selection alone proves nothing (no fast path trusts it).
    """
    from corral.services.sync.stamp import read_stamp, write_stamp

    selection = (read_stamp(old) or {}).get("selection")
    if isinstance(selection, str):
        write_stamp(new, {"selection": selection})


def _recorded_selection(env: Path, selection_type: type) -> Any:  # noqa: ANN401
    """The groups/extras the old env was synced with (its sync stamp), so the rebuild installs the same set."""
    from corral.doctor.drift import selection_from_key
    from corral.services.sync.stamp import read_stamp

    key = (read_stamp(env) or {}).get("selection")
    return selection_from_key(key if isinstance(key, str) else None, selection_type)


def _reinstall_from(ctx: Context, new: Path, old: Path) -> int:
    from corral.core.env import Env
    from corral.core.names import normalize_name as normalize
    from corral.core.plan import SEED_PACKAGES
    from corral.infra.environ import engine_environ
    from corral.infra.proc import run
    from corral.infra.uvbin import uv_binary
    from corral.services.inspection import installed_distributions

    if not Env.at(old).is_env():
        return 0
    dists = installed_distributions(Env.at(old).site_packages())
    project = ctx.project.name if ctx.project else None
    wanted = sorted(
        f"{n}=={v}"
        for n, v in dists.items()
        if normalize(n) not in SEED_PACKAGES and (project is None or normalize(n) != normalize(project))
    )
    if wanted:
        python = Env.at(new).python
        run(
            [uv_binary(), "pip", "install", "--python", str(python), "--quiet", *wanted],
            env=engine_environ(ctx.environ),
            what="uv pip install",
        )
    return len(wanted)


def _smoke_test(new: Path) -> None:
    from corral.core.env import Env
    from corral.infra.environ import isolated_environ
    from corral.infra.proc import run

    python = Env.at(new).python
    done = run(
        [str(python), "-c", "import sys; print(sys.prefix)"], env=isolated_environ(), check=False, what="new env check"
    )
    if done.returncode != 0:
        msg = f"the rebuilt env does not start ({done.stderr.strip()[-300:]}); the old env was kept"
        raise EnvError(msg)


def _keep_interpreter(ctx: Context, env: Path) -> str | None:
    """With nothing pinned (flag, setting, .python-version), rebuild on the interpreter the env was made with.

    Unless requires-python no longer admits it: then the choice is made afresh, as for a new env.
    """
    from corral.errors import InterpreterNotFound
    from corral.services.inspection import read_provenance
    from corral.services.python import read_python_version, unmet_request

    if ctx.settings.value("python") or read_python_version(env.parent) is not None:
        return None
    from corral.services.trust import why_untrusted

    if why_untrusted(ctx.paths, env) is not None:
        return None  # the corral-env.json of an env corral did not make names what a repository chose
    record = read_provenance(env)
    if record is None or not Path(record.interpreter).exists():
        return None
    try:
        kept = ctx.finder.from_path(Path(record.interpreter))  # made this env: its identity is in the probe cache
    except InterpreterNotFound:
        return None
    return record.interpreter if unmet_request(ctx, kept) is None else None


def recreate(
    ctx: Context, *, python: str | None = None, offline: bool = False, engine: str | None = None
) -> RecreateReport:
    """Rebuild the project's env from the lock beside the old one and swap it in (confirmation is the CLI's job).

    `offline` and `engine` are sync's (`services.sync.apply` rebuilds a moved, copied or re-pinned env through here).
    """
    from corral.services.transaction import project_lock

    with project_lock(ctx.require_project().root):  # also finishes what a killed command left
        return _recreate(ctx, python=python, offline=offline, engine=engine)


def _recreate(ctx: Context, *, python: str | None, offline: bool, engine: str | None) -> RecreateReport:
    from corral.infra.journals import remove_journal, write_journal
    from corral.services.create import create_env
    from corral.services.relocate import relocate_paths
    from corral.services.sync.stamp import clear_stamp

    project = ctx.require_project()
    env = project.env_path
    _refuse_unsafe_env(ctx, env)
    token = os.urandom(4).hex()  # secrets.token_hex's bytes, without importing secrets (hmac, random)
    new, old = recreate_names(env, token)
    journal = _journal(project.root, ctx.paths)
    clear_stamp(env)  # a no-op fast path must not skip the recovery a kill from here on would need
    write_journal(journal, project.root, {"env": str(env), "new": str(new), "old": str(old), "token": token})
    try:
        from corral.services.config import neutral_prompt

        prompt = ctx.settings.value("prompt") or neutral_prompt(project.name)  # a folder's name may be `x$(id)`
        created = create_env(ctx, new, python=python or _keep_interpreter(ctx, env), prompt=prompt, kind="project")
        checkpoint("recreate:created")
        source, count, notes = _populate(ctx, new, env, project.root / "pylock.toml", offline=offline, engine=engine)
        _keep_selection(env, new)
        checkpoint("recreate:synced")
        relocate_paths(new, str(new), str(env))
        _smoke_test(new)
        atomic_write_text(new / MARKER_FILE, token + "\n")
    except BaseException:
        _remove_tree(new, token)
        remove_journal(journal)
        raise
    checkpoint("recreate:before-swap")
    atomic = True
    if os.path.lexists(env):
        from corral.infra.dirswap import exchange

        if not exchange(new, env):
            atomic = False
            os.replace(env, old)
            checkpoint("recreate:half-swapped")
            os.replace(new, env)
    else:
        os.replace(new, env)
    checkpoint("recreate:swapped")
    _remove_tree(new, token)
    _remove_tree(old, token)
    checkpoint("recreate:cleaned")
    (env / MARKER_FILE).unlink(missing_ok=True)
    remove_journal(journal)
    _register_final(
        ctx.paths,
        env,
        new,
        project=project.root,
        interpreter=created.interpreter.path,
        version=created.interpreter.version,
        creator=created.creator,
    )
    from corral.services.kernels import refresh_after_rebuild

    notes += refresh_after_rebuild(ctx, env)
    if python:
        notes += _unpinned_note(ctx, created)
    return RecreateReport(
        env=env, python=created.interpreter.version, source=source, packages=count, atomic=atomic, notes=tuple(notes)
    )
