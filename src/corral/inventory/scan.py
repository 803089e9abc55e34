"""Find environments made by any tool: folders with a pyvenv.cfg, and conda envs (conda-meta/).

Read-only: it lists folders and reads pyvenv.cfg / corral-env.json, never writes inside what it finds.
It does not descend into an env, does not follow symlinks, skips node_modules/.git and the like, and
stops at a depth limit.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from corral.core.provenance import PROVENANCE_FILE
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.infra.envfiles import read_env
from corral.infra.json_file import read_json_cache
from corral.inventory.health import conda_python_version

__all__ = ["DEFAULT_DEPTH", "FoundEnv", "ScanRoot", "default_roots", "scan"]

DEFAULT_DEPTH: Final = 5
_PRUNE: Final = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".npm",
        ".cargo",
        ".rustup",
        ".gradle",
        ".m2",
        "site-packages",
        ".Trash",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
_PROJECT_FILES: Final = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile")


@dataclass(frozen=True, slots=True)
class ScanRoot:
    """A folder to search and how deep (0 = only the folder itself)."""

    path: Path
    depth: int = DEFAULT_DEPTH


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundEnv:
    """An env found on disk, with what its files tell."""

    path: Path
    kind: str
    creator: str
    version: str | None
    interpreter: str | None
    project: str | None
    by_corral: bool


def default_roots(environ: Mapping[str, str], *, home: Path | None = None) -> list[ScanRoot]:
    """The user's home (depth-limited) and the usual tool locations (shallow)."""
    home = home or Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    roots = [ScanRoot(home, DEFAULT_DEPTH)]
    shallow = [
        *_poetry(environ, home),
        home / ".local/share/virtualenvs",
        *_hatch(),
        *_pyenv(environ, home),
        *_uv(environ, home),
        *_conda(environ, home),
    ]
    if environ.get("WORKON_HOME"):
        shallow.append(Path(environ["WORKON_HOME"]).expanduser())
    roots += [ScanRoot(p, 1) for p in shallow]
    return [r for r in _dedupe(roots) if r.path.is_dir()]


def _dedupe(roots: Iterable[ScanRoot]) -> list[ScanRoot]:
    seen: set[str] = set()
    out = []
    for root in roots:
        key = os.path.normpath(str(root.path))
        if key not in seen:
            seen.add(key)
            out.append(root)
    return out


def _poetry(environ: Mapping[str, str], home: Path) -> list[Path]:
    if environ.get("POETRY_VIRTUALENVS_PATH"):
        return [Path(environ["POETRY_VIRTUALENVS_PATH"]).expanduser()]
    if environ.get("POETRY_CACHE_DIR"):
        return [Path(environ["POETRY_CACHE_DIR"]).expanduser() / "virtualenvs"]
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return [Path(local) / "pypoetry" / "Cache" / "virtualenvs"]
    if sys.platform == "darwin":
        return [home / "Library" / "Caches" / "pypoetry" / "virtualenvs"]
    cache = environ.get("XDG_CACHE_HOME") or str(home / ".cache")
    return [Path(cache) / "pypoetry" / "virtualenvs"]


def _hatch() -> list[Path]:
    import platformdirs

    base = Path(platformdirs.user_data_dir("hatch", appauthor=False)) / "env" / "virtual"
    # hatch keeps <data>/env/virtual/<project>/<hash>/<env>: list the hash folders as roots of depth 1
    return [base, *(p for p in base.glob("*/*") if p.is_dir())] if base.is_dir() else []


def _pyenv(environ: Mapping[str, str], home: Path) -> list[Path]:
    root = Path(environ.get("PYENV_ROOT") or home / ".pyenv") / "versions"
    return sorted(p for p in root.glob("*/envs") if p.is_dir()) if root.is_dir() else []


def _uv(environ: Mapping[str, str], home: Path) -> list[Path]:
    # what `uv cache dir` prints: UV_CACHE_DIR, else the platform cache folder + uv
    if environ.get("UV_CACHE_DIR"):
        cache = Path(environ["UV_CACHE_DIR"]).expanduser()
    elif sys.platform == "win32":
        cache = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "uv" / "cache"
    else:
        cache = Path(environ.get("XDG_CACHE_HOME") or home / ".cache") / "uv"
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    tools = Path(environ["UV_TOOL_DIR"]).expanduser() if environ.get("UV_TOOL_DIR") else data / "uv" / "tools"
    # environments-v2/<name>-<hash>: script envs; archive-v0/<id>: cached `uvx` / `uv run --with` envs
    return [cache / "environments-v2", cache / "archive-v0", tools]


