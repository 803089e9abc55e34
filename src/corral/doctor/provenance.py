"""Env not made by corral: no provenance record (report; `doctor --fix` writes one after confirmation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.health import Finding

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = ["check_provenance"]


def check_provenance(target: Target) -> list[Finding]:
    """Report an env without corral's record."""
    if target.provenance is not None:
        return []
    fix = "corral doctor --fix" if target.is_project_env else f"corral doctor --fix {target.root}"
    return [Finding(code="not-made-by-corral", severity="info", fix=fix,
                    message=f"the env was made by {target.cfg.creator}, not corral (no corral-env.json); "
                            "adopting it writes a record so doctor can spot later moves")]
