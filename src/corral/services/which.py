"""`corral which`: what is really live in the shell.

VIRTUAL_ENV, where `python` and `pip` on PATH resolve, their versions, and whether they belong to this project's
env. Answers from disk (pyvenv.cfg, shebangs, dist-info) where it can.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.env import Env

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.services.context import Context

__all__ = ["Problem", "Resolved", "WhichReport", "which"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolved:
    """One program found on PATH."""

    name: str
    path: str | None
    realpath: str | None
    version: str | None
    env: str | None  # the env whose bin/ holds it (or, for pip, whose interpreter runs it)
    interpreter: str | None = None  # pip: the python its shebang names


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """Something that is not what the user probably expects, and the exact command that fixes it."""

    message: str
    fix: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WhichReport:
    """The answer of `corral which`."""

    virtual_env: str | None
    project_env: str | None
    python: Resolved
    pip: Resolved
    problems: list[Problem] = field(default_factory=list)
    hook: str | None = None  # whether the cd-hook activates the project's env, and why (not)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "ok": self.ok}


def _env_of(program: Path) -> Path | None:
    r"""The env whose bin/ (or Scripts\\) holds `program`, judged by the folder, not the symlink target."""
    root = program.parent.parent
    return root if Env.at(root).is_env() else None


def _cfg_version(env: Path) -> str | None:
    try:
        from corral.infra.envfiles import read_env

        return read_env(env).version_text
    except OSError:
        return None


def _shebang(script: Path) -> str | None:
    from corral.infra.safe_read import read_small

    try:
        head = read_small(script, limit=8192, what="script", truncate=True)
    except OSError:  # unreadable, or a fifo or a device in the env's bin (never waited on)
        return None
    first, _, rest = head.partition(b"\n")
    first = first[:4096]
    if first.startswith((b"#!/bin/sh", b"#!/usr/bin/env sh")):
        # uv/virtualenv relocatable launchers: `'''exec' "$(dirname ...)/python" "$0" "$@"`
        second = rest.split(b"\n", 1)[0][:4096].decode("utf-8", "replace")
        if "exec" in second and "python" in second:
            return str(script.parent / "python")
        return None
    if not first.startswith(b"#!"):
        return None
    line = first[2:].decode("utf-8", "replace").strip()
    words = line.split()
    if words and words[0].endswith("/env") and len(words) > 1:
        words = [shutil.which(words[1]) or words[1]]
    # only a Python shebang tells whose pip this is (a pyenv/asdf shim is a shell script)
    if words and Path(words[0]).name.startswith(("python", "pypy")):
        return words[0]
    return None


def _pip_version(prefix: Path) -> str | None:
    patterns = (
        "lib/python*/site-packages/pip-*.dist-info",
        "lib/pypy*/site-packages/pip-*.dist-info",
        "Lib/site-packages/pip-*.dist-info",
        "lib/python3/dist-packages/pip-*.dist-info",
    )
    for pattern in patterns:
        for hit in sorted(prefix.glob(pattern)):
            return hit.name[len("pip-") : -len(".dist-info")]
    return None


def _python_version(ctx: Context, program: Path, env: Path | None) -> str | None:
    if env is not None:
        return _cfg_version(env)
    try:
        return ctx.finder.from_path(program).version  # cached probe (path + size + mtime)
    except Exception:  # noqa: BLE001 - an unusable interpreter is reported as version unknown
        return None


def _resolve_python(ctx: Context, search: str) -> Resolved:
    found = shutil.which("python", path=search) or shutil.which("python3", path=search)
    if found is None:
        return Resolved(name="python", path=None, realpath=None, version=None, env=None)
    program = Path(found)
    env = _env_of(program)
    return Resolved(
        name="python",
        path=found,
        realpath=os.path.realpath(found),
        version=_python_version(ctx, program, env),
        env=str(env) if env else None,
    )


def _resolve_pip(search: str) -> Resolved:
    found = shutil.which("pip", path=search) or shutil.which("pip3", path=search)
    if found is None:
        return Resolved(name="pip", path=None, realpath=None, version=None, env=None)
    program = Path(found)
    interp = _shebang(program)
    env = _env_of(Path(interp)) if interp else _env_of(program)
    prefix = env or (Path(interp).parent.parent if interp else program.parent.parent)
    return Resolved(
        name="pip",
        path=found,
        realpath=os.path.realpath(found),
        version=_pip_version(prefix),
        env=str(env) if env else None,
        interpreter=interp,
    )


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and os.path.realpath(a or "") == os.path.realpath(b or "")


def _problems(report: WhichReport, activate_hint: str) -> list[Problem]:
    found: list[Problem] = []
    venv, proj, py, pip = report.virtual_env, report.project_env, report.python, report.pip
    if venv and not _same(py.env, venv):
        found.append(
            Problem(
                message=f"VIRTUAL_ENV is {venv} but `python` runs {py.path or 'nothing'} "
                "(PATH was changed after activation)",
                fix=activate_hint + " (or hash -r / rehash if the shell cached an old location)",
            )
        )
    if proj and not _same(py.env, proj):
        found.append(
            Problem(
                message=f"`python` on PATH is {py.path or 'missing'}, not this project's env {proj}", fix=activate_hint
            )
        )
    target = proj or venv
    if target and _same(py.env, target) and not _same(pip.env, target):
        where = pip.interpreter or pip.path
        fix = "use `python -m pip` (or corral's install commands)"
        if pip.path is None:
            found.append(Problem(message=f"no `pip` in {target} (created without pip)", fix=fix))
        else:
            found.append(
                Problem(message=f"`pip` on PATH is {pip.path}, which installs for {where}, not {target}", fix=fix)
            )
    return found


def which(ctx: Context, *, environ: Mapping[str, str] | None = None, activate_hint: str = "") -> WhichReport:
    """Inspect PATH and VIRTUAL_ENV as the calling shell sees them.

    Args:
        ctx: the command context (cwd decides the project).
        environ: the shell's environment (default: ctx.environ).
        activate_hint: the exact command that activates the project's env in the user's shell.

    Returns:
        The report, with a Problem (message + fix) for every mismatch.

    """
    env = ctx.environ if environ is None else environ
    search = env.get("PATH", "")
    project = ctx.project
    proj_env = project.env_path if project and Env.at(project.env_path).is_env() else None
    report = WhichReport(
        virtual_env=env.get("VIRTUAL_ENV") or None,
        project_env=str(proj_env) if proj_env else None,
        python=_resolve_python(ctx, search),
        pip=_resolve_pip(search),
    )
    report.problems.extend(_problems(report, activate_hint or 'eval "$(corral activate)"'))
    return report if proj_env is None else replace(report, hook=_hook_verdict(ctx, proj_env))


def _hook_verdict(ctx: Context, env: Path) -> str:
    from corral.errors import EnvError
    from corral.services.trust import check_trust

    try:
        trust = check_trust(ctx.paths, env)
    except EnvError as err:
        return f"will not activate it: {err}"
    if trust.trusted:
        return f"will activate it ({trust.reason})"
    return f"will not activate it: {trust.reason}" + (f"; to let it: `corral allow {env}`" if trust.can_allow else "")
