"""Where corral keeps its own data, cache and configuration."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CorralPaths"]

_APP = "corral"


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
    def from_environment(cls, environ: dict[str, str] | None = None) -> CorralPaths:
        """Build from `CORRAL_HOME` or the platform's user folders."""
        env = os.environ if environ is None else environ
        home = env.get("CORRAL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(data=root / "data", cache=root / "cache", config=root / "config")
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
