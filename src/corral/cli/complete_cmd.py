"""`corral __complete KIND` (internal, hidden): the names a completion script offers, one a line.

Asked at every <Tab>, so it answers from files only: dependency groups and extras from the nearest
pyproject.toml, kernel names from Jupyter's kernel folders, shells from corral's table. An unreadable file
answers nothing (a completion never prints an error into the user's command line).
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from corral.render.completion import DYNAMIC

if TYPE_CHECKING:
    from corral.render.output import Output
    from corral.services.context import Context

__all__ = ["configure", "fast_path", "handle", "values"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options."""
    parser.add_argument("kind", choices=DYNAMIC)


def _pyproject(start: Path) -> dict[str, object]:
    from corral.errors import CorralError
    from corral.infra.toml_file import read_toml

    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                return read_toml(candidate)
            except (CorralError, OSError):
                return {}
    return {}


def _table_keys(data: dict[str, object], *path: str) -> list[str]:
    node: object = data
    for part in path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return sorted(str(k) for k in node) if isinstance(node, dict) else []


_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # PEP 508/735 names; kernel folder names


def values(kind: str, start: Path) -> list[str]:
    """The names of `kind` (one of DYNAMIC) seen from folder `start`, only plain ones.

    A pyproject.toml is untrusted: a group named `$(touch x)` or one holding a newline or a quote would be code or
    two words to the shell that completes it, so only names of letters, digits, `.`, `_` and `-` are offered.
    """
    return [name for name in _values(kind, start) if _PLAIN_NAME.fullmatch(name)]


def _values(kind: str, start: Path) -> list[str]:
    if kind == "groups":
        return _table_keys(_pyproject(start), "dependency-groups")
    if kind == "extras":
        return _table_keys(_pyproject(start), "project", "optional-dependencies")
    if kind == "shells":
        from corral.plugins import shell_names

        return shell_names()
    from corral.kernels.registry import kernels_dirs
    from corral.kernels.spec import KERNEL_JSON

    names: set[str] = set()
    for folder, _ in kernels_dirs(os.environ):
        try:
            names.update(c.name.lower() for c in Path(folder).iterdir() if (c / KERNEL_JSON).is_file())
        except OSError:  # noqa: PERF203 - one unreadable folder must not hide the others
            continue
    return sorted(names)


def fast_path(args: argparse.Namespace) -> int:
    """Print the names; never an error."""
    from corral.render.output import Output

    start = Path(args.directory).absolute() if args.directory else Path.cwd()
    out = Output()
    for name in values(args.kind, start):
        out.line(name)
    return 0


def handle(args: argparse.Namespace, ctx: Context, out: Output) -> int:  # noqa: ARG001 - fast_path always answers
    """Print the names (fast_path does it before any context is built)."""
    return fast_path(args)
