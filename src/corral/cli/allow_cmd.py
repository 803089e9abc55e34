"""`corral allow [PATH] [--revoke]`: let the cd-hook activate an env corral did not create (`--revoke`: stop it).

Refused for an env another user owns or can write to (services.trust explains the rule).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument(
        "path", nargs="?", type=Path, help="the env, or a project folder (its env); default: this project's env"
    )
    parser.add_argument("--revoke", action="store_true", help="forget the allowance instead")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _target(args: argparse.Namespace, ctx: Context) -> Path:
    from corral.services.activation import resolve_env
    from corral.services.project import load_project

    if args.path is not None:
        given = (ctx.cwd / args.path).absolute()
        if not (given / "pyvenv.cfg").is_file() and (given / "pyproject.toml").is_file():
            project = load_project(given)
            return resolve_env(ctx, project.env_path if project else given)
        return resolve_env(ctx, given)
    return resolve_env(ctx)


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Record or forget the allowance."""
    from corral.services.trust import allow_env, revoke_env

    if args.revoke:
        target = (ctx.cwd / args.path).absolute() if args.path else ctx.require_project().env_path
        revoked = revoke_env(ctx.paths, target)
        if args.json:
            out.json("allow", {"env": str(target), "allowed": False, "changed": bool(revoked)})
        elif revoked:
            out.info(f"revoked: the cd-hook will no longer activate {target}")
        else:
            out.info(f"{target} was not allowed; nothing to revoke")
        return 0
    real = allow_env(ctx.paths, _target(args, ctx))
    if args.json:
        out.json("allow", {"env": str(real), "allowed": True, "changed": True})
        return 0
    out.info(f"allowed {real}: the cd-hook will activate it (until the env is replaced or its pyvenv.cfg changes)")
    return 0
