"""uv behind a shell wrapper that writes down each `uv export` command line (which selections a lock exported)."""

from __future__ import annotations

import stat
from pathlib import Path

from corral.infra import uvbin

__all__ = ["logging_uv"]


def logging_uv(folder: Path, log: Path) -> str:
    """A `folder/bin/uv` that appends each `uv export`'s arguments to `log`, then runs the real uv; its path."""
    real = uvbin.uv_binary()
    wrapper = folder / "bin" / "uv"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = "export" ]; then echo "$@" >> "{log}"; fi\nexec "{real}" "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)
