r"""Jupyter's data folders, computed the way jupyter_core 5.x does, without importing Jupyter.

jupyter_core (`jupyter_core/paths.py`) searches, highest precedence first:

1. every entry of `JUPYTER_PATH` (os.pathsep-separated);
2. the user data dir: `JUPYTER_DATA_DIR`, else Linux `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter`,
   macOS `~/Library/Jupyter`, Windows `%APPDATA%\jupyter` (with `JUPYTER_PLATFORM_DIRS=1`: platformdirs'
   folders), plus the Python user base's `share/jupyter`;
3. the running Jupyter's `sys.prefix/share/jupyter` (where `--sys-prefix` kernels go; corral passes the env
   prefixes it knows about);
4. the system dirs: `/usr/local/share/jupyter`, `/usr/share/jupyter`; on Windows `%PROGRAMDATA%\jupyter` only
   when `JUPYTER_USE_PROGRAMDATA` is set (jupyter_core >= 5.8; otherwise there is no system dir).

Every function takes the environment, the platform and the home folder as arguments so each OS can be
computed (and tested) on any OS.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from corral.core.frozen import Frozen

__all__ = [
    "KERNELS",
    "DataDir",
    "envset",
    "search_dirs",
    "sys_prefix_data_dir",
    "system_data_dirs",
    "user_base_data_dir",
    "user_data_dir",
]

KERNELS = "kernels"
_FALSE = {"no", "n", "false", "off", "0", "0.0"}


class DataDir(Frozen):
    """One Jupyter data folder and why it is searched: "JUPYTER_PATH", "user", "env" or "system"."""

    __slots__ = ("path", "scope")
    path: PurePath
    scope: str

    def __init__(self, path: PurePath, scope: str) -> None:
        self._set(path=path, scope=scope)

    @property
    def kernels(self) -> PurePath:
        """Its `kernels` subfolder."""
        return self.path / KERNELS


def envset(environ: Mapping[str, str], name: str) -> bool:
    """jupyter_core's rule: set and not one of no/n/false/off/0/0.0 (any case)."""
    return name in environ and environ[name].lower() not in _FALSE


def _pure(platform: str) -> type[PurePath]:
    return PureWindowsPath if platform == "win32" else PurePosixPath


def _home(environ: Mapping[str, str], platform: str, home: str | None) -> PurePath:
    if home is not None:
        return _pure(platform)(home)
    if platform == "win32":
        return PureWindowsPath(environ.get("USERPROFILE") or str(Path.home()))
    # jupyter_core resolves ~ (FreeBSD /home -> /usr/home)
    raw = environ.get("HOME") or str(Path.home())
    return PurePosixPath(os.path.realpath(raw) if os.name != "nt" else raw)


def user_data_dir(  # noqa: PLR0911
    environ: Mapping[str, str] | None = None,
    *,
    platform: str | None = None,
    home: str | None = None,
) -> PurePath:
    """jupyter_core's `jupyter_data_dir()`: where `--user` kernels go."""
    env = os.environ if environ is None else environ
    plat = platform or sys.platform
    pure = _pure(plat)
    if env.get("JUPYTER_DATA_DIR"):
        return pure(env["JUPYTER_DATA_DIR"])
    root = _home(env, plat, home)
    if envset(env, "JUPYTER_PLATFORM_DIRS"):
        if plat == "darwin":
            return root / "Library" / "Application Support" / "Jupyter"
        if plat == "win32":
            local = env.get("LOCALAPPDATA") or str(root / "AppData" / "Local")
            return PureWindowsPath(local) / "Jupyter"
        return pure(env.get("XDG_DATA_HOME") or str(root / ".local" / "share")) / "jupyter"
    if plat == "darwin":
        return root / "Library" / "Jupyter"
    if plat == "win32":
        if env.get("APPDATA"):
            return PureWindowsPath(env["APPDATA"]) / "jupyter"
        config = env.get("JUPYTER_CONFIG_DIR") or str(root / ".jupyter")
        return PureWindowsPath(config) / "data"
    return pure(env.get("XDG_DATA_HOME") or str(root / ".local" / "share")) / "jupyter"


def user_base_data_dir(
    environ: Mapping[str, str] | None = None, *, platform: str | None = None, home: str | None = None
) -> PurePath | None:
    """`site.getuserbase()/share/jupyter` of a non-venv Jupyter (PYTHONUSERBASE, else the OS default)."""
    env = os.environ if environ is None else environ
    plat = platform or sys.platform
    pure = _pure(plat)
    if env.get("PYTHONUSERBASE"):
        return pure(env["PYTHONUSERBASE"]) / "share" / "jupyter"
    if plat == "win32":
        appdata = env.get("APPDATA")
        return PureWindowsPath(appdata) / "Python" / "share" / "jupyter" if appdata else None
    return _home(env, plat, home) / ".local" / "share" / "jupyter"


def system_data_dirs(environ: Mapping[str, str] | None = None, *, platform: str | None = None) -> list[PurePath]:
    """jupyter_core's SYSTEM_JUPYTER_PATH (without the running Jupyter's own prefix)."""
    env = os.environ if environ is None else environ
    plat = platform or sys.platform
    if plat == "win32":
        if envset(env, "JUPYTER_USE_PROGRAMDATA") and env.get("PROGRAMDATA"):
            name = "Jupyter" if envset(env, "JUPYTER_PLATFORM_DIRS") else "jupyter"
            return [PureWindowsPath(env["PROGRAMDATA"]) / name]
        return []
    if envset(env, "JUPYTER_PLATFORM_DIRS"):
        if plat == "darwin":
            return [PurePosixPath("/Library/Application Support/Jupyter")]
        dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        return [PurePosixPath(d) / "jupyter" for d in dirs.split(":") if d]
    return [PurePosixPath("/usr/local/share/jupyter"), PurePosixPath("/usr/share/jupyter")]


def sys_prefix_data_dir(env_root: str | PurePath, *, platform: str | None = None) -> PurePath:
    """`<env>/share/jupyter`: where `ipykernel install --sys-prefix` puts kernels of that env."""
    return _pure(platform or sys.platform)(str(env_root)) / "share" / "jupyter"


def search_dirs(
    environ: Mapping[str, str] | None = None,
    *,
    platform: str | None = None,
    home: str | None = None,
    env_prefixes: Iterable[str | PurePath] = (),
) -> list[DataDir]:
    """Every data folder, in Jupyter's precedence (JUPYTER_PATH, user, env, system), without duplicates."""
    env = os.environ if environ is None else environ
    plat = platform or sys.platform
    pure = _pure(plat)
    sep = ";" if plat == "win32" else ":"
    found: list[DataDir] = []
    seen: set[str] = set()

    def add(path: PurePath | None, scope: str) -> None:
        if path is None:
            return
        key = str(path).rstrip("\\/")
        key = key.lower() if plat == "win32" else key
        if key and key not in seen:
            seen.add(key)
            found.append(DataDir(pure(str(path).rstrip("\\/") or str(path)), scope))

    for entry in (env.get("JUPYTER_PATH") or "").split(sep):
        if entry:
            add(pure(entry), "JUPYTER_PATH")
    add(user_data_dir(env, platform=plat, home=home), "user")
    add(user_base_data_dir(env, platform=plat, home=home), "user")
    for prefix in env_prefixes:
        add(sys_prefix_data_dir(prefix, platform=plat), "env")
    for path in system_data_dirs(env, platform=plat):
        add(path, "system")
    return found
