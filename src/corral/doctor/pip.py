"""pip missing or older than the newest pip for the env's Python (`toolchain.pip_floor`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.core.pyversion import release
from corral.doctor.interface import Fix
from corral.toolchain.pip_floor import newest_pip_for

if TYPE_CHECKING:
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = ["FIXES", "PIP_MISSING", "PIP_OUTDATED", "check_pip"]

PIP_MISSING: Final = "pip-missing"
PIP_OUTDATED: Final = "pip-outdated"


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
