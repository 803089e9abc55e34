"""Which env to activate, and what activating or deactivating it changes.

Computed here, never by sourcing the env's own scripts (they may be stale, foreign, or shipped by a freshly
cloned repository).

Works for any PEP 405 env: corral's, `python -m venv`, virtualenv, uv; POSIX `bin/` and Windows `Scripts/`.
"""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.core.layout import EnvLayout
from corral.core.protocols import EnvChange, SubshellPlan
from corral.errors import EnvError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from corral.services.context import Context

__all__ = [
    "HOOK_VAR",
    "OLD_PYTHONHOME_VAR",
    "activate_change",
    "apply_change",
    "deactivate_change",
    "env_prompt",
    "resolve_env",
    "spawn_subshell",
]

HOOK_VAR = "_CORRAL_HOOK_ENV"  # set only by the cd-hook: the env it activated (a hand-activated env lacks it)
OLD_PYTHONHOME_VAR = "_CORRAL_OLD_PYTHONHOME"
_GENERIC_ENV_NAMES = {".venv", "venv", "env", ".env", "virtualenv"}
_PROMPT_SAFE = "._-+@:,/()[] "


def resolve_env(ctx: Context, env: Path | None = None) -> Path:
    """`--env PATH` (relative to cwd), else the project's env; EnvError when it is not an env."""
    root = (ctx.cwd / env).absolute() if env is not None else ctx.require_project().env_path
    if not Env.at(root).is_env():
        hint = (
            "create it with `corral venv`"
            if env is None
            else "pass the folder that holds pyvenv.cfg, or create one with `corral venv PATH`"
        )
        msg = f"no environment at {root} (no pyvenv.cfg); {hint}"
        raise EnvError(msg)
    return root


def env_prompt(root: Path, *, windows: bool = False) -> str:
    """The name shown in the prompt: pyvenv.cfg's `prompt`, else the folder (its parent's for `.venv`-like names).

    Characters that a prompt language would interpret (`$`, `%`, `!`, quotes, backslashes...) become `_`.
    """
    from corral.core.pyvenv_cfg import PyvenvCfg
    from corral.infra.envfiles import read_env

    try:
        cfg = read_env(root).cfg
    except OSError:
        cfg = PyvenvCfg()
    name = (cfg.values.get("prompt") or "").strip().strip("'\"")
    folder = PureWindowsPath(str(root)) if windows else root
    if not name:
        generic = folder.name.lower() in _GENERIC_ENV_NAMES and folder.parent.name
        name = folder.parent.name if generic else folder.name
    return "".join(c if c.isalnum() or c in _PROMPT_SAFE else "_" for c in name)


def _path_without(environ: Mapping[str, str], drop: list[str], sep: str, *, windows: bool) -> list[str]:
    r"""PATH's entries minus every entry equal to one of `drop`.

    Entries are matched on the whole string first, so an env folder whose name holds the separator
    (legal on Windows: `;`) is still removed as one entry.
    """
    value = environ.get("PATH", "")

    def fold(text: str) -> str:
        return text.lower().replace("/", "\\") if windows else text

    for entry in sorted(drop, key=len, reverse=True):
        for variant in (entry, entry + ("\\" if windows else "/")):
            folded, target = fold(value), fold(variant)
            if len(folded) != len(value):
                continue  # case folding changed lengths: keep the plain split below
            start = 0
            while (i := folded.find(target, start)) != -1:
                end = i + len(target)
                if (i == 0 or value[i - 1] == sep) and (end == len(value) or value[end] == sep):
                    value = value[:i] + value[end + 1 :] if end < len(value) else value[: max(i - 1, 0)]
                    folded = fold(value)
                    start = max(i - 1, 0)
                else:
                    start = i + 1
    return [p for p in value.split(sep) if p and not any(_same(p, d, windows=windows) for d in drop)]


