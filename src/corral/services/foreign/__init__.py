"""Projects whose dependencies live where corral does not read them: refuse up front, or move them on `corral init`.

corral never makes a project unbuildable and never locks a project while ignoring part of its dependencies:
- `check_declarations` (called before every lock and every pyproject edit) refuses, in one line naming the tables
  and the next step, a pyproject whose dependencies sit in Poetry/PDM/flit tables or are `dynamic`, and a project
  whose name and dependencies are in setup.py/setup.cfg;
- `adopt` (called by `corral init`) moves them: Poetry's tables to `[project]` and `[dependency-groups]`
  (`poetry`), PDM's dev-dependencies to `[dependency-groups]` (`pdm`), a setup.py/setup.cfg project's metadata,
  as setuptools itself states it, to `[project]` (`setuptools`). Whenever `[project]` or `[build-system]` changes,
  the metadata the build backend states before and after must agree (`metadata`), or the files are put back and
  init refuses. The project's own build code (setup.py, an in-tree backend) runs only when the user passed
  `--run-build-backend`: a cloned repository may ship any setup.py. poetry-core from the index runs none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.errors import UsageError

if TYPE_CHECKING:
    from corral.services.context import Context

__all__ = [
    "RUN_BACKEND_FLAG",
    "SETUP_FILES",
    "adopt",
    "check_declarations",
    "refuse_ignored",
    "setup_files",
    "splice_tables",
]

SETUP_FILES = ("setup.py", "setup.cfg")


def setup_files(root: Path) -> list[str]:
    """The setuptools configuration files present in `root`."""
    return [name for name in SETUP_FILES if (root / name).is_file()]


def splice_tables(text: str, head: str) -> str:
    """`head` inserted above the first table header of `text`, and above the comments just before it.

    Comment lines that open the file stay first: they are the file's, not the table's.
    """
    if not head:
        return text
    import re

    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\[\[?[^\[\]=]+\]\]?\s*(#.*)?$")
    at = next((i for i, line in enumerate(lines) if header.match(line.rstrip())), len(lines))
    start = at
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    at = start if start > 0 else at  # a comment at the top of the file is the file's, not the table's
    return "".join(lines[:at]) + head.rstrip("\n") + "\n\n" + "".join(lines[at:])


def refuse_ignored(data: Mapping[str, Any], *, source: str = "pyproject.toml") -> None:
    """Refuse (UsageError, one line) a pyproject whose dependencies sit in tables corral does not read."""
    from corral.core.foreign import ignored_declarations

    ignored = ignored_declarations(data)
    if ignored:
        raise UsageError(_refusal(ignored, source))


def check_declarations(data: Mapping[str, Any], root: Path, *, source: str = "pyproject.toml") -> None:
    """Refuse (UsageError, one line) a project whose dependencies corral would not see (tables or setup.py)."""
    refuse_ignored(data, source=source)
    found = setup_files(root)
    if "project" not in data and found:
        names = " and ".join(found)
        msg = (
            f"{root}: {names} declare{'s' if len(found) == 1 else ''} this project's name and dependencies, which "
            "corral does not read; run `corral init --run-build-backend` to record them in pyproject.toml's "
            "[project] (it runs setup.py through setuptools and checks that it builds the same), or keep using "
            "pip with this project; nothing was changed"
        )
        raise UsageError(msg)


def _refusal(ignored: list[Any], source: str) -> str:
    wheres = ", ".join(i.where for i in ignored)
    tools = sorted({i.tool for i in ignored})
    if all(i.movable for i in ignored):
        also = " (Poetry ≥ 2 and poetry-core ≥ 2 read them)" if "Poetry" in tools else ""
        return (
            f"{source}: corral does not read {wheres}, so it would lock and install without those dependencies; "
            f"run `corral init` to move them to [project] and [dependency-groups]{also}, or keep using "
            f"{' and '.join(tools)} for this project; nothing was changed"
        )
    if "flit" in tools:
        return (
            f"{source}: {wheres} is flit's format before 3.2, which corral does not read; move it to [project] "
            "(flit_core ≥ 3.2 reads it), then try again; nothing was changed"
        )
    return (
        f"{source}: {wheres}: the build backend computes these dependencies, so corral cannot record or lock "
        "them; list them in [project] and drop them from dynamic, then try again; nothing was changed"
    )


RUN_BACKEND_FLAG = "--run-build-backend"
_REGISTRY_ONLY_BACKENDS = ("poetry.core.masonry.api",)  # read pyproject.toml and files; run no project code


def adopt(ctx: Context, root: Path, *, python: str, run_backend: bool = False) -> list[str]:
    """Move foreign declarations of the project at `root` to standard tables; one line per change ([] if none).

    The project's own build code (setup.py, an in-tree backend) runs only with `run_backend` (the user's
    `--run-build-backend`): a cloned repository may ship any setup.py.

    Raises UsageError, with every file unchanged, when a declaration cannot be moved faithfully.
    """
    from corral.core.foreign import ignored_declarations
    from corral.infra.toml_file import read_text, read_toml

    pyproject = root / "pyproject.toml"
    old_text = read_text(pyproject) if pyproject.is_file() else None
    data = read_toml(pyproject) if old_text is not None else {}
    ignored = ignored_declarations(data)
    if any(not i.movable for i in ignored):
        raise UsageError(_refusal(ignored, str(pyproject)))
    if ignored:
        from corral.services.foreign.poetry import migrate_tables

        new_text, changes = migrate_tables(old_text or "", source=str(pyproject))
    elif "project" not in data and setup_files(root):
        if not run_backend:
            names = " and ".join(setup_files(root))
            msg = (
                f"{root}: {names} declare{'s' if len(setup_files(root)) == 1 else ''} this project's name and "
                "dependencies; recording them in pyproject.toml's [project] means running setup.py through "
                f"setuptools (the project's own code): run `corral init {RUN_BACKEND_FLAG}` to allow it, or move "
                "them to [project] by hand; nothing was changed"
            )
            raise UsageError(msg)
        from corral.services.foreign.setuptools import migrate_setuptools

        new_text, changes = migrate_setuptools(ctx, root, old_text, python=python)
    else:
        return []
    _write_checked(ctx, root, old_text, new_text, python=python, run_backend=run_backend)
    return changes


def _runs_project_code(data: Mapping[str, Any]) -> str | None:
    """Why asking this pyproject's backend for metadata would run code the project ships (None: it would not)."""
    system = data.get("build-system")
    if not isinstance(system, dict):
        return "setuptools runs setup.py"
    if system.get("backend-path"):
        return "its build backend is in the project (backend-path)"
    backend = str(system.get("build-backend", ""))
    if backend not in _REGISTRY_ONLY_BACKENDS:
        return f"{backend or 'setuptools'} may run the project's build scripts"
    return None


