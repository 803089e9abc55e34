"""The one-line end-of-life notice every command prints for an env on a legacy Python (2.7, 3.6, 3.7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.pyvenv_cfg import PyvenvCfg
from corral.toolchain.legacy import legacy_notice

if TYPE_CHECKING:
    from pathlib import Path

    from corral.services.context import Context

__all__ = ["env_python_version", "notice_for_env"]


def env_python_version(env_path: Path) -> str | None:
    """The base Python version pyvenv.cfg records (venv, uv and virtualenv keys), or None."""
    try:
        text = (env_path / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return PyvenvCfg.parse(text).version


def notice_for_env(ctx: Context, env_path: Path) -> str | None:
    """The legacy notice for the env at `env_path` (reads pyvenv.cfg only), or None when not legacy or silenced.

    The `legacy-notice` setting (CORRAL_LEGACY_NOTICE, [tool.corral], user config) set to false silences it.
    """
    version = env_python_version(env_path)
    notice = legacy_notice(version) if version else None
    if notice is None or not ctx.settings.value("legacy-notice"):
        return None
    return notice
