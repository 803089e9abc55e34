"""One PEP 405 environment: where its parts are, what its pyvenv.cfg says, which Python it runs.

The one model of an env's layout (POSIX and macOS `bin/python`, `lib/pythonX.Y/site-packages`; Windows
`Scripts/python.exe`, `Lib/site-packages`), its parsed pyvenv.cfg and its Python version. Stdlib only and cheap to
import: the no-op `sync`, the warm `run` and the cd-hook use it before anything heavy is loaded.

`Env.at(root)` reads nothing; `Env.from_cfg(root, data)` parses pyvenv.cfg bytes that were read elsewhere (the
one safe reader is `corral.infra.envfiles.read_env`, which returns an Env). Only `site_packages()` and
`is_env()` look at the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from corral.core.layout import EnvLayout
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.core.pyversion import python_version

__all__ = ["CFG_NAME", "Env"]

CFG_NAME: Final = "pyvenv.cfg"
_WINDOWS: Final = os.name == "nt"


@dataclass(frozen=True, kw_only=True, slots=True)
class Env:
    """The env rooted at `root`; `cfg` is its pyvenv.cfg as read (empty when not read or missing)."""

    root: Path
    windows: bool = _WINDOWS
    cfg: PyvenvCfg = field(default_factory=PyvenvCfg)

    @classmethod
    def at(cls, root: str | os.PathLike[str], *, windows: bool | None = None) -> Env:
        """The env at `root` (nothing is read); `windows` defaults to the running OS."""
        return cls(root=Path(root), windows=_WINDOWS if windows is None else windows)

    @classmethod
    def from_cfg(cls, root: str | os.PathLike[str], data: bytes | str, *, windows: bool | None = None,
                 strict: bool = False) -> Env:
        """The env at `root` with pyvenv.cfg `data` parsed; `strict` raises UnicodeDecodeError on bytes not UTF-8."""
        text = data if isinstance(data, str) else data.decode("utf-8", errors="strict" if strict else "replace")
        return replace(cls.at(root, windows=windows), cfg=PyvenvCfg.parse(text))

    @property
    def layout(self) -> EnvLayout:
        """The platform layout (pure paths), for callers that render paths of another OS."""
        return EnvLayout.for_path(self.root, windows=self.windows)

    @property
    def bin_name(self) -> str:
        """`Scripts` on Windows, `bin` elsewhere."""
        return self.layout.bin_dir.name

    @property
    def bin_dir(self) -> Path:
        """Folder of the env's executables and activation scripts."""
        return self.root / self.bin_name

    @property
    def python(self) -> Path:
        """The env's interpreter (`bin/python`, `Scripts/python.exe`)."""
        return self.bin_dir / self.layout.python.name

    def executable(self, name: str) -> Path:
        """A console script or program in the env's bin folder (`.exe` added on Windows)."""
        return self.bin_dir / self.layout.executable(name).name

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
        return self.cfg.home

    @property
    def version_text(self) -> str | None:
        """The base Python version as pyvenv.cfg spells it."""
        return self.cfg.version

    @property
    def version(self) -> tuple[int, ...] | None:
        """(3, 12, 1) from pyvenv.cfg; None when it records none that reads as a version."""
        return python_version(self.cfg.version)

    def site_packages(self) -> list[Path]:
        """Every site-packages folder that exists in the env (found on disk, no interpreter started).

        POSIX: `lib/<python|pypy>X.Y[t]/site-packages`, sorted; Windows: `Lib/site-packages`.
        """
        if self.windows:
            candidates = [self.root / "Lib" / "site-packages"]
        else:
            candidates = sorted((self.root / "lib").glob("*/site-packages"))
        return [path for path in candidates if path.is_dir()]

    def expected_site_packages(self, *, implementation: str = "CPython") -> Path | None:
        """Where site-packages belongs for the recorded version (whether or not it exists); None without one."""
        version = self.version
        if version is None:
            return None
        relative = self.layout.site_packages((version[0], version[1]), implementation=implementation)
        return self.root.joinpath(*relative.parts[len(self.layout.root.parts):])
