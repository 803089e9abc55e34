"""Edits to pyproject.toml that keep the user's formatting and comments (tomlkit), written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corral.errors import ConfigError
from corral.infra.fs import atomic_write_text
from corral.infra.toml_file import parse_toml, read_text

__all__ = ["load_document", "set_tool_values"]


def load_document(path: Path) -> Any:  # noqa: ANN401 - tomlkit's document type is dynamic
    """Parse `path` with tomlkit; errors name file and line (the same checks as infra.toml_file first)."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    text = read_text(path)
    parse_toml(text, origin=str(path))  # not UTF-8, too deep, invalid: the same one-line errors as every reader
    try:
        return tomlkit.parse(text)
    except ParseError as err:
        msg = f"{path}: invalid TOML at line {err.line}, column {err.col}: {err}; fix the file and try again"
        raise ConfigError(msg) from err
    except (RecursionError, MemoryError) as err:
        msg = f"{path}: the TOML is too deeply nested or too large to edit; fix the file and try again"
        raise ConfigError(msg) from err


def set_tool_values(path: Path, values: dict[str, Any]) -> bool:
    """Set keys in `[tool.corral]`, creating the table if needed; returns True when the file changed."""
    import tomlkit

    doc = load_document(path)
    before = tomlkit.dumps(doc)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    table = tool.setdefault("corral", tomlkit.table())
    for key, value in values.items():
        table[key] = value
    after = tomlkit.dumps(doc)
    if after == before:
        return False
    atomic_write_text(path, after, root=path.parent)
    return True
