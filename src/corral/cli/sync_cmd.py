"""`corral sync`: make the env exactly the lock.

`fast_path` runs before the command context is built and uses only the stdlib (`services.sync.stamp`): an
unchanged project returns before packaging, tomlkit, rich or the settings machinery are imported.
"""

from __future__ import annotations

import os
from pathlib import Path

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    import argparse

    from corral.core.selection import Selection
    from corral.render.output import Output
    from corral.services.context import Context
    from corral.services.sync.apply import SyncReport


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def add_sync_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `sync` and `run`."""
    from corral.plugins import ENGINES

    parser.add_argument(
        "--group", action="append", default=[], metavar="NAME", help="also install this dependency group (repeatable)"
    )
    parser.add_argument("--all-groups", action="store_true", help="install every dependency group")
    parser.add_argument("--no-dev", action="store_true", help="leave out the dev group")
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="install this optional-dependency extra (repeatable)",
    )
    parser.add_argument("--all-extras", action="store_true", help="install every extra")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--frozen", action="store_true", help="use pylock.toml as it is (no freshness check)")
    how.add_argument("--locked", action="store_true", help="fail if pylock.toml is stale for pyproject.toml")
    parser.add_argument("--offline", action="store_true", help="use only cached files; never the network")
    parser.add_argument("--engine", choices=list(ENGINES), help="installer engine (default: the engine setting)")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    add_sync_options(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def selection_from_args(args: argparse.Namespace) -> Selection:
    """The Selection the flags ask for."""
    from corral.core.selection import Selection

    return Selection(
        groups=tuple(args.group) or None,
        extras=tuple(args.extra),
        all_groups=args.all_groups,
        no_dev=args.no_dev,
        all_extras=args.all_extras,
    )


def names_selection(args: argparse.Namespace) -> bool:
    """True when the flags name groups or extras (--group, --extra, --all-groups, --no-dev, --all-extras)."""
    return bool(args.group or args.extra or args.all_groups or args.no_dev or args.all_extras)


def synced_env(args: argparse.Namespace, *, keep_last: bool = False) -> Path | None:
    """The project's env when the stamp proves nothing changed since its last sync (stdlib only), else None.

    `keep_last` (`corral run`): without group/extra flags, any selection the last sync made counts.
    """
    from corral.services.sync.stamp import selection_key

    start = Path(args.directory).absolute() if args.directory else Path.cwd()
    key = (
        None
        if keep_last and not names_selection(args)
        else selection_key(
            groups=tuple(args.group) or None,
            extras=tuple(args.extra),
            all_groups=args.all_groups,
            no_dev=args.no_dev,
            all_extras=args.all_extras,
        )
    )
    plain = not names_selection(args) and not args.frozen and args.engine is None
    return noop_env(start, selection=key, frozen=args.frozen, engine=args.engine, record=plain)


def noop_env(start: Path, *, selection: str | None, frozen: bool, engine: str | None, record: bool) -> Path | None:
    """`synced_env` for the project around `start`: the env when the stamp and trust prove a no-op, else None.

    `selection`: the stamp's selection key to require (None: any). `record`: write the quick record when they do
    (only for the plain command lines `cli.quick` answers: no group/extra flag, no --frozen, no --engine).
    """
    from corral.services.sync.stamp import STAMP_FILE, is_noop, locate, parse_stamp, read_stamp_bytes, selection_key

    found = locate(start)
    if found is None:
        return None
    pyproject, env = found
    if not os.path.lexists(env / STAMP_FILE):  # no stamp, no no-op (`is_noop` reads it first): a new env's sync
        return None
    before = _observe(pyproject.parent, env) if record else None  # what the quick record would hold
    judged = read_stamp_bytes(env)  # read once: the bytes judged are the ones the quick record may name
    if judged is None:
        return None
    fresh = is_noop(
        env=env,
        lock_path=pyproject.parent / "pylock.toml",
        pyproject=pyproject,
        selection_key=selection,
        frozen=frozen,
        environ=os.environ,
        engine=engine,
        stamp_bytes=judged,
    )
    if not (fresh and _vouched(env)):
        return None
    if before is not None:
        default = (parse_stamp(judged) or {}).get("selection") == selection_key(groups=None, extras=())
        _remember(pyproject.parent, env, *before, stamp_bytes=judged, default_selection=default)
    return env


def record_noop(args: argparse.Namespace, *, keep_last: bool = False) -> None:
    """After a sync: the no-op check, now, so that the quick record answers the next plain command at once.

    The check writes the record only when it proves a no-op (`synced_env`); right after a sync the env's own files
    are young, and `cli.quick.remember` takes them on the proof the stamp's bytes give. Never fails the command.
    """
    if names_selection(args) or args.frozen or args.engine is not None:
        return  # no record for another selection or engine than the plain command's
    import contextlib

    with contextlib.suppress(Exception):  # a record only saves the next command time
        synced_env(args, keep_last=keep_last)


def record_plain_noop(start: Path) -> None:
    """`record_noop` of a plain `corral sync` / `corral run CMD` in `start`, without argparse.

    For a head start's replay (`cli.rebuild_replay`), which finishes a sync without the full path. Never fails.
    """
    import contextlib

    with contextlib.suppress(Exception):  # a record only saves the next command time
        noop_env(start, selection=None, frozen=False, engine=None, record=True)


def _observe(project: Path, env: Path) -> tuple[tuple[str, str, str], list[str], int] | None:
    """Corral's folders, the quick record's observation of `project` and `env` before the no-op check, and when."""
    from corral.cli.quick import _now_ns, corral_dirs, observe

    dirs = corral_dirs(os.environ)
    if dirs is None:
        return None
    started = _now_ns()  # read before the stats: what settled by then cannot change unseen
    return dirs, observe(str(project), str(env), dirs, os.environ)[0], started


def _remember(
    project: Path,
    env: Path,
    dirs: tuple[str, str, str],
    before: list[str],
    observed_ns: int,
    *,
    stamp_bytes: bytes,
    default_selection: bool,
) -> None:
    """Record the no-op the stamp and the trust record just proved, for `cli.quick` (never fails the command)."""
    from corral.cli.quick import remember
    from corral.infra.paths import CorralPaths

    paths = CorralPaths.from_environment()
    if (str(paths.data), str(paths.cache), str(paths.config)) != dirs:
        return  # platformdirs places corral's folders where cli.quick would not look
    remember(
        str(project),
        str(env),
        dirs,
        os.environ,
        before=before,
        observed_ns=observed_ns,
        default_selection=default_selection,
        stamp_bytes=stamp_bytes,
    )


def _vouched(env: Path) -> bool:
    """True when corral's own record says it made the env there, or the user allowed it (stdlib, a few stats).

    Not the stamp alone: it sits in the env, and a repository can ship an env with a stamp made to look valid.
    """
    from corral.errors import CorralError
    from corral.infra.paths import CorralPaths
    from corral.services.trust import check_trust

    try:
        return check_trust(CorralPaths.from_environment, env).trusted
    except CorralError:
        return False


def fast_path(args: argparse.Namespace) -> int | None:
    """Exit 0 at once when nothing changed since the last sync; None sends the command down the full path."""
    env = synced_env(args)
    if env is None:
        return None
    from corral.render.output import Output

    out = Output(quiet=args.quiet, verbose=args.verbose)
    if args.json:
        out.json("sync", {"env": str(env), "noop": True, "installed": [], "changed": [], "removed": []})
    else:
        out.info(f"nothing to do: {env} already matches pylock.toml")
    return 0


def run_sync(
    args: argparse.Namespace, ctx: Context, out: Output, selection: Selection | None, *, keep_last: bool = False
) -> SyncReport:
    """Call the sync service with the flags (`selection` None: the defaults, or the last one with `keep_last`)."""
    from corral.services.sync.apply import sync

    with out.progress(separator=" ") as progress:
        return sync(
            ctx,
            selection=selection,
            frozen=args.frozen,
            locked=args.locked,
            offline=args.offline,
            engine=args.engine,
            progress=progress,
            keep_last=keep_last,
        )


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Sync and report what changed."""
    from corral.cli.streams import point_of_no_return

    lock_before = _lock_identity(ctx)
    report = run_sync(args, ctx, out, selection_from_args(args))
    point_of_no_return()  # the env is synced: a Ctrl-C now must not leave `"ok": true` and a death by SIGINT
    _report(args, ctx, out, report)
    record_noop(args)  # the next plain `corral sync` or `corral run CMD` is then answered from the quick record
    if _lock_identity(ctx) != lock_before:  # the sync locked (seconds): the no-op check costs it little more
        from corral.cli.add_cmd import record_lock_noop

        record_lock_noop(ctx.require_project().root, report.env)  # the next plain `corral lock` is answered at once
    return 0