def _write_checked(
    ctx: Context, root: Path, old_text: str | None, new_text: str, *, python: str, run_backend: bool
) -> None:
    """Write pyproject.toml; when [project]/[build-system] changed, the backend must state the same metadata."""
    from corral.infra.fs import atomic_write_text
    from corral.infra.toml_file import parse_toml
    from corral.services.foreign.metadata import read_metadata

    pyproject = root / "pyproject.toml"
    old = parse_toml(old_text, origin=str(pyproject)) if old_text is not None else {}
    new = parse_toml(new_text, origin=str(pyproject))
    build_changed = any(old.get(k) != new.get(k) for k in ("project", "build-system"))
    why = (_runs_project_code(old) or _runs_project_code(new)) if build_changed and not run_backend else None
    if why:
        msg = (
            f"{pyproject}: checking that the project still builds the same after the move means asking its build "
            f"backend, and {why}: run `corral init {RUN_BACKEND_FLAG}` to allow it; nothing was changed"
        )
        raise UsageError(msg)
    before = read_metadata(ctx, root, python=python, data=old) if build_changed else None
    atomic_write_text(pyproject, new_text, root=root)
    if before is None:
        return
    try:
        after = read_metadata(ctx, root, python=python, data=new)
        differences = before.differences(after)
    except BaseException:
        _restore(pyproject, old_text, root)
        raise
    if differences:
        _restore(pyproject, old_text, root)
        msg = (
            f"{pyproject}: moving the dependencies would change what the build backend builds "
            f"({'; '.join(differences)}); move them by hand; nothing was changed"
        )
        raise UsageError(msg)


def _restore(pyproject: Path, old_text: str | None, root: Path) -> None:
    from corral.infra.fs import atomic_write_text

    if old_text is None:
        pyproject.unlink(missing_ok=True)
    else:
        atomic_write_text(pyproject, old_text, root=root)
