"""`corral kernel add|list|remove`: Jupyter kernels that start the project's env."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands."""
    from corral.plugins import ENGINES

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="install ipykernel into the project's env (recorded in the `jupyter` group) and register a kernel for it",
    )
    add.add_argument("--name", help="kernel name: lower-case letters, digits, - . _ (default: the project name)")
    add.add_argument("--display-name", metavar="TEXT", help="name shown in Jupyter (default: Python X.Y (project))")
    where = add.add_mutually_exclusive_group()
    where.add_argument(
        "--user",
        dest="scope",
        action="store_const",
        const="user",
        help="in your Jupyter data folder, seen by every Jupyter (default)",
    )
    where.add_argument(
        "--sys-prefix",
        dest="scope",
        action="store_const",
        const="sys-prefix",
        help="inside the env (<env>/share/jupyter), seen only by a Jupyter running from the env",
    )
    add.add_argument("--engine", choices=list(ENGINES), help="installer engine for ipykernel")
    add.add_argument("--json", action="store_true", help="machine-readable output")
    add.set_defaults(scope="user")
    lst = sub.add_parser("list", help="every kernel on this machine, the env it starts and whether that env works")
    lst.add_argument("--check", action="store_true", help="also start each interpreter and import ipykernel")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    rm = sub.add_parser("remove", help="delete a kernelspec (only a folder holding kernel.json)")
    rm.add_argument("name", help="the kernel's name (see `corral kernel list`)")
    rm.add_argument("--yes", "-y", action="store_true", help="accepted for scripts; removal never prompts")
    rm.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Dispatch to the action."""
    action = {"add": _add, "list": _list, "remove": _remove}[args.action]
    return action(args, ctx, out)


def _add(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.kernels import add_kernel

    with out.progress() as progress:
        result = add_kernel(
            ctx, name=args.name, display_name=args.display_name, scope=args.scope, engine=args.engine, progress=progress
        )
    if args.json:
        out.json("kernel add", result.to_dict(), messages=list(result.notes))
        return 0
    if result.recorded:
        out.info("recorded ipykernel in the `jupyter` dependency group (a default group: `corral sync` keeps it)")
    out.info(f"registered kernel {result.name!r} ({result.display_name}) -> {result.argv[0]}")
    for note in result.notes:
        out.info(f"note: {note}")
    out.line(str(result.resource_dir))
    return 0


def _list(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.kernels import list_all

    entries = list_all(ctx, check=args.check)
    if args.json:
        out.json("kernel list", {"kernels": [e.to_dict() for e in entries]})
        return 0
    if not entries:
        out.info("no Jupyter kernels found; `corral kernel add` registers one for this project")
        return 0
    rows = []
    for e in entries:
        status = "ok" if e.status == "ok" else f"{e.status.upper()}"
        if e.shadowed:
            status += " (shadowed)"
        rows.append(
            [e.name, status, str(e.env) if e.env else (e.spec.python or "?") if e.spec else "?", str(e.resource_dir)]
        )
    out.table(["NAME", "STATUS", "ENV", "SPEC"], rows)
    bad = [e for e in entries if not e.works and not e.shadowed]
    for e in bad:
        out.warn(
            f"kernel {e.name!r}: {e.detail}; fix: `corral kernel remove {e.name}`"
            + ("" if e.status == "unreadable" else " (or recreate the env, then `corral kernel add`)")
        )
    return 0


def _remove(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.kernels import remove_kernel

    removed = remove_kernel(ctx, args.name)
    if args.json:
        out.json("kernel remove", {"name": args.name.lower(), "removed": str(removed)})
        return 0
    out.info(f"removed kernel {args.name.lower()!r}")
    out.line(str(removed))
    return 0
