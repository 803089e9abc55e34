"""Legacy zones: an env on Python 2.7, 3.6 or 3.7 (past end of life) is reported as an info finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding

if TYPE_CHECKING:
    from corral.doctor.interface import Fix
    from corral.doctor.target import Target

__all__ = ["FIXES", "LEGACY_PYTHON", "NEWEST_LEGACY", "check_legacy"]

LEGACY_PYTHON: Final = "legacy-python"
FIXES: Final[dict[str, Fix]] = {}  # a fact (the end-of-life date), nothing to repair
NEWEST_LEGACY: Final = (3, 7)  # toolchain.legacy.LEGACY's newest row (a test keeps the two equal)


def check_legacy(target: Target) -> list[Finding]:
    """One info finding (never a failure) naming the end-of-life date, read from pyvenv.cfg only."""
    version = target.recorded_version
    if not version or tuple(version[:2]) > NEWEST_LEGACY:
        return []  # a supported Python: the legacy table (and its dataclass) is not even imported
    from corral.toolchain.legacy import legacy_notice, legacy_python

    row = legacy_python(version)
    notice = legacy_notice(version)
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
