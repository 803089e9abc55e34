"""Relocated env: the recorded location, activate's VIRTUAL_ENV or console-script shebangs name another folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from corral.core.env import BIN_NAMES, Env
from corral.core.health import Finding
from corral.doctor.interface import Fix, InPlace
from corral.infra.envfiles import activate_location, script_interpreter

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = [
    "ACTIVATE_STALE",
    "ENV_MOVED",
    "FIXES",
    "SCRIPTS_FOREIGN",
    "activate_location",
    "check_relocation",
    "script_interpreter",
]

ENV_MOVED: Final = "env-moved"
ACTIVATE_STALE: Final = "activate-stale"
SCRIPTS_FOREIGN: Final = "scripts-foreign"


def _foreign_scripts(target: Target) -> list[tuple[str, str]]:
    """(script, interpreter) for scripts whose interpreter is some `*/bin/python*` outside this env."""
    real_root = os.path.realpath(target.root)
    foreign = []
    try:
        entries = list(os.scandir(target.bin_dir))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(("activate", "python")) or not entry.is_file(follow_symlinks=False):
            continue
        program = script_interpreter(Path(entry.path))
        if program is None or not os.path.isabs(program):
            continue
        env_of_program = os.path.dirname(os.path.dirname(program))
        if (
            os.path.realpath(env_of_program) != real_root
            and os.path.basename(os.path.dirname(program)) in BIN_NAMES
            and _looks_like_env_python(env_of_program, target)
        ):
            foreign.append((entry.name, program))
    return sorted(foreign)


def _looks_like_env_python(env_of_program: str, target: Target) -> bool:
    # A script may legitimately name a base interpreter (e.g. /usr/bin/python3); flag only env pythons and
    # paths that are gone (the usual sign of a moved env), never the env's own base.
    base = target.cfg.home
    if base and os.path.realpath(Env.at(env_of_program).bin_dir) == os.path.realpath(base):
        return False
    return os.path.isfile(os.path.join(env_of_program, "pyvenv.cfg")) or not os.path.exists(env_of_program)


def check_relocation(target: Target) -> list[Finding]:
    """Recorded location, activate's VIRTUAL_ENV and console-script shebangs must all name this folder."""
    findings: list[Finding] = []
    real_root = os.path.realpath(target.root)
    fix = target.fix_command("corral recreate")
    prov = target.provenance
    if prov is not None and prov.location and os.path.realpath(prov.location) != real_root:
        findings.append(
            Finding(
                code=ENV_MOVED,
                severity="error",
                fix=fix,
                message=f"env was created at {prov.location} but lives at {target.root} (moved or copied)",
                details={"recorded": prov.location, "actual": str(target.root)},
            )
        )
    recorded = activate_location(target.bin_dir)
    if recorded is not None and os.path.realpath(recorded) != real_root:
        findings.append(
            Finding(
                code=ACTIVATE_STALE,
                severity="error",
                fix=fix,
                message=f"bin/activate sets VIRTUAL_ENV={recorded}, not this env: activating it silently uses another "
                "Python",
                details={"recorded": recorded},
            )
        )
    foreign = _foreign_scripts(target)
    if foreign:
        names = ", ".join(name for name, _ in foreign[:5]) + (" ..." if len(foreign) > 5 else "")  # noqa: PLR2004
        findings.append(
            Finding(
                code=SCRIPTS_FOREIGN,
                severity="error",
                fix=fix,
                message=f"{len(foreign)} console script(s) run another env's python ({names}; e.g. {foreign[0][1]}): "
                "they fail or run the wrong env",
                details={"scripts": dict(foreign)},
            )
        )
    return findings


def _relocate_in_place(target: Target, findings: Mapping[str, Finding], repairs: Repairs) -> str:
    """Rewrite the old location inside the env's files to where it lives now."""
    from corral.errors import EnvError

    moved = findings.get(ENV_MOVED)
    old = (moved.details.get("recorded") if moved else None) or activate_location(target.bin_dir)
    if not old:
        msg = f"cannot tell where {target.root} was before it moved"
        raise EnvError(msg)
    changed = repairs.relocate(target.root, str(old))
    return f"rewrote {changed} file(s) from {old} to {target.root}"


_MOVED: Final = Fix(
    rebuild=True,
    in_place=InPlace(
        question=lambda target: f"rewrite the old paths inside {target.root} so it works where it is now?",
        apply=_relocate_in_place,
    ),
)

FIXES: Final[dict[str, Fix]] = {ENV_MOVED: _MOVED, ACTIVATE_STALE: _MOVED, SCRIPTS_FOREIGN: _MOVED}
