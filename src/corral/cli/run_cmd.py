"""`corral run CMD [ARGS...]`: sync if needed, then run CMD inside the env without activating it.

The sync keeps the groups and extras of the env's last sync (`corral sync --group tests` then `corral run pytest`
keeps pytest); group/extra flags given to `run` replace that selection, as they do for `sync`.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from corral.cli.sync_cmd import (
    add_sync_options,
    names_selection,
    record_noop,
    run_sync,
    selection_from_args,
    synced_env,
)

if TYPE_CHECKING:
    from pathlib import Path

    from corral.render.output import Output
    from corral.services.context import Context

EXIT_NOT_FOUND = 127


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options; everything from CMD on belongs to CMD."""
    add_sync_options(parser)
    parser.add_argument("--no-sync", action="store_true", help="run without syncing first")
    parser.add_argument(
        "--with",
        dest="with_packages",
        action="append",
        default=[],
        metavar="PKG",
        help="run in a cached throwaway env with PKG (repeatable), layered over the project env",
    )
    parser.add_argument("--python", "-p", metavar="SPEC", help="interpreter for a script's or --with's throwaway env")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]", help="the program and its arguments")


def _argv(args: argparse.Namespace) -> list[str]:
    argv = list(args.cmd)
    return argv[1:] if argv and argv[0] == "--" else argv


def _where(args: argparse.Namespace) -> str | None:
    """The folder the command acts in and runs CMD in (`-C DIR`), absolute; None: the working folder."""
    return os.path.abspath(args.directory) if args.directory else None


def _script(argv: list[str], where: str | None = None) -> Path | None:
    """argv[0] when it is a Python script file (`corral run tool.py ARGS`), found from `where` (`-C DIR`)."""
    from pathlib import Path

    if not argv or not argv[0].endswith(".py"):
        return None
    path = Path(where or "", argv[0])
    return path.absolute() if path.is_file() else None


def _exec(
    env: Path, argv: list[str], quiet: bool, *, extra_bins: tuple[Path, ...] = (), where: str | None = None
) -> int:
    """Exec CMD in the env, in `where` (`-C DIR`); a command that cannot start is one error line.

    (The fast path has no error handler.)
    """
    from corral.errors import CorralError
    from corral.services.run import execute, prepare

    try:
        prepared = prepare(env, argv, os.environ, extra_bins=extra_bins, cwd=where)
        if prepared is None:
            msg = f"command not found: {argv[0]} (looked in {env} and on PATH)"
            code = EXIT_NOT_FOUND
        else:
            return execute(prepared)
    except CorralError as err:
        msg, code = str(err), err.exit_code
    from corral.render.output import Output

    Output(quiet=quiet).error(msg)
    return code


def fast_path(args: argparse.Namespace) -> int | None:
    """Exec CMD at once when its env is ready (stdlib only); None takes the full path."""
    argv = _argv(args)
    if not argv or args.with_packages:
        return None
    where = _where(args)
    script = _script(argv, where)
    if script is not None:
        from pathlib import Path

        from corral.services.scripts import declares_metadata, fast_script_env

        # --locked asks whether the lock is stale, which only the full path judges (an env `run --frozen` built from
        # a stale lock is ready all the same)
        cwd = Path(where or ".")
        ready = None if args.locked else fast_script_env(script, python=args.python, environ=os.environ, cwd=cwd)
        if ready is not None:
            return _exec(ready, ["python", str(script), *argv[1:]], args.quiet, where=where)
        if declares_metadata(script):  # its own env is not ready: never the project's env instead
            return None
    env = synced_env(args, keep_last=True)
    return None if env is None else _exec(env, _python_for_script(argv, where), args.quiet, where=where)


def _sync_first(args: argparse.Namespace, ctx: Context, out: Output) -> None:
    """Sync with the flags' selection, else with the env's last one (never removing what `sync --group` added)."""
    run_sync(args, ctx, out, selection_from_args(args) if names_selection(args) else None, keep_last=True)


def _python_for_script(argv: list[str], where: str | None) -> list[str]:
    """`corral run tool.py ARGS` means `python tool.py ARGS` in the env (as `uv run` does)."""
    script = _script(argv, where)
    return ["python", str(script), *argv[1:]] if script is not None else argv


def _run_script(args: argparse.Namespace, ctx: Context, out: Output, script: Path, argv: list[str]) -> int:
    from corral.services.scripts import ensure_script_env

    built = ensure_script_env(ctx, script, python=args.python, locked=args.locked, frozen=args.frozen)
    if built.relocked is not None:
        out.info(f"locked {script.name} again: {built.relocked.name} was made from another script block or index")
    if built.created:
        out.info(f"built the env for {script.name} in {built.path}")
    return _exec(built.path, ["python", str(script), *argv[1:]], args.quiet, where=_where(args))


def _run_with(args: argparse.Namespace, ctx: Context, out: Output, argv: list[str]) -> int:
    """A cached layer with the --with packages, over the project env when there is a project."""
    from corral.core.env import Env
    from corral.services.ephemeral import refuse_legacy_layer, with_env

    base = None
    if ctx.project is not None:
        refuse_legacy_layer(ctx, base_env=ctx.project.env_path, will_sync=not args.no_sync)
        if not args.no_sync:
            _sync_first(args, ctx, out)
        else:
            _refuse_unvouched(ctx, ctx.project.env_path)
        base = ctx.project.env_path
    layer = with_env(ctx, list(args.with_packages), python=args.python, base_env=base)
    if layer.created:
        out.info(f"built the env with {', '.join(args.with_packages)} in {layer.path}")
    extra = (Env.at(base).bin_dir,) if base is not None else ()
    where = _where(args)
    return _exec(layer.path, _python_for_script(argv, where), args.quiet, extra_bins=extra, where=where)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Sync unless told not to, then exec CMD (its exit code becomes ours)."""
    from corral.errors import UsageError

    argv = _argv(args)
    if not argv:
        msg = "nothing to run: give a command, e.g. `corral run python -V`"
        raise UsageError(msg)
    if args.with_packages:
        return _run_with(args, ctx, out, argv)
    where = _where(args)
    script = _script(argv, where)
    if script is not None:
        from corral.services.scripts import script_metadata

        block, _ = script_metadata(script)
        if block or ctx.project is None:
            return _run_script(args, ctx, out, script, argv)
    project = ctx.require_project()
    if not args.no_sync:
        _sync_first(args, ctx, out)
        record_noop(args, keep_last=True)  # the next plain `corral run CMD` is then answered from the quick record
    else:
        _refuse_unvouched(ctx, project.env_path)
    return _exec(project.env_path, _python_for_script(argv, where), args.quiet, where=where)


def _refuse_unvouched(ctx: Context, env: Path) -> None:
    """--no-sync takes the env as it is: only one corral's record vouches for (sync rebuilds any other)."""
    from corral.core.env import Env
    from corral.errors import EnvError
    from corral.services.trust import why_untrusted

    model = Env.at(env)
    if not model.is_env() or not model.python.exists():
        return  # not an env, or a broken one: `_exec` says so and runs nothing
    reason = why_untrusted(ctx.paths, env)
    if reason is not None:
        msg = f"not running in {env} as it is (--no-sync): {reason}; without --no-sync, run rebuilds it from the lock"
        raise EnvError(msg)
