"""`corral doctor [PATH] [--json] [--fix] [--yes]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("path", nargs="?", type=Path, help="the env to check (default: the project's env)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--fix", action="store_true", help="apply each finding's fix (asks first unless --yes)")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask before fixing")


def confirmer(args: argparse.Namespace, out: Output, what: str) -> object:
    """A confirm(question) callable: yes with --yes, a prompt on a terminal, a refusal otherwise."""
    from corral.errors import UsageError

    if args.yes:
        return lambda _q: True
    if not sys.stdin.isatty():
        msg = f"{what} needs confirmation but stdin is not a terminal; pass --yes to proceed"
        raise UsageError(msg)

    def ask(question: str) -> bool:
        out.info(question + " [y/N]")
        return input().strip().lower() in {"y", "yes"}

    return ask


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Check the env, print one line per finding with its fix; --fix repairs."""
    if args.fix:
        return _handle(args, ctx, out)
    # Without --fix doctor only reads and imports: the cyclic collector would sweep import-made objects ~10 times
    # (~1-2 ms) and free nothing worth it. Switched back on after, for a caller that lives on (tests, in-process).
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _handle(args, ctx, out)
    finally:
        if collecting:
            gc.enable()


def _handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    from corral.services.doctor import apply_fixes, diagnose

    confirm = confirmer(args, out, "corral doctor --fix") if args.fix else None
    watch = None
    if not (args.fix or args.json or args.path or args.directory):  # what `cli.doctor_quick` may answer next time
        from corral.cli.doctor_quick import Watch

        watch = Watch.begin(ctx)
    report, target = diagnose(ctx, args.path)
    if confirm is not None and report.findings:
        outcomes = apply_fixes(ctx, report, target, confirm=confirm)  # type: ignore[arg-type]
        for outcome in outcomes:
            (out.info if outcome.done else out.warn)(
                f"{'fixed' if outcome.done else 'not fixed'} [{', '.join(outcome.codes)}]: {outcome.text}"
            )
        ctx.__dict__.pop("project", None)  # the fixes may have rewritten pyproject/lock
        report, target = diagnose(ctx, args.path)
    if args.json:
        out.json("doctor", report.to_dict(), status="success" if report.ok else "error")
        return 0 if report.ok else 1
    if not report.findings:
        healthy = f"ok: {report.env} is healthy"
        if not out.quiet:  # -q: nothing on a healthy env (findings are still printed, the exit code says which)
            out.line(healthy)
        if watch is not None and not report.skipped:
            from corral.render.output import terminal_safe

            watch.healthy(ctx, target, terminal_safe(healthy) + "\n")  # what out.line writes without -q
    for finding in report.sorted():
        fix = f"  fix: {finding.fix}" if finding.fix else ""
        out.line(f"{finding.severity:<7} {finding.code}: {finding.message}{fix}")
    for note in report.skipped:
        out.info(f"note: {note}")
    return 0 if report.ok else 1
