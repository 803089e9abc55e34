"""`corral info [PATH]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("path", nargs="?", type=Path, help="the env (default: the project's env)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Describe the env from its files."""
    from corral.render.output import human_size
    from corral.services.inspection import inspect_env
    from corral.services.legacy import notice_for_env

    target = (ctx.cwd / args.path).absolute() if args.path is not None else ctx.require_project().env_path
    info = inspect_env(target)
    notice = notice_for_env(ctx, target)
    if args.json:
        out.json("info", info.to_dict(), messages=[notice] if notice else [])
        return 0
    if notice:
        out.warn(notice)
    prov = info.provenance
    rows = [
        ("path", str(info.root)),
        ("layout", f"{info.layout}/"),
        ("python", f"{info.python} -> {info.python_target or '(file)'}" + ("" if info.python_ok else "  BROKEN")),
        ("base", f"{info.base_home} (Python {info.version})" + ("" if info.base_ok else "  MISSING")),
        ("system site-packages", "visible" if info.system_site_packages else "hidden"),
        (
            "created by",
            info.creator + (f", corral {prov.corral_version} ({prov.creator})" if prov else " (not made by corral)"),
        ),
        ("legacy", "yes: Python past end of life" if info.legacy else "no"),
        ("size", human_size(info.size)),
        ("packages", str(len(info.distributions))),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.line(f"{key:<{width}}  {value}")
    for name, version in sorted(info.distributions.items(), key=lambda kv: kv[0].lower()):
        out.line(f"  {name} {version}")
    for key, value in info.cfg.items():
        out.debug(f"pyvenv.cfg {key} = {value}")
    return 0