def _conda(environ: Mapping[str, str], home: Path) -> list[Path]:
    found = [home / name / "envs" for name in ("miniconda3", "anaconda3", "miniforge3", "mambaforge")]
    found.append(home / ".conda" / "envs")
    found += [Path(p) for p in environ.get("CONDA_ENVS_PATH", "").split(os.pathsep) if p]
    return found


# progress(folders looked into, envs found so far), called at most once every _REPORT_EVERY seconds
Progress = Callable[[int, int], None]
_REPORT_EVERY = 1.0


def scan(roots: Iterable[ScanRoot], progress: Progress | None = None) -> list[FoundEnv]:
    """Every env under `roots` (each path once, in the order found); `progress` hears of a long walk."""
    seen: set[str] = set()
    found: list[FoundEnv] = []
    counter = _Counter(progress, found)
    for root in roots:
        for env in _walk(root.path, root.depth, counter):
            key = os.path.normcase(os.path.normpath(str(env.path)))
            if key not in seen:
                seen.add(key)
                found.append(env)
    return found


class _Counter:
    """Counts folders looked into and tells `progress` now and then (a clock read per folder)."""

    __slots__ = ("folders", "found", "next_report", "progress")

    def __init__(self, progress: Progress | None, found: list[FoundEnv]) -> None:
        self.progress, self.found, self.folders = progress, found, 0
        self.next_report = time.monotonic() + _REPORT_EVERY

    def folder(self) -> None:
        self.folders += 1
        if self.progress is not None and time.monotonic() >= self.next_report:
            self.next_report = time.monotonic() + _REPORT_EVERY
            self.progress(self.folders, len(self.found))


def _walk(top: Path, depth: int, counter: _Counter) -> Iterator[FoundEnv]:
    env = _describe(top)
    if env is not None:
        yield env
        if env.kind != "conda":
            return
        # a conda base install holds its named envs in envs/
        top, depth = top / "envs", 1
        if not top.is_dir():
            return
    stack = [(str(top), 0)]
    while stack:
        folder, level = stack.pop()
        if level >= depth:
            continue
        counter.folder()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        yield from _visit(entries, stack, level, depth)


def _visit(
    entries: list[os.DirEntry[str]],
    stack: list[tuple[str, int]],
    level: int,
    depth: int,
) -> Iterator[FoundEnv]:
    """Yield the envs among `entries`; queue the other folders for the walk."""
    for entry in entries:
        if entry.name in _PRUNE or not entry.is_dir(follow_symlinks=False):
            continue
        env = _describe(entry.path)
        if env is None:
            stack.append((entry.path, level + 1))
            continue
        yield env
        if env.kind == "conda" and os.path.isdir(os.path.join(entry.path, "envs")):
            stack.append((os.path.join(entry.path, "envs"), depth - 1))


def _describe(folder: Path | str) -> FoundEnv | None:
    """The env at `folder`, None when it is none (two stats of plain strings: every folder of a walk comes here)."""
    top = os.fspath(folder)
    cfg_path = os.path.join(top, "pyvenv.cfg")
    if os.path.isfile(cfg_path) and not os.path.islink(cfg_path):
        return _describe_venv(Path(top), Path(cfg_path))
    meta = os.path.join(top, "conda-meta")
    if os.path.isdir(meta) and not os.path.islink(meta):
        path = Path(top)
        return FoundEnv(
            path=path,
            kind="conda",
            creator="conda",
            version=conda_python_version(path),
            interpreter=None,
            project=None,
            by_corral=False,
        )
    return None


def _describe_venv(path: Path, cfg_path: Path) -> FoundEnv:
    try:
        cfg = read_env(cfg_path.parent).cfg
    except OSError:
        cfg = PyvenvCfg()
    prov = _provenance(path)
    if prov is not None:
        return FoundEnv(
            path=path,
            kind=str(prov.get("kind") or "project"),
            creator=str(prov.get("creator")),
            version=prov.get("python_version") or _short(cfg.version),
            interpreter=prov.get("interpreter"),
            project=prov.get("project"),
            by_corral=True,
        )
    parent = path.parent
    is_project = any(os.path.isfile(parent / name) for name in _PROJECT_FILES)
    return FoundEnv(
        path=path,
        kind="project" if is_project else "other",
        creator=cfg.creator,
        version=_short(cfg.version),
        interpreter=cfg.values.get("executable") or cfg.home,
        project=str(parent) if is_project else None,
        by_corral=False,
    )


def _short(version: str | None) -> str | None:
    """'3.11.7.final.0' (virtualenv's version_info) -> '3.11.7'."""
    match = re.match(r"^\d+\.\d+(?:\.\d+)?", version or "")
    return match.group(0) if match else version


def _provenance(path: Path) -> dict[str, str | None] | None:
    return read_json_cache(path / PROVENANCE_FILE, follow=False)  # None: missing, no file, damaged
