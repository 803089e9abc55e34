"""Whether a project's pyproject.toml, or the user config, leaves a script env's key to the environment.

The quick paths' second look (`infra.script_request.environ_only_request`). Without it, they declined, without
parsing it, any pyproject.toml holding the word `corral` (or a TOML escape): its `[tool.corral]` table may state
the interpreter (`python`) or an index (`index-url`, `extra-index-urls`), which a script, `x` or `--with` env's
key holds. Most such tables state other settings (`venv-dir`, `seed`, `default-groups`), and each such run then paid
the full path (~130 ms more than the quick one); and a file without the word was not read at all, so a malformed
one, which fails the full path, was never reported. `states_no_request` parses the file as the full path does
(`load_project`'s UTF-8 folder name; `Context.settings`: `[tool.corral]` and the `[tool.uv]` settings corral
honours, every value checked) and answers True only when it is valid and states none of the three: the full path
would then make the same key, and would not have failed. `config_states_no_request` does the same for the user
config. The quick paths remember a True while the file's stat holds (`infra.script_request.remembered`).
`settings_valid` checks the settings' variables whose value is not in the env's key (`CORRAL_SEED`, ...), as the
full path does; the quick paths remember a True for those values (`infra.script_request.remembered_settings`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["config_states_no_request", "settings_valid", "states_no_request"]

_KEYED = ("python", "index-url", "extra-index-urls")  # what `services.scripts.env_request` reads from the project


def states_no_request(pyproject: str) -> bool:
    """True when `pyproject` is valid for the full path and its `[tool.corral]` names no interpreter or index."""
    from corral.errors import CorralError
    from corral.infra.fs import require_utf8_path
    from corral.infra.toml_file import read_toml
    from corral.services.config import Settings, uv_settings

    path = Path(pyproject)
    try:
        require_utf8_path(path.parent, "project folder")  # `load_project`'s refusal
        data = read_toml(path)
        tool = data.get("tool", {})
        table = tool.get("corral", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict) or any(key in table for key in _KEYED):
            return False
        Settings(project_table=table, project_file=path, environ={}, uv_table=uv_settings(data, path)).validate()
    except (CorralError, OSError, ValueError, RecursionError):
        return False
    return True


def config_states_no_request(config_file: str) -> bool:
    """True when the user config `config_file` is valid for the full path and names no interpreter or index."""
    from corral.errors import CorralError
    from corral.infra.toml_file import read_toml
    from corral.services.config import Settings

    path = Path(config_file)
    try:
        data = read_toml(path)
        table = data.get("corral", data)  # `Settings._read_user`: a `[corral]` table, else the top level
        if isinstance(table, dict) and any(key in table for key in _KEYED):
            return False
        Settings(user_file=path, environ={}).validate()
    except (CorralError, OSError, ValueError, RecursionError):
        return False
    return True


def settings_valid(settings: dict[str, str]) -> bool:
    """True when the full path accepts each of these `CORRAL_*` variables' values (`Settings.validate`)."""
    from corral.errors import CorralError
    from corral.services.config import Settings

    try:
        Settings(environ=settings).validate()
    except (CorralError, ValueError):
        return False
    return True
