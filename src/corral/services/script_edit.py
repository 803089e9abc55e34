"""`corral add/remove --script` and `corral lock --script`: a script's own record (PEP 723 block, PEP 751 lock).

A script lock records in its `[tool.corral]` the inputs-hash of the block it was made from
(`core.script_meta.script_inputs_hash`): a lock that no longer matches is made again (old pins kept as preferences
unless upgrading), `--check` only says so. An edit of the block re-locks an existing lock with it: the lock and the
script are written both or neither.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.script_meta import find_block, render_block
from corral.errors import ConfigError, LockError, LockOutdated, UsageError
from corral.services.scripts import script_lock_path

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from corral.services.context import Context

__all__ = [
    "ScriptLockReport",
    "add_to_script",
    "lock_script",
    "remove_from_script",
    "render_script_lock",
    "script_lock_path",
]


class ScriptLockReport:
    """What `lock_script` did: the lock, whether it was written, how many packages it holds."""

    __slots__ = ("packages", "path", "written")

    def __init__(self, *, path: Path, written: bool, packages: int) -> None:
        self.path = path
        self.written = written
        self.packages = packages

    def __str__(self) -> str:
        """The lock's path (what `lock_script` returned before it reported more)."""
        return str(self.path)

    def to_dict(self) -> dict[str, object]:
        """The `--json` form."""
        return {"path": str(self.path), "written": self.written, "packages": self.packages}


def _requirements(texts: list[str]) -> None:
    from corral.core.deps import parse_requirement

    for text in texts:
        parse_requirement(text)


def _new_source(source: str, requirements: list[str]) -> str:
    import tomlkit
    from packaging.requirements import Requirement

    from corral.core.names import normalize_name

    block = find_block(source)
    doc = tomlkit.parse(block.toml) if block else tomlkit.document()
    deps = doc.get("dependencies")
    if deps is None:
        deps = tomlkit.array()
        deps.multiline(True)
        doc["dependencies"] = deps
    new_names = {normalize_name(Requirement(r).name) for r in requirements}
    keep = [d for d in deps if normalize_name(Requirement(str(d)).name) not in new_names]
    deps.clear()
    for item in [*keep, *requirements]:
        deps.append(item)
    rendered = render_block(tomlkit.dumps(doc))
    if block:
        return source[: block.start] + rendered + source[block.end :]
    lines = source.splitlines(keepends=True)
    head = 0
    while head < len(lines) and head < 2 and (lines[head].startswith("#!") or "coding" in lines[head]):  # noqa: PLR2004
        head += 1
    return "".join(lines[:head]) + rendered + "\n" + "".join(lines[head:])


def _lowest_minor(requires: str) -> str | None:
    """The oldest Python minor version a requires-python admits (the floor of a universal lock)."""
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(requires)
    candidates = ["2.7", *(f"3.{minor}" for minor in range(30))]
    return next((c for c in candidates if spec.contains(c + ".99") or spec.contains(c)), None)


def _without(source: str, names: list[str], *, script: Path) -> str:
    """`source` with the dependencies named `names` taken out of its block (UsageError naming any not there)."""
    import tomlkit
    from packaging.requirements import Requirement

    from corral.core.names import normalize_name

    block = find_block(source)
    doc = tomlkit.parse(block.toml) if block else tomlkit.document()
    deps = doc.get("dependencies") or []
    declared = {normalize_name(Requirement(str(d)).name) for d in deps}
    missing = [n for n in names if normalize_name(n) not in declared]
    if block is None or missing:
        msg = f"{script.name}'s script block does not declare {', '.join(missing or names)}"
        raise UsageError(msg)
    gone = {normalize_name(n) for n in names}
    keep = [d for d in deps if normalize_name(Requirement(str(d)).name) not in gone]
    deps.clear()
    for item in keep:
        deps.append(item)
    return source[: block.start] + render_block(tomlkit.dumps(doc)) + source[block.end :]


def add_to_script(ctx: Context, script: Path, requirements: list[str]) -> Path:
    """Record `requirements` in the script's block after checking they install; returns the env used.

    The file is rewritten atomically only once the new set resolved and installed into its cached env,
    so a bad requirement leaves the script untouched; a script lock is made again with the new block.
    """
    if not script.is_file():
        msg = f"no script at {script}"
        raise UsageError(msg)
    _requirements(requirements)
    source = _ScriptText(script)
    return _edit(ctx, script, source.restored(_new_source(source.text, requirements)))


def remove_from_script(ctx: Context, script: Path, names: list[str]) -> Path:
    """Take the dependencies `names` out of the script's block (and its lock); returns the env used."""
    if not script.is_file():
        msg = f"no script at {script}"
        raise UsageError(msg)
    source = _ScriptText(script)
    return _edit(ctx, script, source.restored(_without(source.text, names, script=script)))


