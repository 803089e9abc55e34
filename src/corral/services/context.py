"""Per-command context: working folder, environment, corral's folders, settings, interpreter finder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.infra.paths import CorralPaths
from corral.services.config import Settings, uv_settings
from corral.services.project import Project, load_project

if TYPE_CHECKING:
    from corral.discovery.finder import InterpreterFinder

__all__ = ["Context"]


class Context:
    """What every service needs, built lazily so a command pays only for what it uses."""

    def __init__(
        self,
        *,
        cwd: Path | None = None,
        environ: Mapping[str, str] | None = None,
        flags: Mapping[str, Any] | None = None,
        paths: CorralPaths | None = None,
    ) -> None:
        """Build lazily; `flags` is the settings' command-line layer, by setting name (None: not given)."""
        self.cwd = (cwd or Path.cwd()).absolute()
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.flags = {name: value for name, value in (flags or {}).items() if value is not None}
        self._paths = paths

    def derive(
        self, *, cwd: Path | None = None, flags: Mapping[str, Any] | None = None, project: Project | None = None
    ) -> Context:
        """The same command's context for another folder, with more command-line values, or seeing another project.

        `cwd`: the folder to act in (its project is looked up again); `flags`: values a caller sets as if given on
        the command line (by setting name; None leaves a value as it was); `project`: an edited pyproject that is
        not on disk yet. The environment, corral's folders and the interpreter finder are shared.
        """
        merged = {**self.flags, **{k: v for k, v in (flags or {}).items() if v is not None}}
        new = Context(cwd=cwd or self.cwd, environ=self.environ, flags=merged, paths=self.paths)
        if "finder" in self.__dict__:
            new.__dict__["finder"] = self.__dict__["finder"]
        if project is not None:
            new.__dict__["project"] = new.with_trusted_venv_dir(project)  # fills the cached_property
        elif cwd is None and "project" in self.__dict__ and merged.get("venv-dir") == self.flags.get("venv-dir"):
            new.__dict__["project"] = self.__dict__["project"]
        return new

    @cached_property
    def paths(self) -> CorralPaths:
        """Corral's own folders."""
        return self._paths or CorralPaths.from_environment(dict(self.environ))

    @cached_property
    def project(self) -> Project | None:
        """The project around cwd, or None."""
        project = load_project(self.cwd, required=False)
        return self.with_trusted_venv_dir(project) if project is not None else None

    def require_project(self) -> Project:
        """The project around cwd; ProjectNotFound otherwise."""
        project = load_project(self.cwd, required=True)
        assert project is not None  # noqa: S101 - required=True never returns None
        return self.with_trusted_venv_dir(project)

    def with_trusted_venv_dir(self, project: Project) -> Project:
        """`project` knowing the user's own venv-dir (flag, CORRAL_VENV_DIR, user config), which may point anywhere.

        The project's `[tool.corral] venv-dir` outranks only the user config (the settings' precedence); it is
        untrusted and must stay inside the project (Project.env_path).
        """
        mine = Settings(flags=self.flags, environ=self.environ, user_file=self.paths.user_config_file).get("venv-dir")
        outranked = mine.source != "command line" and not mine.source.startswith("env ") and "venv-dir" in project.tool
        if mine.source == "default" or outranked or not mine.value:
            return project
        return project.replace(trusted_venv_dir=str(mine.value))

    @cached_property
    def settings(self) -> Settings:
        """Flags > CORRAL_* > [tool.corral] > [tool.uv] default-groups > user config > defaults."""
        project = self.project
        settings = Settings(
            flags=self.flags,
            environ=self.environ,
            project_table=project.tool if project else None,
            project_file=project.pyproject if project else None,
            user_file=self.paths.user_config_file,
            uv_table=uv_settings(project.data, project.pyproject) if project else None,
        )
        settings.validate()  # a wrong value fails the command at once, before anything is changed
        return settings

    @cached_property
    def finder(self) -> InterpreterFinder:
        """Interpreter discovery with the on-disk identity cache; no program inside the project is a candidate."""
        from corral.discovery.finder import InterpreterFinder
        from corral.discovery.prober import CachedProber
        from corral.services.project import find_project_root

        root = find_project_root(self.cwd)  # a PATH entry inside it (direnv's PATH_add bin) names shipped programs
        untrusted = [os.path.realpath(root)] if root is not None else []
        return InterpreterFinder(CachedProber(self.paths.interpreter_cache), self.environ, untrusted=untrusted)
