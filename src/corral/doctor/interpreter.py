"""Broken or changed interpreter: dangling link, base gone or upgraded, not the Python the project asks for."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.core.health import Finding
from corral.core.pyversion import python_version
from corral.doctor.interface import Fix

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.doctor.interface import Repairs
    from corral.doctor.target import Target

__all__ = [
    "BASE_MINOR_UPGRADE",
    "BASE_MISSING",
    "BASE_PATCH_UPGRADE",
    "FIXES",
    "PYTHON_LINK_MISSING",
    "PYTHON_MISMATCH",
    "PYTHON_MISSING",
    "PYTHON_NOT_RUN",
    "PYTHON_NOT_RUNNABLE",
    "PYTHON_REQUEST_UNREADABLE",
    "check_interpreter",
    "classify_change",
    "link_findings",
    "rebuild_python",
]

PYTHON_MISSING: Final = "python-missing"
PYTHON_LINK_MISSING: Final = "python-link-missing"  # bin/python3 or python3.X gone: another Python has the name
BASE_MISSING: Final = "base-missing"
PYTHON_NOT_RUN: Final = "python-not-run"  # a program the project ships: never started
PYTHON_NOT_RUNNABLE: Final = "python-not-runnable"
BASE_PATCH_UPGRADE: Final = "base-patch-upgrade"
BASE_MINOR_UPGRADE: Final = "base-minor-upgrade"
PYTHON_MISMATCH: Final = "python-mismatch"
PYTHON_REQUEST_UNREADABLE: Final = "python-request-unreadable"


def classify_change(recorded: tuple[int, ...] | None, current: tuple[int, ...] | None) -> str:
    """ "same", "patch" (same X.Y, other micro), "minor" (other X.Y) or "unknown"."""
    if recorded is None or current is None:
        return "unknown"
    if recorded[:2] != current[:2]:
        return "minor"
    if len(recorded) > 2 and len(current) > 2 and recorded[2] != current[2]:  # noqa: PLR2004
        return "patch"
    return "same"


def _stable_base(target: Target) -> str:
    """The base as the env names it (an installation's stable name such as .../bin/python3), else its realpath."""
    if target.python.is_symlink():
        link = os.readlink(target.python)
        if os.path.isabs(link) and os.path.exists(link):
            return link
    return str(target.base_executable)


def check_interpreter(target: Target) -> list[Finding]:
    """The env's python must resolve and run, and be the base version pyvenv.cfg recorded."""
    rebuild = target.fix_command("corral recreate")
    py = target.python
    if not os.path.lexists(py):
        return [
            Finding(
                code=PYTHON_MISSING,
                severity="error",
                fix=rebuild,
                message=f"the env has no interpreter ({py} is missing)",
            )
        ]
    if not os.path.exists(py):
        link = os.readlink(py) if py.is_symlink() else "?"
        return [
            Finding(
                code=PYTHON_MISSING,
                severity="error",
                fix=rebuild,
                message=f"{py} points to {link}, which is gone (base Python removed or moved)",
                details={"link": link},
            )
        ]
    home = target.cfg.home
    findings: list[Finding] = link_findings(target)
    if home and not os.path.isdir(home):
        findings.append(
            Finding(
                code=BASE_MISSING,
                severity="error",
                fix=rebuild,
                message=f"pyvenv.cfg home {home} no longer exists",
                details={"home": home},
            )
        )
    ident = target.base_identity
    if ident is None and target.base_refusal is not None:
        findings.append(
            Finding(
                code=PYTHON_NOT_RUN,
                severity="error",
                fix=rebuild,
                message=f"not run: {target.base_refusal}",
                details={"base": str(target.base_executable)},
            )
        )
        return findings
    if ident is None:
        findings.append(
            Finding(
                code=PYTHON_NOT_RUNNABLE,
                severity="error",
                fix=rebuild,
                message=f"{py} does not run as a Python interpreter",
            )
        )
        return findings
    current = python_version(str(ident.get("version", "")))
    recorded = target.recorded_version
    change = classify_change(recorded, current)
    base = _stable_base(target)
    old, new = target.cfg.version, ident.get("version")
    if change == "patch":
        findings.append(
            Finding(
                code=BASE_PATCH_UPGRADE,
                severity="warning",
                fix=target.fix_command(f"corral upgrade --python {base}"),
                message=f"base Python changed from {old} to {new} (same {current[0]}.{current[1]}: packages still "  # type: ignore[index]
                "work); pyvenv.cfg and links should be updated in place",
                details={"recorded": old, "current": new, "base": base},
            )
        )
    elif change == "minor":
        findings.append(
            Finding(
                code=BASE_MINOR_UPGRADE,
                severity="error",
                fix=target.fix_command(f"corral recreate --python {base}"),
                message=f"base Python changed from {old} to {new}: the env starts but every installed package is "
                "invisible; rebuild it for the new version",
                details={"recorded": old, "current": new, "base": base},
            )
        )
    return findings + _request_findings(target, ident)


def link_findings(target: Target) -> list[Finding]:
    """`bin/pythonX` and `bin/pythonX.Y` beside `bin/python`, as `python -m venv`, uv and corral make them (POSIX).

    With the env active, a name that is gone is found further down PATH: `python3.12` then starts the base or
    another Python, without the env's packages. Only for CPython (PyPy's envs name their programs `pypy*`), and only
    when the base's identity is known (otherwise another finding says what is wrong with the interpreter).
    """
    version = target.recorded_version
    ident = target.base_identity
    if target.env.windows or version is None or len(version) < 2 or not ident:  # noqa: PLR2004 - X.Y
        return []
    if ident.get("implementation") != "CPython":
        return []
    findings = []
    for name in (f"python{version[0]}", f"python{version[0]}.{version[1]}"):
        path = target.bin_dir / name
        if os.path.exists(path):
            continue
        gone = f"{path} points to {os.readlink(path)}, which is gone" if path.is_symlink() else f"{path} is missing"
        findings.append(
            Finding(
                code=PYTHON_LINK_MISSING,
                severity="error",
                fix=target.fix_command("corral recreate"),
                message=f"{gone} (an env has python, python{version[0]} and python{version[0]}.{version[1]}): with "
                f"the env active, `{name}` starts another Python, without the env's packages",
                details={"link": str(path)},
            )
        )
    return findings


def _request_findings(target: Target, ident: dict[str, Any]) -> list[Finding]:
    """The project's env must run what the project asks for: its `python` setting, .python-version, requires-python."""
    if not target.is_project_env:
        return []
    from corral.core.interpreter import InterpreterInfo
    from corral.errors import CorralError

    try:
        info = InterpreterInfo.from_probe(ident, path=str(target.base_executable))
        wanted = target.host.unmet_request(info)
    except (CorralError, KeyError, TypeError, ValueError) as err:
        return [
            Finding(
                code=PYTHON_REQUEST_UNREADABLE,
                severity="warning",
                message=f"cannot tell which Python the project asks for: {err}",
            )
        ]
    if wanted is None:
        return []
    return [
        Finding(
            code=PYTHON_MISMATCH,
            severity="error",
            fix="corral recreate",
            message=f"the env runs {info.implementation} {info.version}, but {wanted}: rebuild it from the "
            "lock on the requested Python (`corral sync` and `corral run` do so too)",
            details={"current": info.version, "requested": wanted.spec, "source": wanted.source},
        )
    ]


def rebuild_python(findings: Mapping[str, Finding]) -> str | None:
    """The Python a rebuild takes: the new base after a minor upgrade, unless the project asks for another."""
    if PYTHON_MISMATCH in findings:
        return None  # the project asks for another Python: the rebuild takes that one
    minor = findings.get(BASE_MINOR_UPGRADE)
    base = minor.details.get("base") if minor is not None else None
    return str(base) if base else None


def _fix_patch(target: Target, finding: Finding, repairs: Repairs) -> str:
    """Move the env onto the upgraded base in place (same X.Y: packages kept)."""
    return repairs.upgrade(target.root, Path(str(finding.details["base"])))


_REBUILD: Final = Fix(rebuild=True)

FIXES: Final[dict[str, Fix]] = {
    PYTHON_MISSING: _REBUILD,
    PYTHON_LINK_MISSING: _REBUILD,
    BASE_MISSING: _REBUILD,
    PYTHON_NOT_RUNNABLE: _REBUILD,
    PYTHON_NOT_RUN: _REBUILD,
    BASE_MINOR_UPGRADE: _REBUILD,
    PYTHON_MISMATCH: _REBUILD,
    BASE_PATCH_UPGRADE: Fix(apply=_fix_patch, covered_by_rebuild=True),
}
