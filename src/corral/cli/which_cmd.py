"""`corral which [--json]`: which env is really live, and whether it is this project's (exit 1 when it is not)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--check",
        action="store_true",
        help="kept for old scripts: `corral which` always exits 1 when something is not as expected",
    )
    parser.add_argument("--shell", metavar="NAME", help="shell for the suggested fix (default: detected)")


def _hint(args: argparse.Namespace, ctx: Context) -> str:
    from corral.cli.activate_cmd import usage_line
    from corral.plugins import detect_shell

    name = args.shell or (found.name if (found := detect_shell(ctx.environ)) else "bash")
    return usage_line(name, "activate") + "   (or `corral shell`)"


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Show the report; warn with the fix for each problem."""
    from corral.services.which import which

    report = which(ctx, activate_hint=_hint(args, ctx))
    failed = 0 if report.ok else 1  # a check, like doctor: a script can `corral which && ...`
    if args.json:
        out.json(
            "which",
            report.to_dict(),
            status="success" if report.ok else "partial",
            messages=[f"{p.message}; fix: {p.fix}" for p in report.problems],
        )
        return failed
    rows = [("VIRTUAL_ENV", report.virtual_env or "(not set)"), ("project env", report.project_env or "(none)")]
    if report.hook is not None:
        rows.append(("cd-hook", report.hook))
    for item in (report.python, report.pip):
        if item.path is None:
            rows.append((item.name, "not found on PATH"))
            continue
        target = f" -> {item.realpath}" if item.realpath != item.path else ""
        rows.append((item.name, f"{item.path}{target}  ({item.version or 'version unknown'})"))
        rows.append((f"{item.name} env", item.env or "(not in an env)"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.line(f"{key:<{width}}  {value}")
    for problem in report.problems:
        out.warn(f"{problem.message}\n  fix: {problem.fix}")
    return failed
