"""Where corral keeps its own data, cache and configuration."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CorralPaths", "xdg_dirs"]

_APP = "corral"
# The XDG base directories and platformdirs' default under HOME for each (Linux, the user's folders).
_XDG = (("XDG_DATA_HOME", ".local/share"), ("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"))


def xdg_dirs(environ: Mapping[str, str], platform: str = sys.platform) -> tuple[str, str, str] | None:
    """Corral's (data, cache, config) folders on Linux as platformdirs places them, without importing it (~6 ms).

    Each is `$XDG_*_HOME/corral` when the variable is absolute, else `$HOME/.local/share/corral`, `~/.cache/corral`,
    `~/.config/corral`. None (platformdirs decides) on any other platform, without an absolute HOME, or with a
    non-empty relative XDG variable (platformdirs versions differ on those).
    """
    home = environ.get("HOME", "")
    if platform != "linux" or not home.startswith("/"):
        return None
    found: list[str] = []
    for name, default in _XDG:
        value = environ.get(name, "")
        if value and not value.startswith("/"):
            return None
        found.append(os.path.join(value or (home.rstrip("/") + "/" + default), _APP))
    return found[0], found[1], found[2]


class CorralPaths:
    """corral's folders; built once per command and passed in, never a module global.

    `CORRAL_HOME` puts everything under one folder (tests and portable installs use it);
    otherwise the platform's conventional folders are used (platformdirs).
    """

    # A plain immutable class rather than a dataclass: the warm paths of `run`/`sync`/the cd-hook build one,
    # and importing dataclasses (with inspect) costs them ~9 ms.
    __slots__ = ("cache", "config", "data")
    data: Path
    cache: Path
    config: Path

    def __init__(self, *, data: Path, cache: Path, config: Path) -> None:
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "cache", cache)
        object.__setattr__(self, "config", config)

    def __setattr__(self, name: str, value: object) -> None:
        msg = "CorralPaths is immutable"
        raise AttributeError(msg)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CorralPaths):
            return NotImplemented
        return (self.data, self.cache, self.config) == (other.data, other.cache, other.config)

    def __hash__(self) -> int:
        return hash((self.data, self.cache, self.config))

    def __repr__(self) -> str:
        return f"CorralPaths(data={self.data!r}, cache={self.cache!r}, config={self.config!r})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> CorralPaths:
        """Build from `CORRAL_HOME` or the platform's user folders."""
        env = os.environ if environ is None else environ
        home = env.get("CORRAL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(data=root / "data", cache=root / "cache", config=root / "config")
        found = xdg_dirs(os.environ)  # what platformdirs reads
        if found is not None:
            return cls(data=Path(found[0]), cache=Path(found[1]), config=Path(found[2]))
        import platformdirs

        return cls(
            data=Path(platformdirs.user_data_dir(_APP, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(_APP, appauthor=False)),
            config=Path(platformdirs.user_config_dir(_APP, appauthor=False)),
        )

    @property
    def interpreter_cache(self) -> Path:
        """JSON cache of interpreter identities, keyed by path, size and mtime."""
        return self.cache / "interpreters.json"

    @property
    def user_config_file(self) -> Path:
        """The user's config file (TOML)."""
        return self.config / "config.toml"