class _ScriptText:
    """A script's text to edit (`text`: no byte order mark, lines ending in LF) and how to write it back as it was.

    `restored` gives an edited text its byte order mark back, and CRLF line ends when every line of the file had
    them (a file mixing both is written with LF, as Python reads it).
    """

    def __init__(self, script: Path) -> None:
        try:
            raw = script.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            msg = f"{script}: byte {err.start} is not UTF-8; corral edits a script saved as UTF-8 (save it so first)"
            raise ConfigError(msg) from None
        self.bom = "\ufeff" if raw.startswith("\ufeff") else ""
        body = raw[len(self.bom) :]
        self.crlf = "\r\n" in body and body.count("\r\n") == body.count("\n") and "\r" not in body.replace("\r\n", "")
        self.text = body.replace("\r\n", "\n").replace("\r", "\n")

    def restored(self, text: str) -> str:
        return self.bom + (text.replace("\n", "\r\n") if self.crlf else text)


def _edit(ctx: Context, script: Path, updated: str) -> Path:
    """Write `updated` as the script once its env is built, and its lock (when it has one) made for it: both or neither.

    A trial copy with a fresh name is resolved and installed first. The lock is written before the script; when the
    script cannot be written, the old lock is put back (and a crash between the two leaves a lock whose inputs-hash
    says it is stale: the next run makes it again).
    """
    import tempfile

    from corral.infra.fs import atomic_write_bytes, atomic_write_text
    from corral.infra.markers import trial_prefix
    from corral.services.scripts import env_for_block, script_lock, script_metadata, validate_metadata

    old_lock = script_lock(script)
    from corral.infra.toml_file import read_bytes

    old_bytes = read_bytes(old_lock) if old_lock is not None else b""  # what is put back if the script write fails
    fd, name = tempfile.mkstemp(dir=script.parent, prefix=trial_prefix(script.name), suffix=".py")
    trial = Path(name)  # a fresh name: never a file (or link) someone put there
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(updated)
        block, data = script_metadata(trial)
        validate_metadata(script, data)
        with tempfile.TemporaryDirectory(prefix="corral-script-lock-") as tmp:
            new_lock: Path | None = None
            lock_text = None
            if old_lock is not None:
                lock_text = render_script_lock(ctx, data, script=script, previous=old_lock)
                new_lock = Path(tmp) / old_lock.name
                new_lock.write_text(lock_text, encoding="utf-8")
            env = env_for_block(ctx, block, data, python=None, lock=new_lock)
    finally:
        trial.unlink(missing_ok=True)
    if old_lock is None or lock_text is None:
        atomic_write_text(script, updated, root=script.parent)
        return env.path
    try:
        atomic_write_text(old_lock, lock_text, root=script.parent)
        atomic_write_text(script, updated, root=script.parent)
    except BaseException:  # a Ctrl-C or a failed write at any step: both files old, or both new
        if not _holds(script, updated):
            atomic_write_bytes(old_lock, old_bytes, root=script.parent)
        raise
    return env.path


def _holds(path: Path, text: str) -> bool:
    """True when `path` holds `text` (a write was renamed into place before the interruption came)."""
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def lock_script(
    ctx: Context,
    script: Path,
    *,
    check: bool = False,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
) -> ScriptLockReport:
    """Resolve the script's dependencies for every platform and write `pylock.<name>.toml` beside it.

    The previous lock's pins are kept where the block allows them, unless `upgrade` (all) or `upgrade_packages`
    (those names). `check` writes nothing: LockOutdated naming the lock when locking now would change it.
    A lock that corral's record says it wrote from the same block and settings is answered without uv.
    """
    from corral.core.script_meta import script_inputs_hash
    from corral.infra.fs import atomic_write_text
    from corral.infra.toml_file import decode_text, read_bytes
    from corral.services.lock_inputs import index_urls
    from corral.services.script_lock_stamp import record_script_lock, recorded_unchanged, resolution_settings
    from corral.services.scripts import (
        refuse_linked_lock,
        script_lock_is_fresh,
        script_metadata,
        shown_script,
        validate_metadata,
    )

    _, data = script_metadata(script)
    validate_metadata(script, data)
    target = script_lock_path(script)
    refuse_linked_lock(target)
    again = f"run `corral lock --script {shown_script(ctx, script)}`"
    old_bytes = read_bytes(target) if target.is_file() else None
    old = None if old_bytes is None else decode_text(old_bytes, origin=str(target))
    if check:
        if old is None:
            msg = f"{target} does not exist; {again}"
            raise LockOutdated(msg)
        if not script_lock_is_fresh(ctx, target, data):
            msg = f"{target} is stale: {script.name}'s script block changed since it was locked; {again}"
            raise LockOutdated(msg)
    else:
        _refuse_unknown_upgrades(data, old, upgrade_packages, target=target)
    # the record of the lock corral last wrote (services.script_lock_stamp): with the same bytes, block and
    # settings, resolving again would give the same lock, so uv is not asked (an upgrade always asks it)
    inputs = script_inputs_hash(data, index_urls=index_urls(ctx))
    settings = resolution_settings(ctx, data)
    plain = check or not (upgrade or upgrade_packages)
    if (
        plain
        and old is not None
        and old_bytes is not None
        and recorded_unchanged(ctx.paths, target, old_bytes, inputs_hash=inputs, settings=settings)
    ):
        return ScriptLockReport(path=target, written=False, packages=_count(old))
    text = render_script_lock(
        ctx,
        data,
        script=script,
        previous=target if old is not None else None,
        upgrade=upgrade and not check,
        upgrade_packages=() if check else upgrade_packages,
    )
    if check:
        if text != old:
            msg = f"{target} is stale: resolving {script.name}'s script block now gives a different lock; {again}"
            raise LockOutdated(msg)
        record_script_lock(ctx.paths, target, text.encode("utf-8"), inputs_hash=inputs, settings=settings)
        return ScriptLockReport(path=target, written=False, packages=_count(text))
    written = text != old
    if written:
        atomic_write_text(target, text, root=script.parent)
    record_script_lock(ctx.paths, target, text.encode("utf-8"), inputs_hash=inputs, settings=settings)
    return ScriptLockReport(path=target, written=written, packages=_count(text))


