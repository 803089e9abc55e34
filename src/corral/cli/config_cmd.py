"""`corral config`: effective settings with their sources."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Show every setting, its value and where it came from."""
    from corral.services.config import SETTINGS

    values = ctx.settings.effective()
    unknown = ctx.settings.unknown_keys()
    if args.json:
        data = {name: {"value": v.value, "source": v.source} for name, v in values.items()}
        out.json("config", {"settings": data, "unknown": unknown, "user_file": str(ctx.paths.user_config_file)})
        return 0
    rows = [[s.name, json.dumps(values[s.name].value), values[s.name].source, s.env_var] for s in SETTINGS]
    out.table(
        ["setting", "value", "from", "env variable"], rows, footer=f"user config file: {ctx.paths.user_config_file}"
    )
    for key in unknown:
        out.warn(f"unknown setting {key!r} in [tool.corral] or the user config (typo?)")
    return 0
