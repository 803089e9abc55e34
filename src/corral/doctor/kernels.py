"""Jupyter kernels of the env (or of its project) whose interpreter is gone, broken or out of date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.health import Finding

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = ["check_kernels"]


def check_kernels(target: Target) -> list[Finding]:
    """A kernelspec that starts this env must start its current interpreter; a project's kernel must have an env."""
    from corral.kernels.registry import points_at
    from corral.services.kernels import env_python, env_version, kernels_for_env, list_all, refreshed_argv

    findings: list[Finding] = []
    ctx = target.ctx
    mine = {str(e.resource_dir) for e in kernels_for_env(target.root, ctx=ctx)}
    python, version = str(env_python(target.root)), env_version(target.root)
    project_root = str(target.project.root) if target.project is not None else None
    for entry in list_all(ctx):
        if entry.spec is None or entry.shadowed:
            continue
        name = entry.name
        if str(entry.resource_dir) in mine or points_at(entry, target.root):
            if entry.status in {"env-broken", "env-missing", "interpreter-missing"}:
                findings.append(Finding(
                    code="kernel-env-broken", severity="warning", fix=target.fix_command("corral recreate"),
                    message=f"Jupyter kernel {name!r} cannot start: {entry.detail}",
                    details={"kernel": name, "resource_dir": str(entry.resource_dir)}))
            elif refreshed_argv(entry.spec.argv, python, version) != list(entry.spec.argv):
                findings.append(Finding(
                    code="kernel-stale", severity="warning", fix=f"corral kernel add --name {name}",
                    message=f"Jupyter kernel {name!r} starts {entry.spec.python}, not this env's {python}",
                    details={"kernel": name, "resource_dir": str(entry.resource_dir)}))
            continue
        record = entry.spec.corral or {}
        if project_root is None or record.get("project") != project_root or entry.works:
            continue
        env = record.get("env")
        if isinstance(env, str) and os.path.abspath(env) != os.path.abspath(Path(target.root)):
            findings.append(Finding(
                code="kernel-env-missing", severity="warning", fix=f"corral kernel remove {name}",
                message=f"Jupyter kernel {name!r} of this project starts {entry.spec.python}: {entry.detail}",
                details={"kernel": name, "env": env, "resource_dir": str(entry.resource_dir)}))
    return findings