def _lock_identity(ctx: Context) -> tuple[int, int, int] | None:
    """pylock.toml's (inode, size, mtime), None without one: whether the sync wrote it."""
    from corral.errors import CorralError

    try:
        st = os.stat(ctx.require_project().root / "pylock.toml")
    except (OSError, CorralError):
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _report(args: argparse.Namespace, ctx: Context, out: Output, report: SyncReport) -> None:
    if args.json:
        out.json("sync", report.to_dict())
        return
    if out.quiet:  # -q: errors and warnings only, as `uv sync -q` and `pip install -q` (and add/remove -q here)
        return
    for name, _, new in report.installed:
        out.line(f" + {name} {new or ''}".rstrip())
    for name, old, new in report.changed:
        out.line(f" ~ {name} {old} -> {new}")
    for name, old, _ in report.removed:
        out.line(f" - {name} {old}")
    if report.project_installed:
        out.line(f" + {ctx.require_project().name} (editable)")
    summary = (
        f"{len(report.installed)} installed, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged"
    )
    if report.rebuilt:  # made again from the lock before the comparison (services.stale_env): all of it is new
        summary = f"rebuilt from the lock, {report.unchanged + len(report.installed) + len(report.changed)} installed"
        summary += f", {len(report.removed)} removed" if report.removed else ""
    out.info(
        f"synced {report.env} with {report.lock.name} using {report.engine}: {summary}"
        if not report.noop
        else f"nothing to do: {report.env} already matches {report.lock.name}"
    )
