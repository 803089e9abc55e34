"""Find the project a command acts on and read its `[tool.corral]` table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral.errors import ConfigError, ProjectNotFound
from corral.infra.toml_file import read_toml

__all__ = ["PYPROJECT", "Project", "find_project_root", "load_project"]

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True, kw_only=True, slots=True)
class Project:
    """A folder with a pyproject.toml."""

    root: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def pyproject(self) -> Path:
        """Path of pyproject.toml."""
        return self.root / PYPROJECT

    @property
    def name(self) -> str:
        """[project].name, else the folder's name."""
        project = self.data.get("project")
        if isinstance(project, dict) and isinstance(project.get("name"), str):
            return str(project["name"])
        return self.root.name

    @property
    def tool(self) -> dict[str, Any]:
        """The `[tool.corral]` table (empty when absent)."""
        tool = self.data.get("tool", {})
        table = tool.get("corral", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            msg = f"{self.pyproject}: [tool.corral] must be a table, not {type(table).__name__}"
            raise ConfigError(msg)
        return table

    @property
    def requires_python(self) -> str | None:
        """[project].requires-python, when set."""
        project = self.data.get("project")
        value = project.get("requires-python") if isinstance(project, dict) else None
        return value if isinstance(value, str) else None

    @property
    def env_path(self) -> Path:
        """Where the project's env lives (`[tool.corral] venv-dir`, default `.venv`)."""
        from corral.services.config import checked_file_value  # noqa: PLC0415

        rel = checked_file_value("venv-dir", self.tool.get("venv-dir", ".venv"), self.pyproject)
        return (self.root / str(rel)).absolute()


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml."""
    here = start.absolute()
    for folder in (here, *here.parents):
        if (folder / PYPROJECT).is_file():
            return folder
    return None


def load_project(start: Path, *, required: bool = True) -> Project | None:
    """The project around `start`; ProjectNotFound when `required` and there is none."""
    root = find_project_root(start)
    if root is None:
        if required:
            msg = f"no pyproject.toml in {start.absolute()} or any parent folder; run `corral init` to make one"
            raise ProjectNotFound(msg)
        return None
    return Project(root=root, data=read_toml(root / PYPROJECT))
