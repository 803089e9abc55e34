"""The checks of `corral doctor`: one module per family, each a `check_<family>(target) -> list[Finding]`."""

from __future__ import annotations

__all__ = ["CHECK_FAMILIES"]

# family -> "module:function"; services.doctor imports each lazily and runs them all.
CHECK_FAMILIES: dict[str, str] = {
    "pyvenv": "corral.doctor.pyvenv:check_pyvenv_cfg",
    "interpreter": "corral.doctor.interpreter:check_interpreter",
    "relocation": "corral.doctor.relocation:check_relocation",
    "drift": "corral.doctor.drift:check_drift",
    "project": "corral.doctor.project:check_project",
    "pip": "corral.doctor.pip:check_pip",
    "isolation": "corral.doctor.isolation:check_isolation",
    "provenance": "corral.doctor.provenance:check_provenance",
    "kernels": "corral.doctor.kernels:check_kernels",
    "legacy": "corral.doctor.legacy:check_legacy",
}
