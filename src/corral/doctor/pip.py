"""pip missing or older than the newest pip for the env's Python."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.core.pyversion import release
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = ["FIXES", "LAST_PIP", "MIN_RECENT_PIP", "PIP_MISSING", "PIP_OUTDATED", "check_pip", "newest_pip_for"]

PIP_MISSING: Final = "pip-missing"
PIP_OUTDATED: Final = "pip-outdated"

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


def check_pip(target: Target) -> list[Finding]:
    """Pip present and recent enough (the seed's safe upgrade form runs pip inside the env)."""
    version = target.recorded_version
    pip = next((v for n, v in target.distributions.items() if n.lower() == "pip"), None)
    py = target.python
    if pip is None:
        seeded = target.provenance.options.get("seed", True) if target.provenance else True
        if seeded and target.is_project_env:  # a sync installs the seed a seeded env lacks (one it was cut off in)
            return [
                Finding(
                    code=PIP_MISSING,
                    severity="warning",
                    fix="corral sync",
                    message="pip is not installed in the env (a sync that did not finish, or pip removed by hand); "
                    "a sync installs the seed packages again",
                )
            ]
        return [
            Finding(
                code=PIP_MISSING,
                severity="warning" if seeded else "info",
                fix=f"{py} -m ensurepip --upgrade",
                message="pip is not installed in the env" + ("" if seeded else " (created without seed)"),
            )
        ]
    if version is None:
        return []
    wanted = newest_pip_for(version)
    if release(pip) < release(wanted):
        return [
            Finding(
                code=PIP_OUTDATED,
                severity="warning",
                fix=f"{py} -m pip install -U pip",
                message=f"pip {pip} is older than {wanted}, the newest pip corral expects for Python "
                f"{version[0]}.{version[1]}",
                details={"installed": pip, "expected": wanted},
            )
        ]
    return []


def _fix_pip(target: Target, finding: Finding, repairs: Repairs) -> str:
    """Sync the project's seeded env (its seed as corral installs it), else bootstrap pip (ensurepip) or upgrade it."""
    from corral.infra.proc import run

    if finding.fix == "corral sync":
        return repairs.sync()
    args = ["-m", "ensurepip", "--upgrade"] if finding.code == PIP_MISSING else ["-m", "pip", "install", "-U", "pip"]
    run([str(target.python), *args], env=repairs.environ(), what="pip upgrade")
    return f"ran {target.python} {' '.join(args)}"


_PIP: Final = Fix(apply=_fix_pip, covered_by_rebuild=True)

FIXES: Final[dict[str, Fix]] = {PIP_MISSING: _PIP, PIP_OUTDATED: _PIP}
