"""Env not made by corral: no provenance record (report; `doctor --fix` writes one after confirmation)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from corral.core.health import Finding
from corral.core.provenance import PROVENANCE_FILE, Provenance

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = ["check_provenance"]


def _damage(target: Target) -> str | None:
    """Why the env's corral-env.json could not be read, None when there is no such file."""
    from corral.errors import ConfigError
    from corral.infra.json_file import read_json_object

    path = target.root / PROVENANCE_FILE
    if not os.path.lexists(path):
        return None
    try:
        Provenance.from_dict(read_json_object(path, follow=False))
    except OSError as err:  # unreadable, or a fifo, a device, a link, a huge file (infra.safe_read)
        return (err.strerror or str(err)).split("; ")[0]
    except (ConfigError, ValueError) as err:
        return str(err).removeprefix(f"{path}: ").removeprefix(f"{PROVENANCE_FILE}: ").split("; ")[0]
    return None


def check_provenance(target: Target) -> list[Finding]:
    """Report an env without corral's record."""
    if target.provenance is not None:
        return []
    fix = "corral doctor --fix" if target.is_project_env else f"corral doctor --fix {target.root}"
    damage = _damage(target)
    if damage is not None:
        return [Finding(code="not-made-by-corral", severity="warning", fix=fix,
                        message=f"{PROVENANCE_FILE} is damaged ({damage}), so corral cannot tell who made the env; "
                                "fixing rewrites the record")]
    return [Finding(code="not-made-by-corral", severity="info", fix=fix,
                    message=f"the env was made by {target.cfg.creator}, not corral (no corral-env.json); "
                            "adopting it writes a record so doctor can spot later moves")]
