"""The oldest pip an env of each Python should have: what `corral doctor` expects and a new env is brought to.

Its own module (stdlib only) so that a sync seeding a new env (`services.seed`) reads the table without importing
the doctor family's contract and findings; `doctor.pip` checks against it.
"""

from __future__ import annotations

__all__ = ["LAST_PIP", "MIN_RECENT_PIP", "newest_pip_for"]

# The last pip release that supports each old Python (pip NEWS "Drop support" lines; see
# shared/reference/standards.md §4). corral.toolchain.legacy is the authority for 2.7/3.6/3.7.
LAST_PIP: dict[tuple[int, int], str] = {
    (2, 7): "20.3.4",
    (3, 6): "21.3.1",
    (3, 7): "24.0",
    (3, 8): "25.0.1",
    (3, 9): "26.0.1",
}
# For Python 3.10+: pip 26.1 is the first pip that installs from pylock.toml (`pip install -r pylock.toml`, PEP 751),
# which corral's lock relies on; older pips still work for ad-hoc installs but are flagged as out of date.
MIN_RECENT_PIP = "26.1"


def newest_pip_for(version: tuple[int, ...]) -> str:
    """The pip version an env of this Python should have at least."""
    minor = (version[0], version[1])
    from corral.core.interpreter import LEGACY_EOL

    if minor not in LEGACY_EOL:
        return LAST_PIP.get(minor, MIN_RECENT_PIP)
    from corral.toolchain.legacy import LEGACY

    entry = LEGACY.get(minor)
    return entry.pip if entry is not None and entry.pip else LAST_PIP.get(minor, MIN_RECENT_PIP)
