"""`corral config`: effective settings with their sources."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.config import Value
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Show every setting, its value and where it came from."""
    from corral.services.config import SETTINGS

    values = {name: _shown(v) for name, v in ctx.settings.effective().items()}
    unknown = ctx.settings.unknown_keys()
    if args.json:
        data = {name: {"value": value, "source": source} for name, (value, source) in values.items()}
        out.json("config", {"settings": data, "unknown": unknown, "user_file": str(ctx.paths.user_config_file)})
        return 0
    rows = [[s.name, json.dumps(values[s.name][0]), values[s.name][1], s.env_var] for s in SETTINGS]
    out.table(
        ["setting", "value", "from", "env variable"], rows, footer=f"user config file: {ctx.paths.user_config_file}"
    )
    for key in unknown:
        out.warn(f"unknown setting {key!r} in [tool.corral] or the user config (typo?)")
    return 0


def _shown(effective: Value) -> tuple[object, str]:
    """(value, source) as printed: an index URL's credentials (`https://__token__:SECRET@host`) shown as `****`."""
    from corral.core.urls import redacted

    value: object = effective.value
    if isinstance(value, str):
        value = redacted(value)
    elif isinstance(value, list):
        value = [redacted(item) if isinstance(item, str) else item for item in value]
    return value, str(effective.source)
