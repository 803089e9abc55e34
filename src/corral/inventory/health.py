"""One word per env, from files on disk alone: ok / moved / broken / drift / legacy.

    broken   bin/python is missing or a dangling link, or pyvenv.cfg's `home` is gone
    moved    the provenance `location`, activate's VIRTUAL_ENV or a console script's shebang names another folder
    drift    the installed packages differ from the lock (decided by a hook the sync side supplies)
    legacy   Python 2.7 / 3.6 / 3.7
    ok       none of the above

The first that applies wins, in that order. No interpreter is started.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.env import BIN_NAMES
from corral.core.interpreter import LEGACY_EOL
from corral.core.provenance import PROVENANCE_FILE
from corral.core.pyversion import python_minor
from corral.infra.envfiles import activate_location, read_env, script_interpreter
from corral.infra.json_file import read_json_cache

if TYPE_CHECKING:
    from corral.core.env import Env

__all__ = ["DRIFT_NOT_CHECKED", "DriftCheck", "Health", "conda_python_version", "env_health"]

# A drift hook gets the env root and answers True (drifted), False (matches the lock) or None (not checked).
DriftCheck = Callable[[Path], "bool | None"]
DRIFT_NOT_CHECKED: Final = "not checked"

_SCRIPTS_CHECKED: Final = 8


@dataclass(frozen=True, slots=True)
class Health:
    """The word and why (the reason names the value that decided it)."""

    word: str
    reason: str = ""
    drift: str = DRIFT_NOT_CHECKED


def env_health(  # noqa: PLR0911 - one return per verdict reads best
    root: Path,
    *,
    drift_check: DriftCheck | None = None,
    windows: bool | None = None,
) -> Health:
    """Judge the env at `root` from its files (conda envs: only broken/ok/legacy apply)."""
    if not root.is_dir():
        return Health("broken", f"{root} is not there")
    if (root / "conda-meta").is_dir() and not (root / "pyvenv.cfg").exists():
        return _conda_health(root, windows=windows)
    try:
        env = read_env(root, windows=windows)
    except OSError as err:
        return Health("broken", f"pyvenv.cfg unreadable: {err.strerror or err}")
    broken = _broken(env)
    if broken:
        return Health("broken", broken)
    moved = _moved(env, relocatable=env.cfg.values.get("relocatable", "").lower() == "true")
    if moved:
        return Health("moved", moved)
    drift = drift_check(root) if drift_check else None
    drift_text = DRIFT_NOT_CHECKED if drift is None else ("drift" if drift else "in sync")
    if drift:
        return Health("drift", "installed packages differ from the lock", drift_text)
    if _is_legacy(env.version_text):
        return Health("legacy", f"Python {env.version_text} is past end of life", drift_text)
    return Health("ok", "", drift_text)


def _broken(env: Env) -> str:
    python = env.python
    if not os.path.lexists(python):
        return f"{python} is missing"
    if not python.exists():
        return f"{python} points to {os.readlink(python)}, which is gone"
    home = env.home
    if not home:
        return "pyvenv.cfg has no `home`"
    if not os.path.isdir(home):
        return f"base interpreter folder {home} (pyvenv.cfg home) is gone"
    return ""


def _moved(env: Env, *, relocatable: bool) -> str:
    root = env.root
    real_root = os.path.normcase(os.path.realpath(root))
    real = {str(root): real_root}  # each folder resolved once (activate and the scripts usually name the root)

    def same(path: str) -> bool:
        if path not in real:
            real[path] = os.path.normcase(os.path.realpath(path))
        return real[path] == real_root

    location = _provenance_location(root)
    if location and not same(location):
        return f"made at {location}"
    if relocatable:  # uv --relocatable: activate and shebangs are relative on purpose
        return ""
    bin_dir = env.bin_dir
    activate = activate_location(bin_dir)
    if activate and not same(activate):
        return f"activate sets VIRTUAL_ENV={activate}"
    for script, program in _script_pythons(bin_dir):
        folder = Path(program).parent
        if folder.name in BIN_NAMES and not same(str(folder.parent)):
            return f"{script.name} runs {program}"
    return ""


def _provenance_location(root: Path) -> str | None:
    data = read_json_cache(root / PROVENANCE_FILE, follow=False)  # None: missing, no file, damaged
    location = data.get("location") if data is not None else None
    return location if isinstance(location, str) and location else None


def _script_pythons(bin_dir: Path) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(bin_dir), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if len(found) >= _SCRIPTS_CHECKED:
            break
        if entry.name.startswith(("activate", "python", "Activate")) or not entry.is_file(follow_symlinks=False):
            continue
        program = script_interpreter(Path(entry.path))
        if program:
            found.append((Path(entry.path), program))
    return found


def _is_legacy(version: str | None) -> bool:
    return python_minor(version) in LEGACY_EOL


def _conda_health(root: Path, *, windows: bool | None) -> Health:
    win = os.name == "nt" if windows is None else windows
    python = root / ("python.exe" if win else "bin/python")
    if not python.exists():
        return Health("broken", f"{python} is missing")
    version = conda_python_version(root)
    if _is_legacy(version):
        return Health("legacy", f"Python {version} is past end of life")
    return Health("ok")


def conda_python_version(root: Path) -> str | None:
    """The Python version recorded in conda-meta (python-3.12.1-<build>.json), without starting it."""
    try:
        names = os.listdir(root / "conda-meta")
    except OSError:
        return None
    for name in names:
        match = re.match(r"^python-(\d+\.\d+(?:\.\d+)?)-.*\.json$", name)
        if match:
            return match.group(1)
    return None
