"""`corral add REQ... [--group NAME | --dev] [--optional EXTRA]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from corral.render.output import Output
    from corral.services.context import Context


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.plugins import ENGINES

    parser.add_argument(
        "requirements",
        nargs="+",
        metavar="REQ",
        help="PEP 508 requirement ('name>=1', 'name[extra]; marker'), a local path, or a VCS URL",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--group", "-G", metavar="NAME", help="add to [dependency-groups].NAME")
    where.add_argument("--dev", action="store_const", const="dev", dest="group", help="same as --group dev")
    where.add_argument("--optional", metavar="EXTRA", help="add to [project.optional-dependencies].EXTRA")
    where.add_argument("--script", metavar="FILE", help="record in FILE's own PEP 723 `# /// script` block instead")
    parser.add_argument(
        "--editable",
        "-e",
        action="store_true",
        help="local folders installed editable (editable = true in [tool.uv.sources])",
    )
    parser.add_argument("--engine", choices=list(ENGINES), help="installer used for the env")
    parser.add_argument("--json", action="store_true", help="machine-readable report of what changed")


def fast_path(args: argparse.Namespace) -> None:
    """Before the context is built: a plain add's `uv lock` begun from the recorded plan (`lock_quick.add_head_start`).

    Plain: requirements into the project's dependencies (no group, extra or script). Never answers the command.
    """
    if not (args.group or args.optional or args.script or args.editable):
        import os

        from corral.cli.lock_quick import add_head_start

        cwd = os.path.abspath(args.directory) if args.directory else os.getcwd()
        add_head_start(list(args.requirements), cwd, os.environ)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Record, lock, install; all or nothing."""
    if args.script:
        from pathlib import Path

        if args.editable:
            from corral.errors import UsageError

            raise UsageError("--editable takes no --script: a script's block records no local folders")

        from corral.services.script_edit import add_to_script

        script = (ctx.cwd / args.script).absolute()
        env = add_to_script(ctx, script, args.requirements)
        if args.json:
            out.json("add", {"script": str(script), "requirements": args.requirements, "env": str(env)})
        else:
            out.info(f"added {', '.join(args.requirements)} to {Path(args.script)}'s script block (env: {env})")
        return 0
    from corral.services.add_remove import add

    with out.progress() as progress:
        report = add(
            ctx,
            args.requirements,
            group=args.group,
            optional=args.optional,
            engine=args.engine,
            progress=progress,
            editable=args.editable,
        )
    return shown_and_recorded(report, args, ctx, out)


def shown_and_recorded(report: object, args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """After add/remove committed: the report, then the lock's no-op check, so that `corral lock` next is at once.

    A Ctrl-C from here on waits for the report (the change is committed).
    """
    from corral.cli.streams import point_of_no_return

    point_of_no_return()
    code = show(report, args, out)
    project = ctx.require_project()
    record_lock_noop(project.root, project.env_path)
    return code


def record_lock_noop(root: Path, env: Path, longest: float = 0.1) -> None:
    """The no-op check of `corral lock` for the project at `root`, run now: its quick lock record is then written.

    As after `corral lock` (`cli.lock_cmd`): the stamp's check (`lock_quick.unchanged_report`) writes the record
    only when the stamp says pylock.toml is what `corral lock` would write now. The files the work just wrote
    (pyproject.toml, the env's, its sync stamp) are observed by their stat (`cli.quick.observe`), and a record
    is written only once every such stat is proof against a write in the same clock tick
    (`cli.quick.settle_margin`: 50 ms): that is waited for first, `longest` at most (a coarse file system's 2 s
    margin is not: no record then). Never fails the command: a record only saves the next command time.
    """
    import contextlib
    import os
    import time

    from corral.cli import quick
    from corral.cli.lock_quick import unchanged_report

    with contextlib.suppress(Exception):
        dirs = quick.corral_dirs(os.environ)
        if dirs is not None:
            wait = (quick.observe(str(root), str(env), dirs, os.environ)[1] - time.time_ns()) / 1e9
            if 0 < wait <= longest:
                time.sleep(wait)
        unchanged_report(root, os.environ, time.monotonic())


def show(report: object, args: argparse.Namespace, out: Output) -> int:
    """Print a ChangeReport (shared by add and remove)."""
    data = report.to_dict()  # type: ignore[attr-defined]
    if args.json:
        out.json(data["action"], data)
        return 0
    env = data.get("sync") or {}
    if env:  # what this env got; a lock for several Pythons may hold more versions of a name (one line below)
        _changes(out, env.get("installed", []), env.get("changed", []), env.get("removed", []), key="old")
        locked = [
            (i["name"], str(i.get("version") or i["new"])) for i in [*data["lock"]["added"], *data["lock"]["updated"]]
        ]
        spread = [f"{name} {versions}" for name, versions in locked if ", " in versions]
        if spread:
            out.info(f"pylock.toml holds one version per Python it supports: {'; '.join(spread)}")
    else:
        lock = data["lock"]
        _changes(
            out,
            [{"name": i["name"], "new": i["version"]} for i in lock["added"]],
            lock["updated"],
            lock["removed"],
            key="version",
        )
    verb = "added" if data["action"] == "add" else "removed"
    out.info(f"{verb} {', '.join(data['requirements'])} ({data['target']}); pyproject.toml and pylock.toml updated")
    return 0


def _changes(
    out: Output,
    installed: list[dict[str, str]],
    changed: list[dict[str, str]],
    removed: list[dict[str, str]],
    *,
    key: str,
) -> None:
    for item in installed:
        out.info(f"+ {item['name']} {item['new'] or ''}".rstrip())
    for item in changed:
        out.info(f"~ {item['name']} {item['old']} -> {item['new']}")
    for item in removed:
        out.info(f"- {item['name']} {item[key]}")