def _installable(lock: Path) -> bool:
    """True when `lock` is a lock corral could install from: only such a file's pins are handed to uv to keep."""
    from corral.services.scripts import lock_problem

    return lock_problem(lock) is None


def _count(text: str) -> int:
    """How many packages a lock lists."""
    return sum(1 for line in text.splitlines() if line.strip() == "[[packages]]")


def _refuse_unknown_upgrades(data: Mapping[str, Any], old: str | None, names: Sequence[str], *, target: Path) -> None:
    """`--upgrade-package NAME` must name a locked or declared package: a typo would otherwise upgrade nothing."""
    if not names:
        return
    import re

    from packaging.requirements import Requirement

    from corral.core.names import normalize_name

    known = {normalize_name(Requirement(str(d)).name) for d in data.get("dependencies", [])}
    known |= {normalize_name(n) for n in re.findall(r'(?m)^name\s*=\s*"([^"]+)"', old or "")}
    unknown = [n for n in names if normalize_name(n) not in known]
    if unknown:
        msg = f"--upgrade-package {', '.join(unknown)}: no such package in {target.name} or the script's block"
        raise UsageError(msg)


def render_script_lock(
    ctx: Context,
    data: Mapping[str, Any],
    *,
    script: Path,
    previous: Path | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
) -> str:
    """The lock text for the parsed block `data`, its inputs-hash recorded; `previous`'s pins kept as preferences."""
    import shutil
    import subprocess
    import tempfile

    from corral.core.script_meta import script_inputs_hash
    from corral.infra.environ import engine_environ, indexes_in_environ
    from corral.infra.uvbin import uv_binary
    from corral.services.lock_inputs import index_urls
    from corral.services.python import choose_interpreter
    from corral.services.scripts import index_args

    requires = data.get("requires-python")
    floor = _lowest_minor(str(requires)) if requires else None
    if floor is None:
        floor = choose_interpreter(ctx, None)[0].short_version
    deps = "\n".join(data.get("dependencies", [])) + "\n"
    with tempfile.TemporaryDirectory(prefix="corral-lock-") as tmp:
        out = Path(tmp) / script_lock_path(script).name
        if previous is not None and not upgrade and _installable(previous):
            shutil.copyfile(previous, out)  # uv keeps the pins of the output file it is given (preferences)
        cmd = [
            uv_binary(),
            "pip",
            "compile",
            "-",
            "--format",
            "pylock.toml",
            "--universal",
            "--quiet",
            "--no-header",
            "--python-version",
            floor,
            *index_args(ctx),
            *(["--upgrade"] if upgrade else []),
            *(arg for name in upgrade_packages for arg in ("--upgrade-package", name)),
            "-o",
            str(out),
        ]
        cmd, environ = indexes_in_environ(cmd, engine_environ(ctx.environ))  # no index URL on the command line
        proc = subprocess.run(cmd, input=deps, capture_output=True, text=True, env=environ, check=False)
        if proc.returncode != 0:
            detail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            msg = f"cannot lock {script}: {detail}"
            raise LockError(msg)
        text = out.read_text(encoding="utf-8")
    digest = script_inputs_hash(data, index_urls=index_urls(ctx))
    return text.rstrip("\n") + f'\n\n[tool.corral]\ninputs-hash = "{digest}"\n'
