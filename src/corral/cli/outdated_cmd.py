"""`corral outdated`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _allowed(row: object) -> str:
    if row.allowed:  # type: ignore[attr-defined]
        return "yes"
    best = row.latest_allowed  # type: ignore[attr-defined]
    return f"no (newest allowed: {best})" if best else "no"


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Ask the index, print one row per package with newer releases."""
    from corral.services.outdated import outdated

    rows = outdated(ctx)
    if args.json:
        out.json("outdated", [r.to_dict() for r in rows])
        return 0
    if not rows:
        out.info("every locked package is at its newest release")
        return 0
    out.table(
        ["package", "locked", "latest", "allowed", "constraint"],
        [[r.name, r.locked, r.latest, _allowed(r), r.constraint or "-"] for r in rows],
        footer=(
            "allowed = permitted by pyproject.toml and the locked packages that require it; "
            "run `corral lock --upgrade-package NAME` to take it"
        ),
    )
    return 0
