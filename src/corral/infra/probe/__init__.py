"""Scripts that run inside a target interpreter (any Python 2.7+; build_hook_server.py: 3.6+), answering in JSON."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUILD_HOOK_SERVER", "PROBE_INFO"]

PROBE_INFO = Path(__file__).with_name("probe_info.py")
BUILD_HOOK_SERVER = Path(__file__).with_name("build_hook_server.py")  # the PEP 517 hooks, one backend import
