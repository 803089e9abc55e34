"""One PEP 405 environment: where its parts are, what its pyvenv.cfg says, which Python it runs.

The one model of an env's layout (POSIX and macOS `bin/python`, `lib/pythonX.Y/site-packages`; Windows
`Scripts/python.exe`, `Lib/site-packages`), its parsed pyvenv.cfg and its Python version. `EnvLayout` is the same
layout as pure paths, for rendering paths of another OS.

Cheap to import, stdlib only and no dataclass (importing `dataclasses` costs the no-op `sync`, the warm `run` and
the cd-hook ~5 ms): those fast paths build an Env. `Env.at(root)` reads nothing; `Env.from_cfg(root, data)` parses
pyvenv.cfg bytes read elsewhere (the one safe reader is `corral.infra.envfiles.read_env`, which returns an Env).
Only `is_env()` and `site_packages()` look at the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from corral.core.pyversion import python_version

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final

    from corral.core.layout import EnvLayout
    from corral.core.pyvenv_cfg import PyvenvCfg


__all__ = ["BIN_NAMES", "CFG_NAME", "Env", "bin_name", "executable_name", "python_name"]

CFG_NAME: Final = "pyvenv.cfg"
BIN_NAMES: Final = ("bin", "Scripts")  # an env's bin folder on either OS: for judging a path whoever wrote it
_WINDOWS: Final = os.name == "nt"


def bin_name(*, windows: bool) -> str:
    """The folder of an env's executables: `Scripts` on Windows, `bin` elsewhere."""
    return BIN_NAMES[1] if windows else BIN_NAMES[0]


def python_name(*, windows: bool) -> str:
    """The env's interpreter in that folder: `python.exe` on Windows, `python` elsewhere."""
    return executable_name("python", windows=windows)


def executable_name(name: str, *, windows: bool) -> str:
    """A program's file name in an env's bin folder: `name.exe` on Windows (unless it says so already)."""
    return f"{name}.exe" if windows and not name.endswith(".exe") else name


class Env:
    """The env rooted at `root`; `cfg` is its pyvenv.cfg as read (empty when not read or missing). Immutable."""

    __slots__ = ("_cfg", "root", "windows")
    root: Path
    windows: bool
    _cfg: PyvenvCfg | None

    def __init__(
        self, root: str | os.PathLike[str], *, windows: bool | None = None, cfg: PyvenvCfg | None = None
    ) -> None:
        object.__setattr__(self, "root", Path(root))
        object.__setattr__(self, "windows", _WINDOWS if windows is None else windows)
        object.__setattr__(self, "_cfg", cfg)

    def __setattr__(self, name: str, value: object) -> None:
        msg = "Env is immutable"
        raise AttributeError(msg)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Env):
            return NotImplemented
        return (self.root, self.windows, self.cfg) == (other.root, other.windows, other.cfg)

    def __hash__(self) -> int:
        return hash((self.root, self.windows))

    def __repr__(self) -> str:
        return f"Env(root={self.root!r}, windows={self.windows!r}, cfg={self._cfg!r})"

    @classmethod
    def at(cls, root: str | os.PathLike[str], *, windows: bool | None = None) -> Env:
        """The env at `root` (nothing is read); `windows` defaults to the running OS."""
        return cls(root, windows=windows)

    @classmethod
    def from_cfg(
        cls, root: str | os.PathLike[str], data: bytes | str, *, windows: bool | None = None, strict: bool = False
    ) -> Env:
        """The env at `root` with pyvenv.cfg `data` parsed; `strict` raises UnicodeDecodeError on bytes not UTF-8."""
        from corral.core.pyvenv_cfg import PyvenvCfg

        text = data if isinstance(data, str) else data.decode("utf-8", errors="strict" if strict else "replace")
        return cls(root, windows=windows, cfg=PyvenvCfg.parse(text))

    @property
    def cfg(self) -> PyvenvCfg:
        """The parsed pyvenv.cfg (empty when it was not read)."""
        if self._cfg is None:
            from corral.core.pyvenv_cfg import PyvenvCfg

            return PyvenvCfg()
        return self._cfg

    @property
    def layout(self) -> EnvLayout:
        """The same layout as pure paths (`PureWindowsPath` for a Windows env)."""
        from corral.core.layout import EnvLayout

        return EnvLayout.for_path(self.root, windows=self.windows)

    @property
    def bin_name(self) -> str:
        """`Scripts` on Windows, `bin` elsewhere."""
        return bin_name(windows=self.windows)

    @property
    def bin_dir(self) -> Path:
        """Folder of the env's executables and activation scripts."""
        return self.root / self.bin_name

    @property
    def python(self) -> Path:
        """The env's interpreter (`bin/python`, `Scripts/python.exe`)."""
        return self.bin_dir / python_name(windows=self.windows)

    def executable(self, name: str) -> Path:
        """A console script or program in the env's bin folder (`.exe` added on Windows)."""
        return self.bin_dir / executable_name(name, windows=self.windows)

    @property
    def cfg_path(self) -> Path:
        """The env's pyvenv.cfg."""
        return self.root / CFG_NAME

    def is_env(self) -> bool:
        """Whether `root` holds a pyvenv.cfg file (PEP 405's mark of an env)."""
        return self.cfg_path.is_file()

    @property
    def home(self) -> str | None:
        """The base interpreter's folder as pyvenv.cfg records it."""
        return self._cfg.home if self._cfg is not None else None

    @property
    def version_text(self) -> str | None:
        """The base Python version as pyvenv.cfg spells it."""
        return self._cfg.version if self._cfg is not None else None

    @property
    def version(self) -> tuple[int, ...] | None:
        """(3, 12, 1) from pyvenv.cfg; None when it records none that reads as a version."""
        return python_version(self.version_text)

    def site_packages(self) -> list[Path]:
        """Every site-packages folder that exists in the env (found on disk, no interpreter started).

        POSIX and macOS: `lib/<python|pypy>X.Y[t]/site-packages`, sorted; Windows: `Lib/site-packages`.
        """
        if self.windows:
            candidates = [self.root / "Lib" / "site-packages"]
        else:
            lib = self.root / "lib"
            try:
                names = sorted(os.listdir(lib))  # every entry, hidden ones too, as pathlib's glob("*/site-packages")
            except OSError:
                names = []
            candidates = [lib / name / "site-packages" for name in names]
        return [path for path in candidates if path.is_dir()]

    def expected_site_packages(self, *, implementation: str = "CPython") -> Path | None:
        """Where site-packages belongs for the recorded version (whether or not it exists); None without one."""
        version = self.version
        if version is None:
            return None
        layout = self.layout
        relative = layout.site_packages((version[0], version[1]), implementation=implementation)
        return self.root.joinpath(*relative.parts[len(layout.root.parts) :])
