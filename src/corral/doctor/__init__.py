"""The checks of `corral doctor`, a plugin family: one module per family of checks.

Each module exports its finding codes (constants), `check_<family>(target) -> list[Finding]` and `FIXES`, the
repairs of its own codes (`interface.Fix`). A module reads the env through `target.Target` and asks what only
the service layer knows through `target.host` (`interface.Host`); it imports core, infra, inventory, kernels,
toolchain and discovery, never the services or the CLI. `services.doctor` lists the families in report order
(`CHECKS`), runs them all and applies their fixes; adding a check is one module plus one row there.
"""

from __future__ import annotations

__all__: list[str] = []
