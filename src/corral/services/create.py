"""`corral venv`: create a PEP 405 environment with the exact interpreter corral chose."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral import __version__
from corral.core.frozen import Frozen
from corral.core.protocols import CreateRequest
from corral.core.provenance import PROVENANCE_FILE, Provenance
from corral.errors import EnvError, EnvExists, UsageError
from corral.infra.environ import engine_environ
from corral.infra.fs import atomic_write_text
from corral.infra.journals import journal_path, read_journal, remove_journal, write_journal
from corral.plugins import CREATORS, load_creator
from corral.services.config import neutral_prompt
from corral.services.inspection import is_environment
from corral.services.python import choose_interpreter

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.protocols import Creator
    from corral.infra.paths import CorralPaths
    from corral.services.context import Context

__all__ = ["CreatedEnv", "create_env", "pick_creator"]


class CreatedEnv(Frozen):
    """The outcome of a creation."""

    __slots__ = (
        "creator",
        "interpreter",
        "interpreter_reason",
        "path",
        "recorded_options",
        "seed_pending",
        "seeded",
        "system_site_packages",
    )
    path: Path
    interpreter: InterpreterInfo
    interpreter_reason: str
    creator: str
    seeded: bool
    system_site_packages: bool
    recorded_options: dict[str, object]
    seed_pending: tuple[str, ...]  # seed packages left to the caller (`defer_seed`): not in the env yet

    def __init__(
        self,
        *,
        path: Path,
        interpreter: InterpreterInfo,
        interpreter_reason: str,
        creator: str,
        seeded: bool,
        system_site_packages: bool,
        recorded_options: dict[str, object],
        seed_pending: tuple[str, ...] = (),
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(
            path=path,
            interpreter=interpreter,
            interpreter_reason=interpreter_reason,
            creator=creator,
            seeded=seeded,
            system_site_packages=system_site_packages,
            recorded_options=recorded_options,
            seed_pending=seed_pending,
        )


# Creators whose own seed differs from uv's cache (ensurepip's bundled pip, virtualenv's legacy table): never deferred.
_SEEDS_ITSELF = frozenset({"venv", "virtualenv"})


def pick_creator(interpreter: InterpreterInfo, requested: str | None) -> Creator:
    """The requested creator (refusing with its reason), else the first built-in that can serve."""
    if requested:
        creator = load_creator(requested)
        reason = creator.cannot_create(interpreter)
        if reason:
            msg = f"--creator {requested} cannot serve {interpreter.path}: {reason}"
            raise UsageError(msg)
        return creator
    reasons = []
    for name in CREATORS:  # the table's order is the auto order
        try:
            creator = load_creator(name)
        except UsageError as err:
            reasons.append(str(err))
            continue
        reason = creator.cannot_create(interpreter)
        if reason is None:
            return creator
        reasons.append(reason)
    msg = f"no creator can make an env for Python {interpreter.version} at {interpreter.path}: " + "; ".join(reasons)
    raise EnvError(msg)


def _check_target(dest: Path) -> None:
    from corral.infra.fs import require_utf8_path

    require_utf8_path(dest, "environment folder")  # pyvenv.cfg, activate scripts and records spell it in UTF-8
    if dest.is_symlink() or dest.exists():
        if is_environment(dest):
            msg = (
                f"{dest} is already an environment; corral never overwrites one silently: "
                "use `corral recreate` or remove it first"
            )
            raise EnvExists(msg)
        if dest.is_dir() and not any(dest.iterdir()):
            return
        from corral.services.inspection import partly_deleted_env

        msg = (
            partly_deleted_env(dest) or f"{dest} exists and is not an environment; choose another path or move it away"
        )
        raise EnvExists(msg)
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True) if not parent.exists() else None
    if not os.access(parent, os.W_OK):
        msg = f"cannot create {dest}: folder {parent} is not writable; pick a folder you can write to"
        raise EnvError(msg)


def create_env(
    ctx: Context,
    dest: Path | None = None,
    *,
    python: str | None = None,
    system_site_packages: bool | None = None,
    prompt: str | None = None,
    seed: bool | None = None,
    creator: str | None = None,
    kind: str = "project",
    defer_seed: bool = False,
) -> CreatedEnv:
    """Create an env at `dest` (default: the project's `.venv`, else ./.venv) and mark it as corral's.

    `python`, `system_site_packages`, `prompt`, `seed`, `creator`: a caller's own values for those settings,
    ranked as the command line's (`Settings.get`); None leaves each to the settings (where the CLI put its flags).

    The project's own env is made under the project lock, and a journal in corral's state folder (`creating`,
    `infra.journals`) names the env in the making: a kill leaves it, and `services.recovery` removes the half-made
    env.

    `defer_seed`: the caller (a sync) installs the seed with the lock's files in one installer call; when the
    env is seeded and `services.seed.seed_by_installer` allows it, the creator makes it without pip and
    `CreatedEnv.seed_pending` names what is left to install (the record still says seeded: a sync that did not
    finish adds it the next time it installs, `services.sync.apply`).
    """
    project = ctx.project
    target = Path(os.path.abspath(ctx.cwd / dest)) if dest else (project.env_path if project else ctx.cwd / ".venv")
    owner = project.root if project is not None and target.parent in (project.root, project.env_path.parent) else None
    from corral.services.transaction import project_lock

    with project_lock(owner) if owner is not None else contextlib.nullcontext():
        return _create_env(
            ctx,
            target,
            python=python,
            system_site_packages=system_site_packages,
            prompt=prompt,
            seed=seed,
            creator=creator,
            kind=kind,
            journal_root=owner,
            defer_seed=defer_seed,
        )


def _checked_target(target: Path) -> bool:
    """`_check_target`, unless the target is the env this process's head start laid out a moment ago (True then)."""
    from corral.infra import headstart

    if headstart.live_env(target):  # it was absent (an lstat) when the head start made it
        return True
    _check_target(target)
    return False


def _adopt(
    target: Path, chosen: Creator, request: CreateRequest, *, head: bool, seed_note: bool
) -> tuple[tuple[object, ...] | None, bool]:
    """The native layout (for a live head start, or for the record of the next), and whether the head start's is it.

    `seed_note`: the sync installs the seed (`_note_seed` marks pyvenv.cfg), so the layout is that of a marked env.
    A head start whose layout is not what this creator writes is waited for and removed (`infra.headstart`).
    """
    from corral.infra import headstart

    planned = _native_plan(chosen, request) if head or headstart.armed() else None
    planned = _planned_seed_note(planned) if seed_note else planned
    if head and not (planned is not None and headstart.claim_layout(target, planned)):
        headstart.discard()
        _check_target(target)
        return planned, False
    return planned, head


def _native_plan(chosen: Creator, request: CreateRequest) -> tuple[object, ...] | None:
    """What the native creator writes for `request` (`creators.native.NativeCreator.create`), as a plain tuple.

    None when another creator serves it (or the native one hands it to uv). `infra.headstart` compares it with the
    head start's layout, and notes it for the next one.
    """
    if chosen.name != "native":
        return None
    from corral.creators import native

    version = native._uv_version()  # noqa: SLF001 - the creator's own steps, kept identical
    if request.seed or native._uv_settings(request.environ) or version is None:  # noqa: SLF001
        return None
    dest = os.path.abspath(request.dest)
    prompt = request.prompt or None
    if prompt == ".":
        prompt = os.path.basename(os.getcwd()) or None
    layout = native.plan_layout(
        request.interpreter, dest, prompt=prompt, system_site_packages=request.system_site_packages, uv_version=version
    )
    return (dest, layout.dirs, layout.files, layout.links, layout.copies, layout.cfg)


def _note_creating(journal: Path, root: Path, target: Path, *, head: bool) -> None:
    """Write the `creating` journal naming `target`, unless this process's head start already wrote that very one.

    The head start (`cli.headstart.write_creating_journal`) wrote and synced it under the locks this process now
    holds, before it made the env; written again, it would cost two fsyncs on the way to the user's prompt.
    """
    wanted = {"env": str(target), "pid": os.getpid()}
    if head:
        written = read_journal(journal, root)
        if written is not None and all(written.get(k) == v for k, v in {**wanted, "version": 2}.items()):
            return
    write_journal(journal, root, wanted)


def _prompt(ctx: Context, target: Path, given: str | None) -> str | None:
    """The prompt the creator writes into bin/activate*, which no shell could run or expand.

    A prompt that is set (`given`, --prompt, CORRAL_PROMPT, [tool.corral] prompt) was refused by the settings when
    it holds such a character; a folder's name (`prompt = "."`, a project without [project] name) may be `x$(id)`:
    its other characters become `_` (services.config.neutral_prompt), as does the env folder's own name, which the
    creators take when no prompt is given (`corral venv 'x$(id)'`).
    """
    project = ctx.project
    named = ctx.settings.get("prompt", given)
    prompt: str | None
    if named.source == "command line":  # as given, even empty
        prompt = named.value
    else:
        prompt = named.value or (neutral_prompt(project.name) if project and target == project.env_path else None)
    if prompt == ".":  # the folder's name, which the creators would paste as it is
        prompt = neutral_prompt(os.path.basename(os.getcwd())) or None
    if prompt is None and neutral_prompt(target.name) != target.name:  # the creators' default: the env folder's name
        prompt = neutral_prompt(target.name) or None
    return prompt


def _create_env(
    ctx: Context,
    target: Path,
    *,
    python: str | None,
    system_site_packages: bool | None,
    prompt: str | None,
    seed: bool | None,
    creator: str | None,
    kind: str,
    journal_root: Path | None,
    defer_seed: bool = False,
) -> CreatedEnv:
    project = ctx.project
    from corral.infra import headstart

    head = _checked_target(target)
    interpreter, why = choose_interpreter(ctx, python)
    settings = ctx.settings
    visible = settings.get("system-site-packages", system_site_packages)
    ssp = bool(visible.value)
    do_seed = settings.value("seed", seed)
    chosen = pick_creator(interpreter, settings.value("creator", creator or None))
    pending: tuple[str, ...] = ()
    if do_seed and defer_seed and chosen.name not in _SEEDS_ITSELF:
        from corral.services.seed import seed_by_installer

        pending = seed_by_installer(interpreter)
    prompt = _prompt(ctx, target, prompt)
    request = CreateRequest(
        dest=target,
        interpreter=interpreter,
        system_site_packages=ssp,
        prompt=prompt,
        seed=do_seed and not pending,
        environ=engine_environ(ctx.environ),
        index_url=settings.value("index-url"),
        extra_index_urls=tuple(settings.value("extra-index-urls")),
    )
    planned, head = _adopt(target, chosen, request, head=head, seed_note=bool(pending))
    existed = False if head else target.exists()
    journal = journal_path(ctx.paths, journal_root, "creating") if journal_root is not None and not existed else None
    if journal is not None and journal_root is not None:
        _note_creating(journal, journal_root, target, head=head)
    try:
        if not head:  # else the head start laid out exactly what the creator would
            chosen.create(request)
        headstart.note_layout(target, (interpreter.path, interpreter.realpath), planned)
        if pending:
            _note_seed(target)
        if do_seed and not pending:  # offline-first seeding may give an old pip: the index is asked (services.seed)
            from corral.services.seed import freshen_pip

            freshen_pip(
                target,
                interpreter,
                environ=request.environ,
                index_url=request.index_url,
                extra_index_urls=request.extra_index_urls,
            )
        _mark(
            target,
            interpreter,
            chosen.name,
            project.root if project else None,
            kind,
            {"system_site_packages": ssp, "seed": do_seed, "prompt": prompt},
        )
    except BaseException:
        headstart.wait_for(target)  # a head start's uv may still be writing into the env: waited for first
        if not existed:
            from corral.infra.rmtree import remove_tree

            remove_tree(target, ignore_errors=True)
        elif target.is_dir():
            _empty_dir(target)
        raise
    finally:
        if journal is not None:
            remove_journal(journal)
    recorded = _record_options(ctx, target, ssp=ssp, explicit_ssp=ssp if visible.source == "command line" else None)
    record_made(
        ctx.paths,
        target,
        kind=kind,
        project=project.root if project else None,
        interpreter=interpreter.path,
        version=interpreter.version,
        creator=chosen.name,
    )
    return CreatedEnv(
        path=target,
        interpreter=interpreter,
        interpreter_reason=why,
        creator=chosen.name,
        seeded=do_seed,
        system_site_packages=ssp,
        recorded_options=recorded,
        seed_pending=pending,
    )


def record_made(
    paths: CorralPaths,
    env: Path,
    *,
    kind: str,
    project: Path | None,
    interpreter: str | None,
    version: str | None,
    creator: str | None,
) -> None:
    """Note in corral's data folder that corral made `env`: the inventory, and for a project's env the cd-hook's proof.

    Neither may fail the command that made the env. Both live in the data folder, so when it cannot take them,
    one warning says what is lost (the inventory's `corral envs scan`, the hook's `corral allow`).
    """
    from corral.inventory.record import register_env
    from corral.services.trust import record_created

    try:
        register_env(
            paths, path=env, kind=kind, project=project, interpreter=interpreter, version=version, creator=creator
        )
    except Exception as err:  # noqa: BLE001 - the inventory is a view: any failure is only worth a warning
        lost: str | None = str(err)
    else:
        lost = None
    # corral's own proof for the cd-hook (throwaway script/tool envs are never activated)
    trusted = kind != "project" or record_created(paths, env, warn=lost is None)
    if lost is not None:
        import logging

        hook = "" if trusted else f"; the cd-hook will not activate it until you run `corral allow {env}`"
        logging.getLogger(__name__).warning(
            "could not record %s in corral's inventory (%s); `corral envs scan` will find it%s", env, lost, hook
        )


def finish_interrupted_creation(paths: CorralPaths, project_root: Path) -> str | None:
    """After a kill: keep an env whose creation completed (corral's record is in it), else delete the half-made one.

    The env to finish comes only from corral's own journal (never from a file in the project), and it is deleted
    only when it is a real folder of the current user holding nothing but what a creator makes.
    """
    journal = journal_path(paths, project_root, "creating")
    data = read_journal(journal, project_root)
    if data is None:
        return None
    env = data.get("env")
    from corral.infra import headstart

    if headstart.owns(env) and data.get("pid") == os.getpid():
        return None  # this process's own head start, alive: the sync adopts or undoes it
    remove = isinstance(env, str) and os.path.isabs(env) and "damaged" not in data
    target = Path(env) if remove else None  # type: ignore[arg-type]
    outcome = None
    from corral.inventory.safety import half_made

    if target is not None:
        _wait_for_installer(target)
    if target is not None and not _finished(target) and half_made(target):
        from corral.infra.rmtree import remove_tree

        remove_tree(target, ignore_errors=True)
        outcome = f"removed {target}, an env a killed command left half made"
    remove_journal(journal)
    return outcome


def _wait_for_installer(target: Path, timeout: float = 600) -> None:
    """Wait while a uv the killed command started still installs into `target` (it holds the env's `.lock`).

    A kill ends corral, not the uv it started: removing the env under it leaves what uv writes after (a folder
    that is no env, which the next sync refuses). The lock is only tried: a link, a fifo or another file is no wait.
    """
    if os.name == "nt":
        return
    import fcntl
    import stat
    import time

    try:
        fd = os.open(target / ".lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # noqa: PERF203 - a poll, until uv ends
                time.sleep(0.05)
            else:
                return
    finally:
        os.close(fd)


def _finished(target: Path) -> bool:
    from corral.infra.json_file import read_json_cache

    record = read_json_cache(target / PROVENANCE_FILE, follow=False)
    return record is not None and record.get("location") == str(target)


def _note_seed(target: Path) -> None:
    """Write uv's `seed = true` into an env whose seed the sync installs (`defer_seed`), as `uv venv --seed` does.

    uv reads a pyvenv.cfg carrying its `uv` key without `seed = true` as made unseeded: `uv pip sync` would then
    remove pip as extraneous. The line goes where uv writes it (after include-system-site-packages).
    """
    cfg = target / "pyvenv.cfg"
    noted = _seed_noted(cfg.read_text(encoding="utf-8"))
    if noted is not None:
        atomic_write_text(cfg, noted)


def _seed_noted(text: str) -> str | None:
    """`text` (a pyvenv.cfg uv's way) with `seed = true` where uv writes it; None when it needs no such line."""
    lines = text.splitlines(keepends=True)
    keys = [line.partition("=")[0].strip().lower() for line in lines]
    if "uv" not in keys or "seed" in keys:
        return None
    at = keys.index("include-system-site-packages") + 1 if "include-system-site-packages" in keys else len(lines)
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join([*lines[:at], "seed = true\n", *lines[at:]])


def _planned_seed_note(planned: tuple[object, ...] | None) -> tuple[object, ...] | None:
    """The native layout as it stands once `_note_seed` ran: what the next head start lays out at once.

    So a rebuild whose seed the sync installs (`defer_seed`) writes pyvenv.cfg once, not twice (an atomic write
    with its fsync, while uv runs).
    """
    if planned is None:
        return None
    cfg = planned[-1]
    assert isinstance(cfg, bytes)  # noqa: S101 - `_native_plan` puts pyvenv.cfg's bytes last
    noted = _seed_noted(cfg.decode("utf-8"))
    return planned if noted is None else (*planned[:-1], noted.encode("utf-8"))


def _empty_dir(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            from corral.infra.rmtree import remove_tree

            remove_tree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()


def _mark(
    target: Path,
    interpreter: InterpreterInfo,
    creator: str,
    project: Path | None,
    kind: str,
    options: dict[str, object],
) -> None:
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        atomic_write_text(gitignore, "# created by corral: this environment is rebuilt from pyproject.toml\n*\n")
    record = Provenance(
        corral_version=__version__,
        creator=creator,
        location=str(target),
        interpreter=interpreter.path,
        interpreter_realpath=interpreter.realpath,
        python_version=interpreter.version,
        implementation=interpreter.implementation,
        project=str(project) if project else None,
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        options=options,
        kind=kind,
    )
    atomic_write_text(target / PROVENANCE_FILE, json.dumps(record.to_dict(), indent=2) + "\n")


def _record_options(ctx: Context, target: Path, *, ssp: bool, explicit_ssp: bool | None) -> dict[str, object]:
    """Keep the options a rebuild must repeat in [tool.corral] (only for the project's own env)."""
    project = ctx.project
    if project is None or target != project.env_path or explicit_ssp is None:
        return {}
    if explicit_ssp is False and "system-site-packages" not in project.tool:
        return {}
    from corral.infra.toml_edit import set_tool_values

    values: dict[str, object] = {"system-site-packages": ssp}
    set_tool_values(project.pyproject, values)
    return values
