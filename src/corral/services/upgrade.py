"""Python runtime upgrades: patch level in place (links + pyvenv.cfg, packages kept), otherwise a rebuild."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.env import Env
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.errors import EnvError, UsageError
from corral.infra.envfiles import read_env, read_pyvenv_cfg
from corral.infra.faults import checkpoint
from corral.infra.markers import replace_temp
from corral.infra.safe_read import read_small

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = ["UpgradeReport", "upgrade_in_place", "upgrade_python"]

_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?$")


@dataclass(frozen=True, kw_only=True, slots=True)
class UpgradeReport:
    """What an upgrade did."""

    env: Path
    old_version: str | None
    new_version: str
    mode: str  # "in-place" | "rebuild" | "unchanged"
    python: str
    pinned: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": str(self.env),
            "old_version": self.old_version,
            "new_version": self.new_version,
            "mode": self.mode,
            "python": self.python,
            "pinned": self.pinned,
        }


def _refuse_active(ctx: Context, env: Path) -> None:
    active = ctx.environ.get("VIRTUAL_ENV")
    if active and os.path.realpath(active) == os.path.realpath(env):
        msg = (
            f"{env} is the active env in this shell (VIRTUAL_ENV); run `deactivate` first, then repeat the "
            "upgrade (its interpreter links are replaced)"
        )
        raise EnvError(msg)


def _replace_link(path: Path, target: str) -> None:
    tmp = path.with_name(replace_temp(path.name))
    if os.path.lexists(tmp):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _repoint(bin_dir: Path, root: Path, new: InterpreterInfo) -> None:
    """Point every python link that leaves the env at the new build; replace copied binaries; add pythonX.Y."""
    real_root = os.path.realpath(root)
    for entry in sorted(os.scandir(bin_dir), key=lambda e: e.name):
        if not _PYTHON_NAME.match(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            resolved = os.path.realpath(path)
            if not (resolved + os.sep).startswith(real_root + os.sep) or not os.path.exists(path):
                _replace_link(path, new.path)
        elif entry.is_file():
            tmp = path.with_name(replace_temp(path.name))
            shutil.copy2(new.realpath, tmp)
            os.replace(tmp, path)
    for name in ("python3", f"python{new.short_version}"):
        if not os.path.lexists(bin_dir / name):
            os.symlink("python", bin_dir / name)


def _rewrite_cfg(cfg_path: Path, new: InterpreterInfo) -> str | None:
    from corral.infra.fs import atomic_write_text

    cfg = read_env(cfg_path.parent, strict=True).cfg
    values = dict(cfg.values)
    old_version, old_exec = cfg.version, values.get("executable")
    values["home"] = os.path.dirname(new.path)
    touched = False
    for key in ("version", "version_info"):
        if key in values:
            values[key] = new.version
            touched = True
    if not touched:
        values["version_info"] = new.version
    if "executable" in values:
        values["executable"] = new.realpath
    if "command" in values and old_exec:
        values["command"] = values["command"].replace(old_exec, new.realpath)
    atomic_write_text(cfg_path, PyvenvCfg(values).render())
    return old_version


def _update_record(root: Path, new: InterpreterInfo) -> None:
    from corral.core.provenance import PROVENANCE_FILE
    from corral.infra.fs import atomic_write_text
    from corral.infra.json_file import read_json_cache

    record = root / PROVENANCE_FILE
    data = read_json_cache(record, follow=False)
    if data is None:  # missing, not a file, or damaged: nothing to update
        return
    data.update(interpreter=new.path, interpreter_realpath=new.realpath, python_version=new.version)
    atomic_write_text(record, json.dumps(data, indent=2) + "\n")


_VERIFY = (
    "import json, os, sys, sysconfig; print(json.dumps({'v': '%d.%d.%d' % sys.version_info[:3], "
    "'prefix': sys.prefix, 'purelib': sysconfig.get_paths()['purelib'], 'path': sys.path}))"
)


def _verify(root: Path, bin_dir: Path, new: InterpreterInfo) -> list[str]:
    """Problems left after the upgrade (empty = good); does not trust the rewrite, runs the env."""
    from corral.infra.environ import isolated_environ
    from corral.infra.proc import run

    problems = []
    for entry in os.scandir(bin_dir):
        if _PYTHON_NAME.match(entry.name):
            if not os.path.exists(entry.path):
                problems.append(f"{entry.name} is a dangling link")
            elif entry.is_symlink() and os.path.realpath(entry.path) != os.path.realpath(new.realpath):
                problems.append(f"{entry.name} still runs {os.path.realpath(entry.path)}")
    cfg = read_env(root).cfg
    if cfg.version != new.version:
        problems.append(f"pyvenv.cfg still records {cfg.version}")
    done = run([str(bin_dir / "python"), "-c", _VERIFY], env=isolated_environ(), check=False, what="env check")
    if done.returncode != 0:
        return [*problems, f"the env's python does not start: {done.stderr.strip()[-200:]}"]
    seen = json.loads(done.stdout)
    if seen["v"] != new.version:
        problems.append(f"the env's python runs {seen['v']}, not {new.version}")
    if os.path.realpath(seen["prefix"]) != os.path.realpath(root):
        problems.append(f"sys.prefix is {seen['prefix']}, not the env")
    if not os.path.isdir(seen["purelib"]) or seen["purelib"] not in seen["path"]:
        problems.append(f"the env's site-packages {seen['purelib']} is not on sys.path")
    return problems


def upgrade_in_place(ctx: Context, env: Path, new: InterpreterInfo) -> UpgradeReport:
    """Re-point the env at a new build of the same X.Y and keep its packages; verified, rolled back on failure."""
    root = env.absolute()
    cfg_path = root / "pyvenv.cfg"
    if not cfg_path.is_file():
        msg = f"{root} is not an environment (no pyvenv.cfg); create one with `corral venv`"
        raise EnvError(msg)
    _refuse_active(ctx, root)
    try:
        cfg_text = read_pyvenv_cfg(root).decode("utf-8")
    except OSError as err:  # a fifo, a device or a huge file in its place (infra.safe_read)
        msg = f"cannot read {cfg_path}: {err.strerror}; rebuild the env with `corral recreate --python {new.path}`"
        raise EnvError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"{cfg_path} is damaged (not UTF-8 text); rebuild the env with `corral recreate --python {new.path}`"
        raise EnvError(msg) from err
    recorded = Env.from_cfg(root, cfg_text).version
    if recorded is None or recorded[:2] != new.version_info[:2]:
        have = ".".join(map(str, recorded)) if recorded else "unknown"
        msg = (
            f"an in-place upgrade needs the same Python X.Y: the env has {have}, the new interpreter is "
            f"{new.version}; rebuild instead with `corral recreate --python {new.path}`"
        )
        raise UsageError(msg)
    bin_dir = Env.at(root).bin_dir
    backup = {
        e.name: (os.readlink(e.path) if e.is_symlink() else None)
        for e in os.scandir(bin_dir)
        if _PYTHON_NAME.match(e.name)
    }
    record = root / "corral-env.json"
    try:  # kept to put back on failure; a record that is no file, or damaged, is left alone
        record_text: str | None = read_small(record, limit=16 << 20, what=record.name, follow=False).decode("utf-8")
    except (OSError, ValueError):
        record_text = None
    from corral.services.trust import keeping_trust

    with keeping_trust(ctx.paths, root):  # pyvenv.cfg is rewritten (a new file): the cd-hook's record follows it
        try:
            _repoint(bin_dir, root, new)
            checkpoint("upgrade:repointed")
            old_version = _rewrite_cfg(cfg_path, new)
            _update_record(root, new)
            problems = _verify(root, bin_dir, new)
            if problems:
                msg = (
                    f"the in-place upgrade of {root} to {new.version} did not verify: {'; '.join(problems)}; "
                    "rolled back"
                )
                raise EnvError(msg)  # noqa: TRY301 - raised inside to share the rollback below
        except BaseException:
            _restore(bin_dir, backup, cfg_path, cfg_text, record, record_text)
            raise
    from corral.inventory.record import note_python

    note_python(ctx.paths, root, version=new.version, interpreter=new.path)  # `envs list` shows the new build
    return UpgradeReport(env=root, old_version=old_version, new_version=new.version, mode="in-place", python=new.path)


def _restore(
    bin_dir: Path, backup: dict[str, str | None], cfg_path: Path, cfg_text: str, record: Path, record_text: str | None
) -> None:
    from corral.infra.fs import atomic_write_text

    for entry in os.scandir(bin_dir):
        if _PYTHON_NAME.match(entry.name) and entry.name not in backup:
            os.unlink(entry.path)
    for name, link in backup.items():
        if link is not None:
            _replace_link(bin_dir / name, link)
    atomic_write_text(cfg_path, cfg_text)
    if record_text is not None:
        atomic_write_text(record, record_text)


def upgrade_python(ctx: Context, spec: str) -> UpgradeReport:
    """`corral upgrade --python SPEC`: patch level in place, otherwise rebuild; pin `.python-version`."""
    from corral.services.transaction import project_lock

    with project_lock(ctx.require_project().root):  # also finishes what a killed command left
        return _upgrade_python(ctx, spec)


def _upgrade_python(ctx: Context, spec: str) -> UpgradeReport:
    from corral.core.spec import PythonSpec
    from corral.infra.fs import atomic_write_text
    from corral.services.python import PYTHON_VERSION_FILE

    project = ctx.require_project()
    parsed = PythonSpec.parse(spec)
    new = ctx.finder.find(parsed)
    if project.requires_python:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            allowed = SpecifierSet(project.requires_python)
        except InvalidSpecifier as err:
            msg = f"{project.pyproject}: requires-python {project.requires_python!r} is not valid ({err})"
            raise UsageError(msg) from err
        if not allowed.contains(new.version, prereleases=True):
            msg = (
                f"Python {new.version} ({new.path}) does not satisfy requires-python {project.requires_python!r} "
                f"in {project.pyproject}; choose another version or widen requires-python"
            )
            raise UsageError(msg)
    env = project.env_path
    found = Env.at(env)
    if found.is_env():  # a pyvenv.cfg that is not UTF-8 (damaged) names no version: rebuild
        with contextlib.suppress(OSError):  # a fifo or a device in its place: no version, so a rebuild
            found = read_env(env)
    old, recorded = found.version_text, found.version
    if recorded is not None and recorded[:2] == new.version_info[:2]:
        report = upgrade_in_place(ctx, env, new)
        from corral.services.kernels import refresh_after_rebuild

        refresh_after_rebuild(ctx, env)  # same X.Y: argv keeps working; a rebuild refreshes inside recreate()
    else:
        from corral.services.recreate import recreate

        recreate(ctx, python=new.path)
        checkpoint("upgrade:rebuilt")
        report = UpgradeReport(env=env, old_version=old, new_version=new.version, mode="rebuild", python=new.path)
    pin_text = new.version if parsed.path is not None else spec
    atomic_write_text(project.root / PYTHON_VERSION_FILE, pin_text + "\n", root=project.root)
    return UpgradeReport(
        env=report.env,
        old_version=report.old_version,
        new_version=report.new_version,
        mode=report.mode,
        python=report.python,
        pinned=pin_text,
    )
