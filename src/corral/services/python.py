"""`corral python list|find|pin`, and the choice of interpreter for a project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.frozen import Frozen
from corral.core.pyversion import sort_key
from corral.core.spec import PythonSpec
from corral.errors import ConfigError, UsageError
from corral.infra.fs import atomic_write_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = [
    "PYTHON_VERSION_FILE",
    "PythonRequest",
    "choose_interpreter",
    "find_requested",
    "interpreter_request",
    "list_interpreters",
    "pin",
    "read_python_version",
    "unmet_request",
    "users_python",
]

PYTHON_VERSION_FILE = ".python-version"
_PIN_BYTES = 64 * 1024  # a line or a few: pyenv accepts several versions, one per line


def list_interpreters(ctx: Context) -> list[InterpreterInfo]:
    """Every interpreter found, newest first."""
    return ctx.finder.all()


def read_python_version(start: Path) -> tuple[str, Path] | None:
    """The first request in the nearest `.python-version` at or above `start` (pyenv/uv format).

    A repository ships these files, so each is read through `infra.safe_read`: a link is followed only to a file
    within the folder that holds it (never `.python-version -> ~/.ssh/id_ed25519`), and a fifo, a device, a folder
    or a huge file is refused. Raises ConfigError naming the file, never reading what it refuses.
    """
    from corral.infra.safe_read import read_small

    for folder in (start, *start.parents):
        candidate = folder / PYTHON_VERSION_FILE
        try:
            data = read_small(candidate, limit=_PIN_BYTES, what=PYTHON_VERSION_FILE, inside=folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as err:
            msg = f"cannot read {candidate}: {err.strerror}"
            raise ConfigError(msg) from err
        for line in data.decode("utf-8", errors="replace").splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                return text, candidate
    return None


def choose_interpreter(
    ctx: Context, requested: str | None = None, *, users_first: bool = False
) -> tuple[InterpreterInfo, str]:
    """The interpreter a command should use, and why (flag, setting, .python-version, requires-python, default).

    `users_first` (`corral init`, as uv does): when neither a flag, a setting nor a .python-version asks for one,
    the interpreter the user's `python3` runs, if requires-python admits it, before the newest one found.
    """
    setting = ctx.settings.get("python", requested or None)
    if setting.source == "command line":  # --python (the CLI's flag or a caller's `requested`): any spec or path
        return ctx.finder.find(str(setting.value)), "--python"
    if setting.value:
        folder = _project_folder(ctx) if setting.from_project else None
        asker = f"the `python` setting ({setting.source})"
        return find_requested(ctx, PythonSpec.parse(str(setting.value)), asker, folder=folder), setting.source
    pinned = read_python_version(ctx.project.root if ctx.project else ctx.cwd)
    if pinned is not None:
        text, where = pinned
        try:
            spec = PythonSpec.parse(text)
        except ValueError as err:
            msg = f"{where}: {err}"
            raise ConfigError(msg) from err
        return find_requested(ctx, spec, str(where), folder=where.parent), str(where)
    users = users_python(ctx) if users_first else None
    required = ctx.project.requires_python if ctx.project else None
    if users is not None and (required is None or PythonSpec.parse(required).matches(users[0])):
        return users
    if ctx.project and required:
        excluded = f" (your python3, {users[0].version}, is outside it)" if users else ""
        asker = f"requires-python in {ctx.project.pyproject}"
        return find_requested(ctx, PythonSpec.parse(required), asker, folder=ctx.project.root), asker + excluded
    return ctx.finder.default(), "newest stable Python found"


def _project_folder(ctx: Context) -> Path:
    return ctx.project.root if ctx.project else ctx.cwd


def find_requested(ctx: Context, spec: PythonSpec, source: str, *, folder: Path | None) -> InterpreterInfo:
    """The interpreter `spec` names, asked for by `source`.

    `folder`: the folder of the project file that asks (.python-version, `[tool.corral] python`, requires-python;
    a relative path is relative to it); None for the user's own request (--python, CORRAL_PYTHON, the user config
    file), which may name any path. A project file may name a path only when it resolves to an interpreter
    discovery lists (`corral python list`) outside the project: a repository can ship any program
    (`services.exec_guard`). Raises ConfigError naming the file otherwise, before anything is started.
    """
    if spec.path is None or folder is None:
        return ctx.finder.find(spec)
    from corral.services.exec_guard import inside

    path = Path(spec.path).expanduser()
    path = path if path.is_absolute() else folder / path
    try:
        real = os.path.realpath(path)
    except ValueError as err:  # a NUL byte
        msg = f"{source} names {spec.path!r}, which is not a path; name a version there (such as 3.12)"
        raise ConfigError(msg) from err
    root = os.path.realpath(ctx.project.root if ctx.project else folder)
    if inside(real, root):
        msg = (
            f"{source} names {spec.path}, a program inside the project, and corral never runs one a project "
            f"ships; name a version there (such as 3.12), or pass --python {spec.path} to use it yourself"
        )
        raise ConfigError(msg)
    if not ctx.finder.knows(path):
        msg = (
            f"{source} names {spec.path}, which is not an interpreter corral found (`corral python list`); a "
            "project file may name a version (such as 3.12) or a found interpreter: pass --python "
            f"{spec.path} (or set CORRAL_PYTHON) to use another one yourself"
        )
        raise ConfigError(msg)
    return ctx.finder.from_path(path)


def users_python(ctx: Context) -> tuple[InterpreterInfo, str] | None:
    """The interpreter the user's `python3` runs (first on PATH; a pyenv shim resolved as pyenv does), and why.

    A pyenv shim is not run (its answer depends on the folder): `PYENV_VERSION`, else pyenv's global `version`
    file, names the version; "system" means the next `python3` on PATH. None when no `python3` is found.
    """
    from corral.discovery.places import pyenv_root
    from corral.errors import InterpreterNotFound

    environ = ctx.environ
    name = "python.exe" if os.name == "nt" else "python3"
    shims = pyenv_root(environ) / "shims"
    for folder in environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name if os.path.isabs(folder) else None  # ".", "bin": a repository's own files
        if candidate is None or not candidate.is_file() or not os.access(candidate, os.X_OK):
            continue
        exe, why = candidate, f"the `{name}` on your PATH"
        if Path(folder) == shims:
            chosen = _pyenv_choice(environ, pyenv_root(environ))
            if chosen is None:
                continue  # pyenv's "system": the next python3 on PATH
            exe, why = chosen
        try:
            return ctx.finder.from_path(exe), why
        except InterpreterNotFound:
            continue
    return None


def _pyenv_choice(environ: Mapping[str, str], root: Path) -> tuple[Path, str] | None:
    """(python3 of the version pyenv's shim would run outside any .python-version folder, why); None for "system"."""
    if environ.get("PYENV_VERSION"):
        text, source = environ["PYENV_VERSION"], "PYENV_VERSION"
    else:
        try:
            text = (root / "version").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        source = f"pyenv global, {root / 'version'}"
    words = text.replace(":", " ").split()
    version = next((w for w in words if not w.startswith("#")), "system")
    if version == "system":
        return None
    folder = root / "versions" / version
    if not folder.is_dir():  # pyenv 2.3+ takes a prefix ("3.11") as the newest install it names
        found = sorted((root / "versions").glob(f"{version}.*"), key=lambda p: sort_key(p.name))
        folder = found[-1] if found else folder
    exe = folder / ("python.exe" if os.name == "nt" else "bin/python3")
    return (exe, f"your `python3` ({source}: {version})") if exe.exists() else None


def pin(ctx: Context, spec_text: str) -> tuple[Path, InterpreterInfo]:
    """Write `.python-version` in the project root (or cwd) after checking the spec matches something.

    In a project, the interpreter found must be one its requires-python admits (as `uv python pin` checks): a pin
    outside it would make every later command refuse the env. Raises UsageError, naming requires-python, when not.
    """
    spec = PythonSpec.parse(spec_text)
    found = ctx.finder.find(spec)
    required = ctx.project.requires_python if ctx.project else None
    if ctx.project and required:
        try:
            admitted = PythonSpec.parse(required).matches(found)
        except ValueError:  # an unreadable requires-python: the commands that use it say so
            admitted = True
        if not admitted:
            msg = (
                f"{spec_text} ({found.implementation} {found.version}) is outside requires-python {required!r} in "
                f"{ctx.project.pyproject}; pin a version it admits, or change requires-python first"
            )
            raise UsageError(msg)
    text = found.version if spec.path is not None else spec.text
    folder = ctx.project.root if ctx.project else ctx.cwd
    target = folder / PYTHON_VERSION_FILE
    atomic_write_text(target, text + "\n", root=folder)
    return target, found


class PythonRequest(Frozen):
    """What a project asks its env's interpreter to be, and where it asks."""

    __slots__ = ("folder", "source", "spec")
    spec: PythonSpec
    source: str  # "/p/.python-version", "requires-python in /p/pyproject.toml", "the `python` setting (env ...)"
    folder: Path | None  # where the project file that asks lies; None: the user's own (`find_requested`)

    def __init__(self, spec: PythonSpec, source: str, folder: Path | None = None) -> None:
        """The fields in order (a plain class, not a dataclass: `core.frozen`)."""
        self._set(spec=spec, source=source, folder=folder)

    def __str__(self) -> str:
        return f"{self.source} asks for {self.spec}"


def interpreter_request(ctx: Context) -> PythonRequest | None:
    """The `python` setting, else the nearest `.python-version`, else requires-python; None when nothing asks.

    The order is `choose_interpreter`'s: an env made by it meets this request. Raises ConfigError (naming the
    file) for a `.python-version` that does not parse.
    """
    setting = ctx.settings.get("python")
    if setting.value:
        return PythonRequest(
            PythonSpec.parse(str(setting.value)),
            f"the `python` setting ({setting.source})",
            _project_folder(ctx) if setting.from_project else None,
        )
    pinned = read_python_version(ctx.project.root if ctx.project else ctx.cwd)
    if pinned is not None:
        text, where = pinned
        try:
            return PythonRequest(PythonSpec.parse(text), str(where), where.parent)
        except ValueError as err:
            msg = f"{where}: {err}"
            raise ConfigError(msg) from err
    if ctx.project and ctx.project.requires_python:
        return PythonRequest(
            PythonSpec.parse(ctx.project.requires_python),
            f"requires-python in {ctx.project.pyproject}",
            ctx.project.root,
        )
    return None


def unmet_request(ctx: Context, info: InterpreterInfo) -> PythonRequest | None:
    """The project's request when the interpreter `info` does not meet it; None when it does or nothing asks.

    A version or range is compared with what `info` says (no interpreter is started); a path is the same
    interpreter when both resolve to one file, or when the one it names (a cached probe) has `info`'s version.
    """
    wanted = interpreter_request(ctx)
    if wanted is None:
        return None
    spec = wanted.spec
    if spec.path is None:
        return None if spec.matches(info) else wanted
    from corral.errors import InterpreterNotFound

    named_path = Path(spec.path).expanduser()
    if wanted.folder is not None and not named_path.is_absolute():
        named_path = wanted.folder / named_path  # relative to the file that asks, as find_requested reads it
    try:
        if os.path.realpath(named_path) == os.path.realpath(info.realpath):
            return None
    except ValueError:  # a NUL byte: find_requested says so
        pass
    try:
        named = find_requested(ctx, spec, wanted.source, folder=wanted.folder)
    except InterpreterNotFound:
        return wanted
    same = (named.implementation, named.version) == (info.implementation, info.version)
    return None if same else wanted
