"""`corral adopt [--dry-run]`: record what was installed into the env by hand (the rule: services.adopt)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.core.local_paths import PathSource
    from corral.render.output import Output
    from corral.services.context import Context


SETTING_FLAGS = ("engine",)  # options that are settings: the CLI puts them in the command-line layer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.plugins import ENGINES

    parser.add_argument("--dry-run", action="store_true", help="only show what would be recorded")
    parser.add_argument("--engine", choices=list(ENGINES), help="installer used for the env")
    parser.add_argument("--json", action="store_true", help="machine-readable report")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Record the user's own choices in pyproject.toml, their dependencies in the lock only; say which went where."""
    from corral.services.adopt import adopt

    with out.progress() as progress:
        report = adopt(ctx, dry_run=args.dry_run, engine=args.engine, progress=progress)
    if args.json:
        out.json("adopt", report.to_dict())
        return 0
    if report.locked_first:
        out.info(
            "there was no pylock.toml: "
            + ("the project would be locked first" if args.dry_run else "locked the project first")
        )
    if report.nothing:
        out.line("nothing to adopt: every installed distribution is in the lock")
        return 0
    verb = "would record" if args.dry_run else "recorded"
    for target, requirements in report.recorded.items():
        listed = [_with_source(r, report.sources.get(r)) for r in requirements]
        out.line(f"{verb} {', '.join(listed)} in {target}")
    written = {r for requirements in report.recorded.values() for r in requirements}
    for name, source in report.sources.items():
        if name not in written:  # a declared requirement installed from a folder: only its source is new
            out.line(f"{verb} where {_with_source(name, source)} comes from in [tool.uv.sources]")
    if report.lock_only:
        shown = ", ".join(f"{n} {v}" for n, v in report.lock_only)
        out.line(
            f"{'would lock' if args.dry_run else 'locked'} at the installed version, not recorded (another "
            f"package requires it, or pyproject.toml already does): {shown}"
        )
    for item in report.change.get("lock", {}).get("updated", []):
        out.info(f"~ {item['name']} {item['old']} -> {item['new']}")
    return 0


def _with_source(requirement: str, source: PathSource | None) -> str:
    """`lib (path ../lib, editable)` for a requirement recorded with a `[tool.uv.sources]` path."""
    if source is None:
        return requirement
    return f"{requirement} (path {source.path}{', editable' if source.editable else ''})"
