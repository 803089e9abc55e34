"""Env not made by corral: no provenance record (report; `doctor --fix` writes one after confirmation)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.core.provenance import PROVENANCE_FILE, Provenance
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = ["FIXES", "NOT_MADE_BY_CORRAL", "check_provenance"]

NOT_MADE_BY_CORRAL: Final = "not-made-by-corral"


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
        return [
            Finding(
                code=NOT_MADE_BY_CORRAL,
                severity="warning",
                fix=fix,
                message=f"{PROVENANCE_FILE} is damaged ({damage}), so corral cannot tell who made the env; "
                "fixing rewrites the record",
            )
        ]
    return [
        Finding(
            code=NOT_MADE_BY_CORRAL,
            severity="info",
            fix=fix,
            message=f"the env was made by {target.cfg.creator}, not corral (no corral-env.json); "
            "adopting it writes a record so doctor can spot later moves",
        )
    ]


def _fix_record(target: Target, finding: Finding, repairs: Repairs) -> str:  # noqa: ARG001 - a file of its own
    """Write corral's record into the env, so later moves and copies are seen."""
    import datetime as dt
    import json

    from corral import __version__
    from corral.infra.fs import atomic_write_text

    ident = target.base_identity or {}
    record = Provenance(
        corral_version=__version__,
        creator=f"adopted ({target.cfg.creator})",
        location=str(target.root),
        interpreter=str(target.base_executable or ""),
        interpreter_realpath=str(target.base_executable or ""),
        python_version=str(ident.get("version", target.cfg.version or "")),
        implementation=str(ident.get("implementation", "")),
        project=str(target.project.root) if target.is_project_env and target.project else None,
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        options={"system_site_packages": target.cfg.system_site_packages, "adopted": True},
    )
    atomic_write_text(target.root / PROVENANCE_FILE, json.dumps(record.to_dict(), indent=2) + "\n")
    return f"wrote {PROVENANCE_FILE} (corral now tracks this env)"


FIXES: Final[dict[str, Fix]] = {NOT_MADE_BY_CORRAL: Fix(apply=_fix_record, covered_by_rebuild=True)}
