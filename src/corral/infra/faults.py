"""Fault injection for crash tests: `checkpoint(name)` kills the process when CORRAL_FAULT names that point."""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_VARIABLE", "checkpoint"]

FAULT_VARIABLE = "CORRAL_FAULT"


def checkpoint(name: str) -> None:
    """SIGKILL ourselves here when CORRAL_FAULT equals `name` (or lists it, comma-separated); no-op otherwise."""
    wanted = os.environ.get(FAULT_VARIABLE)
    if wanted and name in {w.strip() for w in wanted.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)
