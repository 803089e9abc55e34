"""Isolation: system site-packages visible without being asked for; externally managed (PEP 668) base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = [
    "BASE_EXTERNALLY_MANAGED",
    "FIXES",
    "SYSTEM_SITE_PACKAGES",
    "SYSTEM_SITE_PACKAGES_RECORDED",
    "check_isolation",
]

SYSTEM_SITE_PACKAGES: Final = "system-site-packages"
SYSTEM_SITE_PACKAGES_RECORDED: Final = "system-site-packages-recorded"  # asked for: a fact, nothing to fix
BASE_EXTERNALLY_MANAGED: Final = "base-externally-managed"
FIXES: Final[dict[str, Fix]] = {SYSTEM_SITE_PACKAGES: Fix(rebuild=True)}


def check_isolation(target: Target) -> list[Finding]:
    """System site-packages only when [tool.corral] system-site-packages asks; note a PEP 668 base."""
    findings: list[Finding] = []
    if target.cfg.system_site_packages:
        asked = (
            bool(target.project.tool.get("system-site-packages"))
            if target.is_project_env and target.project is not None
            else None
        )
        if asked is False:
            findings.append(
                Finding(
                    code=SYSTEM_SITE_PACKAGES,
                    severity="warning",
                    fix="corral recreate",
                    message="the env sees the base interpreter's site-packages, but [tool.corral] system-site-packages "
                    "is not true: imports may come from outside the lock",
                )
            )
        elif asked is None:
            findings.append(
                Finding(
                    code=SYSTEM_SITE_PACKAGES,
                    severity="info",
                    message="the env sees the base interpreter's site-packages",
                )
            )
        else:  # asked: say so (a code --fix does not act on)
            findings.append(
                Finding(
                    code=SYSTEM_SITE_PACKAGES_RECORDED,
                    severity="info",
                    message="the env sees the base interpreter's site-packages, as [tool.corral] "
                    "system-site-packages = true asks; exact sync leaves those packages alone",
                )
            )
    ident = target.base_identity
    if ident and ident.get("externally_managed"):
        findings.append(
            Finding(
                code=BASE_EXTERNALLY_MANAGED,
                severity="info",
                message=f"the base interpreter {target.base_executable} is externally managed (PEP 668): fine for this "
                "env; never install into the base itself",
            )
        )
    return findings