def _same(a: str, b: str, *, windows: bool) -> bool:
    a, b = a.rstrip("/\\") or a, b.rstrip("/\\") or b
    return a.lower().replace("/", "\\") == b.lower().replace("/", "\\") if windows else a == b


def _bin_of(root: str, *, windows: bool) -> str:
    return str(EnvLayout.for_path(root, windows=windows).bin_dir)


def activate_change(
    root: Path, environ: Mapping[str, str], *, windows: bool | None = None, by_hook: bool = False
) -> EnvChange:
    r"""What activating the env at `root` changes, given the shell's current `environ`.

    Args:
        root: the env folder (holding pyvenv.cfg).
        environ: the environment of the shell that will evaluate the code.
        windows: `Scripts\\` layout and `;` PATH (default: the running OS).
        by_hook: record the env in `_CORRAL_HOOK_ENV`, so the hook may later switch it; a hand activation clears it.

    Returns:
        The variables to set and unset, the new PATH, the prompt name.

    """
    if windows is None:
        windows = os.name == "nt"
    sep = ";" if windows else ":"
    root_s = str(root)
    new_bin = _bin_of(root_s, windows=windows)
    drop = [new_bin]
    previous = environ.get("VIRTUAL_ENV")
    if previous:
        drop.append(_bin_of(previous, windows=windows))
    path = [new_bin, *_path_without(environ, drop, sep, windows=windows)]
    prompt = env_prompt(root, windows=windows)
    set_vars = {"VIRTUAL_ENV": root_s, "VIRTUAL_ENV_PROMPT": prompt}
    unset: list[str] = []
    if "PYTHONHOME" in environ:
        set_vars.setdefault(OLD_PYTHONHOME_VAR, environ["PYTHONHOME"])
        unset.append("PYTHONHOME")
    if by_hook:
        set_vars[HOOK_VAR] = root_s
    elif HOOK_VAR in environ:
        unset.append(HOOK_VAR)
    return EnvChange(set_vars=set_vars, unset_vars=tuple(unset), path=tuple(path), path_sep=sep, prompt=prompt)


def deactivate_change(environ: Mapping[str, str], *, windows: bool | None = None) -> EnvChange | None:
    """What deactivating the active env (VIRTUAL_ENV) changes; None when no env is active."""
    active = environ.get("VIRTUAL_ENV")
    if not active:
        return None
    if windows is None:
        windows = os.name == "nt"
    sep = ";" if windows else ":"
    old_bin = _bin_of(active, windows=windows)
    path = _path_without(environ, [old_bin], sep, windows=windows)
    set_vars: dict[str, str] = {}
    unset = ["VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", HOOK_VAR]
    if OLD_PYTHONHOME_VAR in environ:
        set_vars["PYTHONHOME"] = environ[OLD_PYTHONHOME_VAR]
        unset.append(OLD_PYTHONHOME_VAR)
    return EnvChange(set_vars=set_vars, unset_vars=tuple(unset), path=tuple(path), path_sep=sep, prompt=None)


def apply_change(environ: Mapping[str, str], change: EnvChange) -> dict[str, str]:
    """`environ` with `change` applied (for a child process such as `corral shell`)."""
    result = dict(environ)
    result.update(change.set_vars)
    if change.path:
        result["PATH"] = change.path_sep.join(change.path)
    for name in change.unset_vars:
        result.pop(name, None)
    return result


def spawn_subshell(plan: SubshellPlan) -> int:
    """Write the plan's files to a private folder, run the shell in the foreground, return its exit code."""
    import signal
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp(prefix="corral-shell-")
    try:
        for name, text in plan.files.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        argv = [a.replace("{dir}", folder) for a in plan.argv]
        env = {k: v.replace("{dir}", folder) for k, v in plan.environ.items()}
        # Ctrl-C belongs to the subshell; corral just waits for it.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            code = subprocess.run(argv, env=env, check=False).returncode
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        from corral.infra.rmtree import remove_tree

        remove_tree(folder, ignore_errors=True)
    return 128 - code if code < 0 else code
