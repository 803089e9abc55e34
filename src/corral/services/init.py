"""`corral init`: a new project (pyproject.toml, .python-version, .venv), or adopt what a folder already has.

Adoption overwrites nothing: an existing .python-version or env is kept as is, and so is an existing pyproject.toml
unless its dependencies sit where corral does not read them (Poetry, PDM, setup.py/setup.cfg): those are moved to
`[project]` / `[dependency-groups]` with the build backend checked to build the same metadata (`services.foreign`),
or init refuses with every file unchanged. A requirements.txt next to a new pyproject.toml is imported into
`[project].dependencies`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.core.local_paths import PathSource
    from corral.services.context import Context

__all__ = ["InitReport", "init_project"]

_NAME_OK = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


@dataclass
class InitReport:
    """What init created and what it found and kept."""

    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # what moved into [project]/[dependency-groups], one per line
    python: str | None = None
    python_version: str | None = None
    python_why: str | None = None  # why that interpreter: --python, .python-version, your python3, ...
    python_via: str | None = None  # the virtual env's python that was chosen, when `python` is that env's base
    warnings: list[str] = field(default_factory=list)
    env: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "root": str(self.root),
            "created": self.created,
            "kept": self.kept,
            "imported": self.imported,
            "skipped": self.skipped,
            "changed": self.changed,
            "python": self.python,
            "python_version": self.python_version,
            "python_why": self.python_why,
            "python_via": self.python_via,
            "warnings": self.warnings,
            "env": str(self.env) if self.env else None,
        }


def _project_name(name: str | None, root: Path) -> str:
    chosen = name or re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-._") or "project"
    if not _NAME_OK.match(chosen):
        raise UsageError(f"{chosen!r} is not a valid project name (letters, digits, '.', '_', '-'); pass --name")
    return chosen


def _new_pyproject(ctx: Context, root: Path, name: str | None, version_info: Sequence[int], report: InitReport) -> None:
    """A fresh pyproject.toml; a requirements.txt beside it becomes [project].dependencies."""
    import tomlkit

    from corral.infra.fs import atomic_write_text

    doc = tomlkit.document()
    table = tomlkit.table()
    table["name"] = _project_name(name, root)
    table["version"] = "0.1.0"
    table["requires-python"] = f">={version_info[0]}.{version_info[1]}"
    deps, groups = tomlkit.array(), tomlkit.table()
    sources: dict[str, PathSource] = {}  # local paths, as `corral add` records them (`add_remove.path_sources`)
    requirements = root / "requirements.txt"
    if requirements.is_file():
        from corral.services.add_remove import path_sources, resolve_local
        from corral.services.requirements_io import parse_requirements_file

        parsed = parse_requirements_file(requirements, project_root=root)

        def recorded(text: str) -> str:
            editable = [text in parsed.editable]
            (requirement,), found = path_sources([resolve_local(ctx, text)], root, editable=editable)
            sources.update(found)
            return requirement

        for text in parsed.requirements:
            deps.add_line(recorded(text), comment=parsed.comments.get(text) or None)
        if parsed.requirements:
            deps.add_line(indent="")
        for group, listed in parsed.groups.items():  # included files named for a group: -r dev-requirements.txt
            array = tomlkit.array()
            for text in listed:
                array.add_line(recorded(text), comment=parsed.comments.get(text) or None)
            array.add_line(indent="")
            groups[group] = array
        report.imported = [str(d) for d in deps] + [f"{d} (group {g})" for g, a in groups.items() for d in a]
        report.skipped = [
            *parsed.skipped,
            *(
                f"{where}: {line} (the project itself: `corral sync` installs it when it has a [build-system])"
                for where, line, _ in parsed.itself
            ),
        ]
    table["dependencies"] = deps
    doc["project"] = table
    if groups:
        doc["dependency-groups"] = groups
    text = tomlkit.dumps(doc)
    if sources:
        from corral.services.add_remove import with_sources

        text = with_sources(text, sources)
    atomic_write_text(root / "pyproject.toml", text, root=root)
    report.created.append("pyproject.toml")


def _name_taken(ctx: Context, name: str) -> list[str]:
    """A warning when the package index has a project of the new project's name (it could not depend on it).

    One request with a short timeout; skipped with `name-check = false` or `UV_OFFLINE`, silent when the index
    does not answer.
    """
    from corral.core.names import normalize_name
    from corral.infra.simple_index import lists_project
    from corral.services.lock import index_urls

    if not ctx.settings.value("name-check") or ctx.environ.get("UV_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return []
    index = index_urls(ctx)[0]
    if not lists_project(index, normalize_name(name)):
        return []
    from corral.core.urls import strip_credentials

    index = strip_credentials(index)  # a warning shows no credential
    return [
        (
            f"the project is named {name!r}, like the package {name!r} on {index}: a project cannot depend on a "
            f"package of its own name, so `corral add {name}` will be refused; to use that package, rename the "
            "project now ([project].name in pyproject.toml)"
        )
    ]


def init_project(
    ctx: Context,
    path: Path | None = None,
    *,
    python: str | None = None,
    name: str | None = None,
    run_backend: bool = False,
) -> InitReport:
    """Create or adopt the project at `path` (default: the working folder) and its env.

    `run_backend`: the project's own build code (setup.py) may run to read its metadata (`--run-build-backend`).
    """
    from corral.infra.fs import atomic_write_text, require_utf8_path
    from corral.services.python import PYTHON_VERSION_FILE, choose_interpreter

    root = (ctx.cwd / path).absolute() if path else ctx.cwd
    require_utf8_path(root, "project folder")  # before anything is written: no half-made project
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    report = InitReport(root=root)
    local = ctx.derive(cwd=root)
    interpreter, why = choose_interpreter(local, python, users_first=True)
    report.python, report.python_version = interpreter.path, interpreter.version
    report.python_why = "as --python asked" if why == "--python" else why
    pyproject = root / "pyproject.toml"
    from corral.services.foreign import adopt, setup_files

    existed = pyproject.exists()
    if existed or setup_files(root):  # a project of its own: move what corral cannot read, or refuse
        report.changed = adopt(local, root, python=interpreter.path, run_backend=run_backend)
        if not existed:
            report.created.append("pyproject.toml")
        elif not report.changed:
            report.kept.append("pyproject.toml")
    else:
        _new_pyproject(local, root, name, interpreter.version_info, report)
        report.warnings += _name_taken(local, _project_name(name, root))
    pin = root / PYTHON_VERSION_FILE
    if pin.exists():
        report.kept.append(PYTHON_VERSION_FILE)
    else:
        text = python if python and not Path(python).is_absolute() else interpreter.short_version
        atomic_write_text(pin, f"{text}\n", root=root)
        report.created.append(PYTHON_VERSION_FILE)
    local = ctx.derive(cwd=root)
    project = local.require_project()
    from corral.services.inspection import is_environment

    if is_environment(project.env_path):
        report.kept.append(
            str(project.env_path.relative_to(root)) if project.env_path.is_relative_to(root) else str(project.env_path)
        )
        report.env = project.env_path
        report.warnings += _kept_env_notes(local, project.env_path)
    else:
        from corral.services.create import create_env

        made = create_env(local, None, python=interpreter.path)
        report.env = made.path
        report.created.append(made.path.name)
        _name_base(report, interpreter, made.path)
    return report


def _name_base(report: InitReport, interpreter: InterpreterInfo, env: Path) -> None:
    """Name the base interpreter the new env is built on, when the chosen python is itself a virtual env's.

    A venv's python (another project's, activated or first on PATH) is not what the env runs: the creator builds
    the env on that venv's base interpreter, which the new env's python links to.
    """
    if not (interpreter.is_venv or interpreter.prefix != interpreter.base_prefix):
        return
    from corral.core.env import Env

    python = Env.at(env).python
    try:
        base = os.path.join(python.parent, os.readlink(python))  # an absolute link target stays as it is
    except OSError:  # a copy, not a link: the base's prefix is what its interpreter said
        base = interpreter.base_prefix
    report.python_via = interpreter.path
    report.python = os.path.normpath(base)
    report.python_why = (
        f"{report.python_why}; {interpreter.path} is in the virtual env {interpreter.prefix}, so {env.name} is "
        "built on its base Python"
    )


def _kept_env_notes(ctx: Context, env: Path) -> list[str]:
    """What the next `corral sync` will do to the env init kept, when that is a rebuild (`services.stale_env`).

    An env corral has no record of making (a hand-made `.venv`, one a repository ships), one on another Python than
    the project now asks for, or a moved one is rebuilt from the lock by the next sync: "kept" alone would say the
    opposite. The env's python is started only when corral's record vouches for the env (`why_stale`'s order).
    """
    from corral.core.env import Env
    from corral.errors import InterpreterNotFound
    from corral.services.stale_env import why_stale

    try:
        reason = why_stale(ctx, env, lambda: ctx.finder.from_path(Env.at(env).python))
    except InterpreterNotFound as err:
        reason = f"its python does not start ({err})"
    if reason is None:
        return []
    return [f"the existing {env.name} is kept for now, but `corral sync` will rebuild it from the lock: {reason}"]
