"""Where the test suite finds the real seed wheels (pip, setuptools, wheel, ipykernel...).

The wheelhouse is filled once by ``python tools/fetch_wheelhouse.py`` from the
list in ``tests/wheelhouse.txt``; tests that need it call `require_wheelhouse`,
which skips them (or, under ``CI=true``, fails them) while it is incomplete.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
FETCH_SCRIPT = ROOT / "tools" / "fetch_wheelhouse.py"
SPEC = ROOT / "tests" / "wheelhouse.txt"
FETCH_HINT = "run `python tools/fetch_wheelhouse.py` once (it downloads from PyPI)"
WHEELHOUSE: Path = Path(os.environ.get("CORRAL_TEST_WHEELHOUSE") or ROOT / "tests" / ".wheelhouse").resolve()


@cache
def fetcher() -> ModuleType:
    """Return tools/fetch_wheelhouse.py loaded as a module (it owns the spec format)."""
    spec = importlib.util.spec_from_file_location("fetch_wheelhouse", FETCH_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {FETCH_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def missing_from_wheelhouse(*patterns: str, wheelhouse: Path = WHEELHOUSE) -> list[str]:
    """Return the `patterns` no file matches or, with none given, the spec lines not fetched yet."""
    if patterns:
        return [p for p in patterns if not any(wheelhouse.glob(p))]
    lines: list[str] = fetcher().missing(wheelhouse, SPEC)
    return lines


def in_ci() -> bool:
    """Tell whether the suite runs under CI (``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def require_wheelhouse(*patterns: str) -> Path:
    """Return the wheelhouse if it holds files matching every glob in `patterns` (or, with none, is complete).

    Otherwise skip the test, or fail it under ``CI=true``.
    """
    missing = missing_from_wheelhouse(*patterns)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        reason = f"wheelhouse {WHEELHOUSE} lacks {shown}: {FETCH_HINT}"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return WHEELHOUSE
