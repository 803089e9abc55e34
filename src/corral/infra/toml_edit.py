"""Edits to pyproject.toml that keep the user's formatting and comments (tomlkit), written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corral.errors import ConfigError
from corral.infra.fs import atomic_write_text

__all__ = ["load_document", "set_tool_values"]


def load_document(path: Path) -> Any:  # noqa: ANN401 - tomlkit's document type is dynamic
    """Parse `path` with tomlkit; errors name file and line."""
    import tomlkit  # noqa: PLC0415 - only commands that edit pay for it
    from tomlkit.exceptions import ParseError  # noqa: PLC0415

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except ParseError as err:
        msg = f"{path}: invalid TOML at line {err.line}, column {err.col}: {err}; fix the file and try again"
        raise ConfigError(msg) from err


def set_tool_values(path: Path, values: dict[str, Any]) -> bool:
    """Set keys in `[tool.corral]`, creating the table if needed; returns True when the file changed."""
    import tomlkit  # noqa: PLC0415

    doc = load_document(path)
    before = tomlkit.dumps(doc)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    table = tool.setdefault("corral", tomlkit.table())
    for key, value in values.items():
        table[key] = value
    after = tomlkit.dumps(doc)
    if after == before:
        return False
    atomic_write_text(path, after)
    return True
