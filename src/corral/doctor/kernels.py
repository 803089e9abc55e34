"""Jupyter kernels of the env (or of its project) whose interpreter is gone, broken or out of date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding

if TYPE_CHECKING:
    from corral.doctor.interface import Fix
    from corral.doctor.target import Target

__all__ = ["FIXES", "KERNEL_ENV_BROKEN", "KERNEL_ENV_MISSING", "KERNEL_STALE", "check_kernels"]

KERNEL_ENV_BROKEN: Final = "kernel-env-broken"
KERNEL_STALE: Final = "kernel-stale"
KERNEL_ENV_MISSING: Final = "kernel-env-missing"
FIXES: Final[dict[str, Fix]] = {}  # each finding names the kernel command that fixes it; --fix leaves kernels alone


def _version(target: Target) -> tuple[int, ...] | None:
    try:
        return target.recorded_version
    except OSError:  # no readable pyvenv.cfg: the pyvenv check says so
        return None


def check_kernels(target: Target) -> list[Finding]:
    """A kernelspec that starts this env must start its current interpreter; a project's kernel must have an env."""
    from corral.kernels.registry import points_at
    from corral.kernels.spec import stale_argv

    findings: list[Finding] = []
    entries, mine = target.host.kernels(target.root)
    python, version = str(target.python), _version(target)
    project_root = str(target.project.root) if target.project is not None else None
    for entry in entries:
        if entry.spec is None or entry.shadowed:
            continue
        name = entry.name
        if str(entry.resource_dir) in mine or points_at(entry, target.root):
            if entry.status in {"env-broken", "env-missing", "interpreter-missing"}:
                findings.append(
                    Finding(
                        code=KERNEL_ENV_BROKEN,
                        severity="warning",
                        fix=target.fix_command("corral recreate"),
                        message=f"Jupyter kernel {name!r} cannot start: {entry.detail}",
                        details={"kernel": name, "resource_dir": str(entry.resource_dir)},
                    )
                )
            elif (stale := stale_argv(entry.spec.argv, python, version)) is not None:
                findings.append(
                    Finding(
                        code=KERNEL_STALE,
                        severity="warning",
                        fix=f"corral kernel add --name {name}",
                        message=f"Jupyter kernel {name!r} starts {stale}",
                        details={"kernel": name, "resource_dir": str(entry.resource_dir)},
                    )
                )
            continue
        record = entry.spec.corral or {}
        if project_root is None or record.get("project") != project_root or entry.works:
            continue
        env = record.get("env")
        if isinstance(env, str) and os.path.abspath(env) != os.path.abspath(Path(target.root)):
            findings.append(
                Finding(
                    code=KERNEL_ENV_MISSING,
                    severity="warning",
                    fix=f"corral kernel remove {name}",
                    message=f"Jupyter kernel {name!r} of this project starts {entry.spec.python}: {entry.detail}",
                    details={"kernel": name, "env": env, "resource_dir": str(entry.resource_dir)},
                )
            )
    return findings
