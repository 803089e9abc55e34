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
from typing import Final

from corral.core.env import BIN_NAMES, bin_name, python_name
from corral.core.interpreter import LEGACY_EOL
from corral.core.provenance import PROVENANCE_FILE
from corral.core.pyversion import python_minor, python_version
from corral.infra.envfiles import activate_location, read_env, script_interpreter
from corral.infra.json_file import read_json_cache

__all__ = [
    "DRIFT_NOT_CHECKED",
    "DriftCheck",
    "Health",
    "Observe",
    "Reader",
    "Said",
    "conda_python_version",
    "env_health",
    "read_said",
]

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


@dataclass(frozen=True, slots=True)
class Said:
    """What an env's own files say that its health is judged on: pyvenv.cfg, corral-env.json and bin/.

    `scripts`: (name, program, the env folder its bin folder is in) of those of the first eight console scripts (by
    name) that name a python, whose python is in an env's bin folder; empty when `relocatable` (activate and the
    shebangs are then relative on purpose and not read).
    """

    home: str | None
    version: str | None
    relocatable: bool
    location: str | None
    activate: str | None
    scripts: tuple[tuple[str, str, str], ...]


# observe(path relative to the env, follow links) is called right before that file or folder of the env is read
Observe = Callable[[str, bool], None]
# read_said, or a cache of what it found (inventory.health_cache): the same answer, or the same OSError
Reader = Callable[[Path], Said]


def env_health(  # noqa: PLR0911 - one return per verdict reads best
    root: Path,
    *,
    drift_check: DriftCheck | None = None,
    windows: bool | None = None,
    reader: Reader | None = None,
) -> Health:
    """Judge the env at `root` from its files (conda envs: only broken/ok/legacy apply).

    `reader` reads what the env's files say (default: `read_said` now); the rest is looked at now in any case.
    """
    top = os.fspath(root)
    if not os.path.isdir(top):
        return Health("broken", f"{root} is not there")
    if os.path.isdir(os.path.join(top, "conda-meta")) and not os.path.exists(os.path.join(top, "pyvenv.cfg")):
        return _conda_health(root, windows=windows)
    try:
        said = reader(root) if reader is not None else read_said(root, windows=windows)
    except OSError as err:
        return Health("broken", f"pyvenv.cfg unreadable: {err.strerror or err}")
    win = os.name == "nt" if windows is None else windows
    broken = _broken(os.path.join(top, bin_name(windows=win), python_name(windows=win)), said.home)
    if broken:
        return Health("broken", broken)
    moved = _moved(top, said)
    if moved:
        return Health("moved", moved)
    drift = drift_check(root) if drift_check else None
    drift_text = DRIFT_NOT_CHECKED if drift is None else ("drift" if drift else "in sync")
    if drift:
        return Health("drift", "installed packages differ from the lock", drift_text)
    if _is_legacy(said.version):
        return Health("legacy", _past_end_of_life(said.version), drift_text)
    return Health("ok", "", drift_text)


def read_said(root: Path, *, windows: bool | None = None, observe: Observe | None = None) -> Said:
    """What the env's files at `root` say (OSError when pyvenv.cfg cannot be read); `observe` hears each read first."""
    seen = observe or _unobserved
    seen("pyvenv.cfg", True)
    env = read_env(root, windows=windows)
    seen(PROVENANCE_FILE, False)
    location = _provenance_location(root)
    relocatable = env.cfg.values.get("relocatable", "").lower() == "true"
    activate: str | None = None
    scripts: tuple[tuple[str, str, str], ...] = ()
    if not relocatable:  # uv --relocatable: activate and shebangs are relative on purpose
        bin_dir = env.bin_dir
        seen(os.path.join(env.bin_name, "activate"), True)
        activate = activate_location(bin_dir)
        scripts = _script_pythons(bin_dir, env.bin_name, seen)
    return Said(env.home, env.version_text, relocatable, location, activate, scripts)


def _unobserved(_rel: str, _follow: bool) -> None:
    return None


def _broken(python: str, home: str | None) -> str:
    if not os.path.lexists(python):
        return f"{python} is missing"
    if not os.path.exists(python):
        return f"{python} points to {os.readlink(python)}, which is gone"
    if not home:
        return "pyvenv.cfg has no `home`"
    if not os.path.isdir(home):
        return f"base interpreter folder {home} (pyvenv.cfg home) is gone"
    return ""


def _moved(root: str, said: Said) -> str:
    real: dict[str, str] = {}  # each folder resolved once, and only when it is not spelled as the root is

    def resolved(path: str) -> str:
        if path not in real:
            real[path] = os.path.normcase(os.path.realpath(path))
        return real[path]

    def same(path: str) -> bool:
        return path == root or resolved(path) == resolved(root)

    if said.location and not same(said.location):
        return f"made at {said.location}"
    if said.relocatable:
        return ""
    if said.activate and not same(said.activate):
        return f"activate sets VIRTUAL_ENV={said.activate}"
    for script, program, env in said.scripts:
        if not same(env):
            return f"{script} runs {program}"
    return ""


def _provenance_location(root: Path) -> str | None:
    data = read_json_cache(root / PROVENANCE_FILE, follow=False)  # None: missing, no file, damaged
    location = data.get("location") if data is not None else None
    return location if isinstance(location, str) and location else None


def _script_pythons(bin_dir: Path, bin_rel: str, seen: Observe) -> tuple[tuple[str, str, str], ...]:
    """(name, program, env folder) of the first scripts naming a python, those whose python is in an env's bin/."""
    found: list[tuple[str, str]] = []
    seen(bin_rel, True)
    try:
        entries = sorted(os.scandir(bin_dir), key=lambda e: e.name)
    except OSError:
        return ()
    for entry in entries:
        if len(found) >= _SCRIPTS_CHECKED:
            break
        if entry.name.startswith(("activate", "python", "Activate")) or not entry.is_file(follow_symlinks=False):
            continue
        seen(os.path.join(bin_rel, entry.name), True)
        program = script_interpreter(Path(entry.path))
        if program:
            found.append((entry.name, program))
    in_env = ((name, program, Path(program).parent) for name, program in found)
    return tuple((name, program, str(folder.parent)) for name, program, folder in in_env if folder.name in BIN_NAMES)


def _is_legacy(version: str | None) -> bool:
    return python_minor(version) in LEGACY_EOL


def _past_end_of_life(version: str | None) -> str:
    """The legacy reason, naming the release alone: virtualenv's pyvenv.cfg says "2.7.18.final.0"."""
    release = python_version(version)
    return f"Python {'.'.join(map(str, release)) if release else version} is past end of life"


def _conda_health(root: Path, *, windows: bool | None) -> Health:
    win = os.name == "nt" if windows is None else windows
    python = root / ("python.exe" if win else "bin/python")
    if not python.exists():
        return Health("broken", f"{python} is missing")
    version = conda_python_version(root)
    if _is_legacy(version):
        return Health("legacy", _past_end_of_life(version))
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
