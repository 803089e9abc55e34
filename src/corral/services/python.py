"""`corral python list|find|pin`, and the choice of interpreter for a project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.spec import PythonSpec
from corral.errors import ConfigError
from corral.infra.fs import atomic_write_text

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = ["PYTHON_VERSION_FILE", "choose_interpreter", "list_interpreters", "pin", "read_python_version"]

PYTHON_VERSION_FILE = ".python-version"


def list_interpreters(ctx: Context) -> list[InterpreterInfo]:
    """Every interpreter found, newest first."""
    return ctx.finder.all()


def read_python_version(start: Path) -> tuple[str, Path] | None:
    """The first request in the nearest `.python-version` at or above `start` (pyenv/uv format)."""
    for folder in (start, *start.parents):
        candidate = folder / PYTHON_VERSION_FILE
        if candidate.is_file():
            for line in candidate.read_text(encoding="utf-8", errors="replace").splitlines():
                text = line.split("#", 1)[0].strip()
                if text:
                    return text, candidate
    return None


def choose_interpreter(ctx: Context, requested: str | None = None) -> tuple[InterpreterInfo, str]:
    """The interpreter a command should use, and why (flag, setting, .python-version, requires-python, default)."""
    if requested:
        return ctx.finder.find(requested), "--python"
    setting = ctx.settings.get("python")
    if setting.value:
        return ctx.finder.find(str(setting.value)), setting.source
    pinned = read_python_version(ctx.project.root if ctx.project else ctx.cwd)
    if pinned is not None:
        text, where = pinned
        try:
            spec = PythonSpec.parse(text)
        except ValueError as err:
            msg = f"{where}: {err}"
            raise ConfigError(msg) from err
        return ctx.finder.find(spec), str(where)
    if ctx.project and ctx.project.requires_python:
        spec = PythonSpec.parse(ctx.project.requires_python)
        return ctx.finder.find(spec), f"requires-python in {ctx.project.pyproject}"
    return ctx.finder.default(), "newest stable Python found"


def pin(ctx: Context, spec_text: str) -> tuple[Path, InterpreterInfo]:
    """Write `.python-version` in the project root (or cwd) after checking the spec matches something."""
    spec = PythonSpec.parse(spec_text)
    found = ctx.finder.find(spec)
    text = found.version if spec.path is not None else spec.text
    folder = ctx.project.root if ctx.project else ctx.cwd
    target = folder / PYTHON_VERSION_FILE
    atomic_write_text(target, text + "\n", root=folder)
    return target, found
