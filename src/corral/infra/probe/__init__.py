"""Scripts that run inside a target interpreter (any Python 2.7+; build_hooks.py: 3.6+), answering in JSON."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUILD_HOOKS", "PROBE_INFO"]

PROBE_INFO = Path(__file__).with_name("probe_info.py")
BUILD_HOOKS = Path(__file__).with_name("build_hooks.py")  # one PEP 517 hook, run in a throwaway build env
