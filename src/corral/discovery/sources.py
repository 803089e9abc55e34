"""Where interpreters live: PATH, pyenv, the system's folders, uv-managed installs, Windows.

Each source yields `Candidate(path, source)`; nothing here starts an interpreter.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from corral.core.frozen import Frozen
from corral.discovery.places import MAC_FRAMEWORK, SYSTEM_DIRS_POSIX, pyenv_root, uv_python_dir

__all__ = ["Candidate", "iter_candidates"]

_POSIX_NAME = re.compile(r"^(python|pypy)(\d(\.\d+)?t?)?$")
_WINDOWS_NAME = re.compile(r"^(python|pypy)(\d(\.\d+)?t?)?(\.exe)?$", re.IGNORECASE)


class Candidate(Frozen):
    """A file that may be a Python interpreter, and the source that named it."""

    __slots__ = ("path", "source")
    path: Path
    source: str

    def __init__(self, path: Path, source: str) -> None:
        """The file and its source (a plain class, not a dataclass: `core.frozen`)."""
        self._set(path=path, source=source)


def _is_python_name(name: str, *, windows: bool) -> bool:
    return bool((_WINDOWS_NAME if windows else _POSIX_NAME).match(name))


def _executables_in(folder: Path, *, windows: bool) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if _is_python_name(entry.name, windows=windows) and (windows or os.access(entry.path, os.X_OK)):
            try:
                if entry.is_file():
                    yield Path(entry.path)
            except OSError:
                continue


def _from_path(environ: Mapping[str, str], *, windows: bool) -> Iterator[Candidate]:
    shims = pyenv_root(environ) / "shims"
    for folder in environ.get("PATH", "").split(os.pathsep):
        if not os.path.isabs(folder):
            continue  # "" or "." or "bin": the folder corral runs in, where a repository can ship a `python3`
        # pyenv shims dispatch on the current folder, so probing them would give an answer that
        # depends on where corral runs; pyenv's versions are listed directly instead.
        if Path(folder) == shims or "/pyenv-virtualenv/shims" in folder:
            continue
        for exe in _executables_in(Path(folder), windows=windows):
            yield Candidate(exe, "path")


def _from_pyenv(environ: Mapping[str, str], *, windows: bool) -> Iterator[Candidate]:
    versions = pyenv_root(environ) / "versions"
    try:
        names = sorted(os.listdir(versions))
    except OSError:
        return
    for name in names:
        home = versions / name
        if home.is_symlink() or (home / "pyvenv.cfg").exists():
            continue  # a pyenv-virtualenv env, not an installation
        folder = home if windows else home / "bin"
        for exe in _executables_in(folder, windows=windows):
            yield Candidate(exe, "pyenv")


def _from_system(*, windows: bool) -> Iterator[Candidate]:
    if windows:
        return
    for folder in SYSTEM_DIRS_POSIX:
        for exe in _executables_in(Path(folder), windows=False):
            yield Candidate(exe, "system")
    if sys.platform == "darwin":
        try:
            versions = sorted(os.listdir(MAC_FRAMEWORK))
        except OSError:
            versions = []
        for version in versions:
            for exe in _executables_in(MAC_FRAMEWORK / version / "bin", windows=False):
                yield Candidate(exe, "framework")


def _from_uv(environ: Mapping[str, str], *, windows: bool) -> Iterator[Candidate]:
    root = uv_python_dir(environ)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return
    for name in names:
        home = root / name
        if name.startswith(".") or home.is_symlink():
            continue  # minor-version links (cpython-3.12-...) point at a patch install listed anyway
        folder = home if windows else home / "bin"
        for exe in _executables_in(folder, windows=windows):
            yield Candidate(exe, "uv")


def iter_candidates(environ: Mapping[str, str] | None = None, *, windows: bool | None = None) -> Iterator[Candidate]:
    """Every candidate from every source, in preference order (duplicates are folded later)."""
    env = os.environ if environ is None else environ
    is_windows = os.name == "nt" if windows is None else windows
    yield from _from_path(env, windows=is_windows)
    yield from _from_pyenv(env, windows=is_windows)
    yield from _from_uv(env, windows=is_windows)
    yield from _from_system(windows=is_windows)
    if is_windows:
        from corral.discovery.windows import iter_windows_candidates

        yield from iter_windows_candidates()
