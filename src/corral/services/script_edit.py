"""`corral add --script` and `corral lock --script`: a script's own record (PEP 723 block, PEP 751 lock)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.script_meta import find_block, render_block
from corral.errors import UsageError
from corral.services.scripts import script_lock_path

if TYPE_CHECKING:
    from corral.services.context import Context

__all__ = ["add_to_script", "lock_script", "script_lock_path"]


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


def add_to_script(ctx: Context, script: Path, requirements: list[str]) -> Path:
    """Record `requirements` in the script's block after checking they install; returns the env used.

    The file is rewritten atomically only once the new set resolved and installed into its cached env,
    so a bad requirement leaves the script untouched.
    """
    from corral.infra.fs import atomic_write_text
    from corral.services.scripts import ensure_script_env

    if not script.is_file():
        msg = f"no script at {script}"
        raise UsageError(msg)
    _requirements(requirements)
    source = script.read_text(encoding="utf-8")
    updated = _new_source(source, requirements)
    import tempfile

    from corral.infra.markers import trial_prefix

    fd, name = tempfile.mkstemp(dir=script.parent, prefix=trial_prefix(script.name), suffix=".py")
    trial = Path(name)  # a fresh name: never a file (or link) someone put there
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(updated)
        env = ensure_script_env(ctx, trial)
    finally:
        trial.unlink(missing_ok=True)
    atomic_write_text(script, updated, root=script.parent)
    return env.path


def lock_script(ctx: Context, script: Path) -> Path:
    """Resolve the script's dependencies for every platform and write `pylock.<name>.toml` beside it."""
    from corral.infra.environ import engine_environ, indexes_in_environ
    from corral.infra.fs import atomic_write_text
    from corral.infra.uvbin import uv_binary
    from corral.services.python import choose_interpreter
    from corral.services.scripts import index_args, script_metadata

    _, data = script_metadata(script)
    requires = data.get("requires-python")
    floor = _lowest_minor(str(requires)) if requires else None
    if floor is None:
        floor = choose_interpreter(ctx, None)[0].short_version
    target = script_lock_path(script)
    deps = "\n".join(data.get("dependencies", [])) + "\n"
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="corral-lock-") as tmp:
        out = Path(tmp) / target.name
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
            "-o",
            str(out),
        ]
        cmd, environ = indexes_in_environ(cmd, engine_environ(ctx.environ))  # no index URL on the command line
        proc = subprocess.run(cmd, input=deps, capture_output=True, text=True, env=environ, check=False)
        if proc.returncode != 0:
            from corral.errors import LockError

            detail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            msg = f"cannot lock {script}: {detail}"
            raise LockError(msg)
        text = out.read_text(encoding="utf-8")
    atomic_write_text(target, text, root=script.parent)
    return target
