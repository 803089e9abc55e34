"""Whether a project's pyproject.toml leaves a script env's key to the environment: the quick paths' second look.

`infra.script_request.environ_only_request` declines, without parsing it, any pyproject.toml holding the word
`corral` (or a TOML escape): its `[tool.corral]` table may state the interpreter (`python`) or an index
(`index-url`, `extra-index-urls`), which a script, `x` or `--with` env's key holds. Most such tables state other
settings (`venv-dir`, `seed`, `default-groups`), and each such run then paid the full path (~130 ms more than the
quick one). `states_no_request` parses the file as the full path does (`Context.settings`: `[tool.corral]` and
the `[tool.uv]` settings corral honours, every value checked) and answers True only when it is valid and states
none of the three: the full path would then make the same key, and would not have failed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["states_no_request"]

_KEYED = ("python", "index-url", "extra-index-urls")  # what `services.scripts.env_request` reads from the project


def states_no_request(pyproject: str) -> bool:
    """True when `pyproject` is valid for the full path and its `[tool.corral]` names no interpreter or index."""
    from corral.errors import CorralError
    from corral.infra.toml_file import read_toml
    from corral.services.config import Settings, uv_settings

    path = Path(pyproject)
    try:
        data = read_toml(path)
        tool = data.get("tool", {})
        table = tool.get("corral", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict) or any(key in table for key in _KEYED):
            return False
        Settings(project_table=table, project_file=path, environ={}, uv_table=uv_settings(data, path)).validate()
    except (CorralError, OSError, ValueError, RecursionError):
        return False
    return True
