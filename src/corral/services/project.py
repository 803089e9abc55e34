"""Find the project a command acts on and read its `[tool.corral]` table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corral.core.frozen import Frozen
from corral.errors import ConfigError, ProjectNotFound
from corral.infra.toml_file import read_toml

__all__ = ["PYPROJECT", "Project", "find_project_root", "load_project"]

PYPROJECT = "pyproject.toml"


class Project(Frozen):
    """A folder with a pyproject.toml."""

    __slots__ = ("data", "root", "trusted_venv_dir")
    root: Path
    data: dict[str, Any]
    # venv-dir from a source the user controls (command line, CORRAL_VENV_DIR, user config): may point anywhere
    trusted_venv_dir: str | None

    def __init__(self, *, root: Path, data: dict[str, Any] | None = None, trusted_venv_dir: str | None = None) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(root=root, data={} if data is None else data, trusted_venv_dir=trusted_venv_dir)

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
        """Where the project's env lives: `[tool.corral] venv-dir` (default `.venv`), or a trusted venv-dir.

        A project file is untrusted: its venv-dir must name a folder inside the project, symlinks resolved
        (ConfigError otherwise). The user's own venv-dir (`trusted_venv_dir`) may point anywhere.
        """
        if self.trusted_venv_dir is not None:
            return (self.root / self.trusted_venv_dir).absolute()
        from corral.services.config import checked_file_value

        rel = checked_file_value("venv-dir", self.tool.get("venv-dir", ".venv"), self.pyproject)
        return _inside_project(self, str(rel), shipped="venv-dir" not in self.tool)


def _inside_project(project: Project, rel: str, *, shipped: bool = False) -> Path:
    """`rel` under the project root, refused (ConfigError) when it resolves to the root itself or outside it."""
    import os

    path = (project.root / rel).absolute()
    root = os.path.realpath(project.root)
    real = os.path.realpath(path)
    try:
        inside = os.path.commonpath([root, real]) == root and real != root
    except ValueError:  # another drive
        inside = False
    if not inside:
        where = "the project folder itself" if real == root else f"{real}, outside the project"
        if shipped:  # the default `.venv` is a symlink (a repository can ship one) leading out of the project
            msg = (
                f"refusing {path}: it is a link to {where}, and corral does not follow a link a repository may "
                "have shipped; remove the link, or set CORRAL_VENV_DIR (or venv-dir in your user config) to "
                "that folder if you made it yourself"
            )
            raise ConfigError(msg)
        msg = (
            f"{project.pyproject}: refusing [tool.corral] venv-dir = {rel!r}: it names {where}; a project file "
            'may only place its env in a folder inside the project: use one such as ".venv", or set '
            "CORRAL_VENV_DIR (or venv-dir in your user config) to keep the env elsewhere"
        )
        raise ConfigError(msg)
    return path


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml.

    Anything but a folder by that name counts (a fifo, a device, a dangling link): reading it then says what is
    wrong with it, instead of a parent folder's pyproject.toml standing in for it.
    """
    here = start.absolute()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file() or ((candidate.is_symlink() or candidate.exists()) and not candidate.is_dir()):
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
    from corral.infra.fs import require_utf8_path

    require_utf8_path(root, "project folder")  # every record corral writes spells paths in UTF-8
    return Project(root=root, data=read_toml(root / PYPROJECT))
