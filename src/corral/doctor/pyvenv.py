"""A damaged pyvenv.cfg: not UTF-8, no `home`, lines that are not `key = value`, a `home` without a Python.

pyvenv.cfg sits in the env (a repository may ship one), and `site.py` reads it at every start of the env's
Python: bytes that are not UTF-8 stop the interpreter before it runs a line. The file alone cannot prove the
env works, so when it looks damaged the env's own python is started once (`-c pass`) to say whether it can run,
unless it is a program the project ships (the exec guard, asked through the target's host).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from corral.core.health import Finding
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.doctor.interface import Fix
from corral.doctor.interpreter import PYTHON_NOT_RUN, PYTHON_NOT_RUNNABLE
from corral.infra.envfiles import read_pyvenv_cfg

if TYPE_CHECKING:
    from corral.doctor.target import Target

__all__ = ["FIXES", "PYVENV_CFG_DAMAGED", "check_pyvenv_cfg"]

PYVENV_CFG_DAMAGED: Final = "pyvenv-cfg-damaged"
FIXES: Final[dict[str, Fix]] = {PYVENV_CFG_DAMAGED: Fix(rebuild=True)}

_START_TIMEOUT = 20.0
_BOOL_VALUES = frozenset({"true", "false"})


def _problems(data: bytes) -> tuple[list[str], list[str]]:
    """(errors, warnings) found in pyvenv.cfg's bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        at = data.count(b"\n", 0, err.start) + 1
        return [f"pyvenv.cfg is not UTF-8 text ({err.reason} at line {at})"], []
    errors: list[str] = []
    warnings = [
        f"pyvenv.cfg line {number} is not `key = value`: {stripped[:40]!r}"
        for number, stripped in PyvenvCfg.odd_lines(text)
    ]
    values = PyvenvCfg.parse(text).values
    home = values.get("home")
    if not home:
        errors.append("pyvenv.cfg has no `home = ...` line naming the base Python")
    elif os.path.isdir(home) and not any(_is_program(home, name) for name in _names(home) if name.startswith("python")):
        errors.append(f"pyvenv.cfg home {home} holds no Python executable")
    ssp = values.get("include-system-site-packages")
    if ssp is not None and ssp.lower() not in _BOOL_VALUES:
        warnings.append(f"pyvenv.cfg include-system-site-packages is {ssp!r}, not true or false")
    return errors, warnings


def _is_program(folder: str, name: str) -> bool:
    path = os.path.join(folder, name)
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _names(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _start_failure(target: Target) -> str | None:
    """Why the env's python cannot start (its last line of stderr), None when it starts."""
    from corral.errors import EngineError
    from corral.infra.environ import isolated_environ
    from corral.infra.proc import run

    if not os.path.exists(target.python):
        return None  # check_interpreter reports a missing interpreter
    try:
        done = run(
            [str(target.python), "-c", "pass"],
            env=isolated_environ(),
            check=False,
            timeout=_START_TIMEOUT,
            what="python",
        )
    except EngineError as err:
        return str(err)
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {done.returncode}"


def check_pyvenv_cfg(target: Target) -> list[Finding]:
    """Report what is wrong in pyvenv.cfg, and whether the env's python still starts."""
    try:
        data = read_pyvenv_cfg(target.root)
    except OSError as err:  # missing, unreadable, or a fifo, a device or a huge file (infra.safe_read)
        return [
            Finding(
                code=PYVENV_CFG_DAMAGED,
                severity="error",
                fix=target.fix_command("corral recreate"),
                message=f"cannot read pyvenv.cfg: {err.strerror}",
            )
        ]
    errors, warnings = _problems(data)
    if not errors and not warnings:
        return []
    rebuild = target.fix_command("corral recreate")
    findings = [
        Finding(
            code=PYVENV_CFG_DAMAGED,
            severity="error",
            fix=rebuild,
            message=f"{text}: the env is damaged",
            details={"pyvenv_cfg": str(target.root / "pyvenv.cfg")},
        )
        for text in errors
    ]
    findings += [Finding(code=PYVENV_CFG_DAMAGED, severity="warning", fix=rebuild, message=text) for text in warnings]
    if target.python_refusal is not None:
        if target.base_refusal is None:  # a refused base is check_interpreter's finding
            findings.append(
                Finding(
                    code=PYTHON_NOT_RUN,
                    severity="error",
                    fix=rebuild,
                    message=f"not run to see whether it starts: {target.python_refusal}",
                )
            )
        return findings
    failure = _start_failure(target)
    if failure is not None:
        findings.append(
            Finding(
                code=PYTHON_NOT_RUNNABLE,
                severity="error",
                fix=rebuild,
                message=f"{target.python} cannot start because of its pyvenv.cfg: {failure}",
                details={"error": failure},
            )
        )
    return findings
