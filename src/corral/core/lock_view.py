"""What of a parsed pyproject.toml can change a lock; the rest can be edited without resolving again.

The rest: comments, layout, key order, a description, a linter's table.

`lock_view(data, version_reaches_lock=...)` is the document less what no lock reads, and `view_digest` its sha256
over canonical JSON (sorted keys), so formatting and key order never count. What a lock reads (services.lock,
resolvers.uv, services.config, services.foreign, services.project_version): `[project]` name, version, dynamic,
requires-python, dependencies and optional-dependencies, `[dependency-groups]`, `[build-system]`, `[tool.corral]`,
`[tool.uv]` (all of it: an unknown uv setting counts), the foreign tables corral refuses (`[tool.poetry]`,
`[tool.pdm]`, `[tool.flit]`) and a build backend's own tables. Conservatively, only what is known to reach no lock
is left out; any other key or table counts:

- `[project]`'s descriptive fields (`_DESCRIPTIVE`), unless the project's dynamic version reaches the lock: the
  build backend then states it from its metadata hook, which reads (and may refuse) every `[project]` field;
- the tables of linters, formatters, type checkers and test runners (`UNREAD_TOOLS`), which neither corral, uv nor
  a build backend reads; unless the build backend is the project's own code (`backend-path`), which may read any.

Stdlib only: `corral lock`'s no-op path (services.lock_stamp) compares it before packaging is imported.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["UNREAD_TOOLS", "VERSION_PLUGIN_PREFIXES", "lock_view", "view_digest", "without_unread_tools"]

# Variables a dynamic version's build plugin reads (setuptools-scm and hatch-vcs: SETUPTOOLS_SCM_PRETEND_VERSION...;
# pdm-backend): the project's version, so the lock, may change with them (`cli.lock_quick` spells them out too)
VERSION_PLUGIN_PREFIXES = ("SETUPTOOLS_SCM_", "PDM_BUILD_SCM_")

# PEP 621 fields that describe the project to people and indexes: no resolution, no lock entry reads them
_DESCRIPTIVE = frozenset(
    {
        "description",
        "readme",
        "authors",
        "maintainers",
        "keywords",
        "classifiers",
        "urls",
        "license",
        "license-files",
        "scripts",
        "gui-scripts",
        "entry-points",
        "import-names",
        "import-namespaces",
    }
)
# [tool.X] tables read only by their own linter, formatter, type checker, test runner or changelog tool
UNREAD_TOOLS = frozenset(
    {
        "autopep8",
        "bandit",
        "basedpyright",
        "black",
        "check-wheel-contents",
        "codespell",
        "coverage",
        "docformatter",
        "flake8",
        "importlinter",
        "interrogate",
        "isort",
        "mypy",
        "pydocstyle",
        "pylint",
        "pyrefly",
        "pyright",
        "pytest",
        "refurb",
        "ruff",
        "towncrier",
        "tox",
        "ty",
        "typos",
        "vulture",
        "yapf",
    }
)


def without_unread_tools(data: dict[str, Any]) -> dict[str, Any]:
    """`data` less the `UNREAD_TOOLS` tables (all of it kept when the build backend is the project's own code)."""
    tool, build = data.get("tool"), data.get("build-system")
    if not isinstance(tool, dict) or (isinstance(build, dict) and "backend-path" in build):
        return data
    return {**data, "tool": {k: v for k, v in tool.items() if k not in UNREAD_TOOLS}}


def lock_view(data: dict[str, Any], *, version_reaches_lock: bool) -> dict[str, Any]:
    """The parts of a parsed pyproject a lock may depend on (see the module's text)."""
    view = without_unread_tools(data)
    project = view.get("project")
    if isinstance(project, dict) and not version_reaches_lock:
        view = {**view, "project": {k: v for k, v in project.items() if k not in _DESCRIPTIVE}}
    return view


def view_digest(data: dict[str, Any], *, version_reaches_lock: bool) -> str:
    """sha256 of `lock_view` as canonical JSON: equal for two documents that lock alike (layout never counts)."""
    view = lock_view(data, version_reaches_lock=version_reaches_lock)
    # default=repr: TOML dates and times keep their type in the text (a date and its string differ)
    blob = json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
