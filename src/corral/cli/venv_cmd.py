"""`corral venv [PATH]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


# options that are settings: the CLI puts their values in the settings' command-line layer
SETTING_FLAGS = ("python", "system-site-packages", "prompt", "seed", "creator")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    from corral.plugins import CREATORS

    parser.add_argument("path", nargs="?", type=Path, help="where to create it (default: the project's .venv)")
    parser.add_argument("--python", "-p", metavar="SPEC", help="interpreter: 3.12, '>=3.10', cpython@3.11, a path")
    parser.add_argument(
        "--system-site-packages",
        action="store_true",
        default=None,
        help="let the env see the base interpreter's packages (recorded in [tool.corral])",
    )
    parser.add_argument("--prompt", metavar="NAME", help="name shown in the shell prompt while active")
    parser.add_argument("--seed", dest="seed", action="store_true", default=None, help="install pip (default)")
    parser.add_argument("--no-seed", dest="seed", action="store_false", help="do not install pip")
    parser.add_argument("--creator", choices=list(CREATORS), help="force a creator")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Create the env and say what was chosen."""
    from corral.services.create import create_env
    from corral.services.legacy import notice_for_env

    made = create_env(ctx, args.path)  # --python, --seed, ...: in ctx.settings (SETTING_FLAGS)
    notice = notice_for_env(ctx, made.path)
    if args.json:
        out.json(
            "venv",
            {
                "path": str(made.path),
                "python": made.interpreter.to_dict(),
                "creator": made.creator,
                "seeded": made.seeded,
                "system_site_packages": made.system_site_packages,
            },
            messages=[notice] if notice else [],
        )
        return 0
    interp = made.interpreter
    out.info(
        f"created {made.path} with {interp.implementation} {interp.version} ({interp.path}, "
        f"chosen by {made.interpreter_reason}) using the {made.creator} creator"
    )
    if notice:
        out.warn(notice)
    if made.recorded_options:
        import json

        settings = ", ".join(f"{key} = {json.dumps(value)}" for key, value in made.recorded_options.items())
        out.info(f"recorded {settings} in pyproject.toml's [tool.corral] (a rebuild repeats it)")
    out.line(str(made.path))
    return 0
