"""The one place that decides whether a folder may be deleted.

corral deletes only a folder it can prove is an environment; any doubt is a refusal with the reason.
`refusal(...)` returns that reason (a sentence fragment) or None when deleting is safe.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Final

from corral.core.provenance import PROVENANCE_FILE
from corral.core.pyvenv_cfg import PyvenvCfg

__all__ = ["PROJECT_MARKERS", "refusal"]

PROJECT_MARKERS: Final = ("pyproject.toml", "setup.py", "setup.cfg", ".git", ".hg", "requirements.txt", "Pipfile")
_MAX_CFG: Final = 64 * 1024


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _is_same_or_parent(candidate: str, other: str) -> bool:
    """`candidate` equals `other` or is one of its parents (both real, normcased)."""
    try:
        return os.path.commonpath([candidate, other]) == candidate
    except ValueError:  # different drives
        return False


def refusal(  # noqa: PLR0911 - each refusal returns its own reason
    path: str | os.PathLike[str],
    *,
    home: Path,
    cwd: Path,
    project_root: Path | None = None,
    require_corral: bool = False,
    allow_broken_corral_env: bool = False,
) -> str | None:
    """Why `path` must not be deleted, or None when it is provably an env that is safe to remove.

    `require_corral` (gc) also demands corral's provenance record whose `location` is this folder.
    `allow_broken_corral_env` (recreate) accepts a damaged pyvenv.cfg when corral's record proves it made the env here.
    """
    raw = os.fspath(path)
    if ".." in Path(raw).parts:
        return "the path contains '..'; pass the env's path without it"
    given = os.path.normpath(os.path.abspath(raw))
    try:
        st = os.lstat(given)
    except OSError:
        return "it does not exist"
    if stat.S_ISLNK(st.st_mode):
        return f"it is a symlink (to {os.readlink(given)}); corral deletes only real env folders"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    real = _real(given)
    reason = _protected(real, home=home, cwd=cwd, project_root=project_root)
    if reason:
        return reason
    reason = _foreign_owner(st)
    if reason:
        return reason
    reason = _not_env(Path(given))
    if reason and not (allow_broken_corral_env and _not_corral(Path(given), real) is None):
        return reason
    reason = _project_marker(Path(given))
    if reason:
        return reason
    if require_corral:
        return _not_corral(Path(given), real)
    return None


def _protected(real: str, *, home: Path, cwd: Path, project_root: Path | None) -> str | None:
    if real == _real(os.path.abspath(os.sep)) or os.path.dirname(real) == real:
        return "it is the file system root"
    home_real = _real(str(home))
    if _is_same_or_parent(real, home_real):
        return "it is your home folder" if real == home_real else f"it holds your home folder {home}"
    cwd_real = _real(str(cwd))
    if _is_same_or_parent(real, cwd_real):
        return "it is the current folder" if real == cwd_real else f"it holds the current folder {cwd}"
    if project_root is not None and _is_same_or_parent(real, _real(str(project_root))):
        return f"it is (or holds) the current project {project_root}"
    return None


def _foreign_owner(st: os.stat_result) -> str | None:
    """Another user's folder is theirs to delete, even when we could (root)."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # Windows: ownership is not a uid
        return None
    mine = geteuid()
    if st.st_uid == mine:
        return None
    try:
        import pwd  # noqa: PLC0415

        owner = pwd.getpwuid(st.st_uid).pw_name
    except (ImportError, KeyError):
        owner = f"uid {st.st_uid}"
    return f"it belongs to another user ({owner}), not to you (uid {mine}); only its owner may remove it"


def _not_env(root: Path) -> str | None:
    cfg_path = root / "pyvenv.cfg"
    try:
        cfg_stat = os.lstat(cfg_path)
    except OSError:
        return "it has no pyvenv.cfg, so it is not provably an environment"
    if not stat.S_ISREG(cfg_stat.st_mode):
        return "its pyvenv.cfg is not a regular file"
    if cfg_stat.st_size > _MAX_CFG:
        return f"its pyvenv.cfg is {cfg_stat.st_size} bytes, too big to be one"
    try:
        cfg = PyvenvCfg.parse(cfg_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return f"its pyvenv.cfg cannot be read ({err})"
    if not cfg.home:
        return "its pyvenv.cfg has no `home` key, so it is not provably an environment"
    return None


def _project_marker(root: Path) -> str | None:
    for marker in PROJECT_MARKERS:
        if os.path.lexists(root / marker):
            return f"it contains {marker}, a sign of a project rather than an environment"
    return None


def _not_corral(root: Path, real: str) -> str | None:
    try:
        data = json.loads((root / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"corral did not make it (no {PROVENANCE_FILE}); remove it yourself or with `corral envs rm`"
    location = data.get("location") if isinstance(data, dict) else None
    if not isinstance(location, str) or _real(location) != real:
        return (f"its {PROVENANCE_FILE} says it was made at {location}, not here; "
                "check it and remove it with `corral envs rm`")
    return None
