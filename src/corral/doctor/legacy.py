"""Legacy zones: an env on Python 2.7, 3.6 or 3.7 (past end of life) is reported as an info finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.toolchain.legacy import legacy_notice, legacy_python

if TYPE_CHECKING:
    from corral.doctor.interface import Fix
    from corral.doctor.target import Target

__all__ = ["FIXES", "LEGACY_PYTHON", "check_legacy"]

LEGACY_PYTHON: Final = "legacy-python"
FIXES: Final[dict[str, Fix]] = {}  # a fact (the end-of-life date), nothing to repair


def check_legacy(target: Target) -> list[Finding]:
    """One info finding (never a failure) naming the end-of-life date, read from pyvenv.cfg only."""
    version = target.recorded_version
    row = legacy_python(version) if version else None
    notice = legacy_notice(version) if version else None
    if row is None or notice is None:
        return []
    return [
        Finding(
            code=LEGACY_PYTHON,
            severity="info",
            message=notice,
            details={"python": row.version, "eol": row.eol, "creator": row.default_creator},
        )
    ]
