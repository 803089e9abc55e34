"""`corral init [PATH] [--python SPEC] [--name NAME] [--run-build-backend]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("path", nargs="?", type=Path, help="project folder (default: here; created if missing)")
    parser.add_argument("--python", "-p", metavar="SPEC", help="interpreter: 3.12, '>=3.10', cpython@3.11, a path")
    parser.add_argument("--name", help="project name (default: the folder's name)")
    parser.add_argument(
        "--run-build-backend",
        action="store_true",
        help="a setup.py/setup.cfg project: run its build backend (setup.py) to read the name and "
        "dependencies it records in [project]",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:
    """Create or adopt, then say what was made and what was kept."""
    from corral.services.init import init_project

    report = init_project(ctx, args.path, python=args.python, name=args.name, run_backend=args.run_build_backend)
    if args.json:
        out.json("init", report.to_dict())
        return 0
    if report.python_why:
        out.info(f"using Python {report.python_version} ({report.python}): {report.python_why}")
    for item in report.created:
        out.info(f"created {item}")
    for item in report.kept:
        out.info(f"kept existing {item}")
    for change in report.changed:
        out.info(f"pyproject.toml: {change}")
    if report.imported:
        out.info(f"imported {len(report.imported)} requirement(s) from requirements.txt: {', '.join(report.imported)}")
    for note in report.skipped:
        out.warn(f"not recorded: {note}")
    for warning in report.warnings:
        out.warn(warning)
    out.info(f"project ready in {report.root}")
    out.info("next: `corral add NAME` to record and install a dependency, `corral sync` to install the recorded ones")
    return 0
