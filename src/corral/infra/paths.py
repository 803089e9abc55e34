"""Where corral keeps its own data, cache and configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CorralPaths"]

_APP = "corral"


@dataclass(frozen=True, kw_only=True, slots=True)
class CorralPaths:
    """corral's folders; built once per command and passed in, never a module global.

    `CORRAL_HOME` puts everything under one folder (tests and portable installs use it);
    otherwise the platform's conventional folders are used (platformdirs).
    """

    data: Path
    cache: Path
    config: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> CorralPaths:
        """Build from `CORRAL_HOME` or the platform's user folders."""
        env = os.environ if environ is None else environ
        home = env.get("CORRAL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(data=root / "data", cache=root / "cache", config=root / "config")
        import platformdirs  # noqa: PLC0415 - only commands that need folders pay for it

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
