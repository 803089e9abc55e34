"""`corral adopt`: record what is installed in the env but missing from the lock (pyproject + re-lock)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--dry-run", action="store_true", help="only show what would be added")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Add installed-but-unlocked distributions to [project].dependencies (name==version) and re-lock."""
    from corral.doctor.drift import lock_drift  # noqa: PLC0415
    from corral.errors import EnvError  # noqa: PLC0415
    from corral.services.doctor import make_target  # noqa: PLC0415

    target = make_target(ctx, None)
    drift = lock_drift(target)
    if drift is None:
        msg = "cannot compare the env with the lock (no pylock.toml or lock support); run `corral lock` first"
        raise EnvError(msg)
    _, extra, other = drift
    wanted = [f"{n}=={v}" for n, v in extra] + [f"{n}=={i}" for n, i, _ in other]
    if not wanted:
        out.line("nothing to adopt: every installed distribution is in the lock")
        return 0
    if args.dry_run:
        for req in wanted:
            out.line(f"would add {req}")
        return 0
    try:
        from corral.services.deps import add  # noqa: PLC0415
    except ImportError as err:
        msg = ("`corral adopt` needs the dependency editor (corral.services.deps), which this build lacks; add them "
               f"by hand to [project].dependencies: {' '.join(wanted)}")
        raise EnvError(msg) from err
    add(ctx, wanted)
    for req in wanted:
        out.line(f"adopted {req}")
    return 0
