"""Where things live inside a PEP 405 environment, on POSIX and on Windows, as pure paths (`core.env.Env` on disk)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from corral.core.env import bin_name, executable_name, python_name

__all__ = ["EnvLayout"]


@dataclass(frozen=True, kw_only=True, slots=True)
class EnvLayout:
    """The layout of an environment rooted at `root`.

    Windows envs keep executables in `Scripts/` with `.exe` names and packages in
    `Lib/site-packages`; POSIX envs use `bin/` and `lib/pythonX.Y/site-packages` (PyPy before 7.3.11
    used `site-packages` directly, and Python 2.7 on Windows also `Lib/site-packages`).
    """

    root: PurePath
    windows: bool = False

    @classmethod
    def for_path(cls, root: str | PurePath, *, windows: bool | None = None) -> EnvLayout:
        """Layout for `root`; `windows` defaults to the running OS."""
        if windows is None:
            import os

            windows = os.name == "nt"
        path_type = PureWindowsPath if windows else PurePosixPath
        return cls(root=path_type(str(root)), windows=windows)

    @property
    def bin_dir(self) -> PurePath:
        """Folder of executables and activation scripts."""
        return self.root / bin_name(windows=self.windows)

    @property
    def python(self) -> PurePath:
        """The env's interpreter."""
        return self.bin_dir / python_name(windows=self.windows)

    def executable(self, name: str) -> PurePath:
        """A console script or program inside the env."""
        return self.bin_dir / executable_name(name, windows=self.windows)

    @property
    def cfg(self) -> PurePath:
        """pyvenv.cfg."""
        return self.root / "pyvenv.cfg"

    def site_packages(self, version: tuple[int, int], *, implementation: str = "CPython") -> PurePath:
        """The env's site-packages for a Python of `version`."""
        if self.windows:
            return self.root / "Lib" / "site-packages"
        if implementation.lower() == "pypy":
            return self.root / "lib" / f"pypy{version[0]}.{version[1]}" / "site-packages"
        return self.root / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"

    @property
    def activation_scripts(self) -> dict[str, PurePath]:
        """The activation scripts venv/virtualenv/uv write, by shell family."""
        b = self.bin_dir
        if self.windows:
            return {"cmd": b / "activate.bat", "powershell": b / "Activate.ps1", "bash": b / "activate"}
        return {
            "bash": b / "activate",
            "fish": b / "activate.fish",
            "csh": b / "activate.csh",
            "powershell": b / "Activate.ps1",
            "nu": b / "activate.nu",
        }
