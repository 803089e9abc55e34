"""Every kernelspec on the machine, the env each one starts, and safe add/remove of kernel folders."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.core.env import BIN_NAMES, Env
from corral.core.frozen import Frozen
from corral.errors import SafetyRefusal
from corral.kernels.paths import search_dirs
from corral.kernels.spec import KERNEL_JSON, KernelSpec, is_valid_name

__all__ = [
    "STATUSES",
    "KernelEntry",
    "env_of_python",
    "kernels_dirs",
    "list_kernels",
    "points_at",
    "remove_kernel_dir",
    "write_kernel_dir",
]

# ok: interpreter there (in a venv: with its pyvenv.cfg); env-missing: the env folder is gone;
# env-broken: the env is there but its interpreter is not (or does not run, with check);
# interpreter-missing: argv[0] is gone and it was not in an env; no-ipykernel: (check) the env cannot import it;
# unknown: argv[0] is not an absolute path (found on PATH at start); unreadable: kernel.json is malformed.
STATUSES = ("ok", "env-missing", "env-broken", "interpreter-missing", "no-ipykernel", "unknown", "unreadable")
_BIN_DIRS = {name.lower() for name in BIN_NAMES}
# argv[0] that jupyter_client replaces with the running Jupyter's own sys.executable (`format_kernel_cmd`)
_OWN_PYTHON = re.compile(r"^python(\d(\.\d+)?)?(\.exe)?$", re.IGNORECASE)


class KernelEntry(Frozen):
    """One kernelspec folder found on disk."""

    __slots__ = ("detail", "env", "name", "resource_dir", "scope", "shadowed", "spec", "status")
    name: str
    resource_dir: Path
    scope: str
    spec: KernelSpec | None
    env: Path | None
    status: str
    detail: str
    shadowed: bool

    def __init__(
        self,
        *,
        name: str,
        resource_dir: Path,
        scope: str,
        spec: KernelSpec | None,
        env: Path | None,
        status: str,
        detail: str = "",
        shadowed: bool = False,
    ) -> None:
        self._set(
            name=name,
            resource_dir=resource_dir,
            scope=scope,
            spec=spec,
            env=env,
            status=status,
            detail=detail,
            shadowed=shadowed,
        )

    @property
    def managed(self) -> bool:
        """Corral wrote it (its kernel.json carries `metadata.corral`)."""
        return self.spec is not None and self.spec.corral is not None

    @property
    def works(self) -> bool:
        """Its interpreter is there (and, when checked, runs ipykernel)."""
        return self.status in {"ok", "unknown"}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "resource_dir": str(self.resource_dir),
            "scope": self.scope,
            "display_name": self.spec.display_name if self.spec else None,
            "argv": list(self.spec.argv) if self.spec else None,
            "env": str(self.env) if self.env else None,
            "status": self.status,
            "works": self.works,
            "detail": self.detail,
            "managed": self.managed,
            "shadowed": self.shadowed,
        }


def env_of_python(python: str, corral_env: str | None = None) -> Path | None:
    """The env an interpreter path belongs to: `<env>/bin/python` -> `<env>` (corral's record when recorded)."""
    if corral_env:
        return Path(corral_env)
    path = Path(python)
    if not path.is_absolute():
        return None
    if path.parent.name.lower() in _BIN_DIRS:
        return path.parent.parent
    if Env.at(path.parent).is_env():  # Windows conda-style / python.exe at the root
        return path.parent
    return None


def points_at(entry: KernelEntry, env_root: Path) -> bool:
    """The kernel starts an interpreter of `env_root` (by corral's record or by argv[0])."""
    if entry.spec is None:
        return False
    target = _norm(env_root)
    record = entry.spec.corral
    if record and isinstance(record.get("env"), str) and _norm(Path(record["env"])) == target:
        return True
    python = entry.spec.python
    if not python or not os.path.isabs(python):
        return False
    guess = env_of_python(python)
    return guess is not None and _norm(guess) == target


def _norm(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _status(  # noqa: PLR0911 - one return per status
    spec: KernelSpec,
    *,
    check: bool,
    environ: Mapping[str, str] | None,
    data_env: Path | None = None,
) -> tuple[Path | None, str, str]:
    """`data_env`: the env whose `share/jupyter` holds the spec (only a Jupyter running from that env sees it)."""
    python = spec.python
    record = spec.corral or {}
    env = env_of_python(python or "", record.get("env") if isinstance(record.get("env"), str) else None)
    if python and data_env is not None and not record and _OWN_PYTHON.match(python):
        # ipykernel's own spec, installed with it into the env: jupyter_client starts its own interpreter for
        # "python", and only a Jupyter running from this env sees this folder, so the kernel starts this env.
        own = Env.at(data_env).python
        if not own.exists():
            return data_env, "env-broken", f"{own} is missing (ipykernel's own spec in the env starts it)"
        if check:
            return data_env, *_run_check(str(own), environ)
        return data_env, "ok", f"ipykernel's own spec: a Jupyter running from {data_env} starts {own}"
    if not python or not os.path.isabs(python):
        return env, "unknown", f"argv[0] {python!r} is looked up on PATH when the kernel starts"
    venv = env is not None and Env.at(env).is_env()
    if not os.path.exists(python):
        if env is not None and not env.exists():
            return env, "env-missing", f"the env {env} no longer exists"
        if env is not None:
            return env, "env-broken", f"{python} is missing or points to a removed interpreter"
        return env, "interpreter-missing", f"{python} no longer exists"
    if env is not None and not venv and spec.corral is not None:
        return env, "env-broken", f"{env} has no pyvenv.cfg"
    if check:
        return env, *_run_check(python, environ)
    return env, "ok", ""


def _run_check(python: str, environ: Mapping[str, str] | None) -> tuple[str, str]:
    from corral.errors import EngineError
    from corral.infra.proc import run

    try:
        done = run(
            [python, "-c", "import ipykernel_launcher"],
            env=dict(environ) if environ else None,
            check=False,
            timeout=60,
            what="checking the kernel's interpreter",
        )
    except EngineError as err:
        return "env-broken", f"{python} does not start: {err}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        if "ipykernel" in last:
            return "no-ipykernel", f"{python} cannot import ipykernel_launcher ({last})"
        return "env-broken", f"{python} fails: {last}"
    return "ok", "ipykernel_launcher imports"


def kernels_dirs(
    environ: Mapping[str, str] | None = None, *, env_prefixes: Iterable[str | Path] = ()
) -> list[tuple[Path, str]]:
    """(kernels folder, scope) for every data dir, in Jupyter's precedence."""
    return [(Path(str(d.kernels)), d.scope) for d in search_dirs(environ, env_prefixes=env_prefixes)]


def list_kernels(
    environ: Mapping[str, str] | None = None, *, env_prefixes: Iterable[str | Path] = (), check: bool = False
) -> list[KernelEntry]:
    """Every kernelspec folder (valid name + kernel.json), first occurrence of a name wins like jupyter_client."""
    entries: list[KernelEntry] = []
    seen: set[str] = set()
    for folder, scope in kernels_dirs(environ, env_prefixes=env_prefixes):
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        for child in children:
            key = child.name.lower()
            if not is_valid_name(key) or not (child / KERNEL_JSON).is_file():
                continue
            try:
                spec: KernelSpec | None = KernelSpec.from_file(child / KERNEL_JSON)
            except ValueError as err:
                spec, env, status, detail = None, None, "unreadable", f"{child / KERNEL_JSON}: {err}"
            else:
                assert spec is not None  # noqa: S101 - narrowed for the type checker
                data_env = folder.parents[2] if scope == "env" and len(folder.parents) > 2 else None  # noqa: PLR2004
                env, status, detail = _status(spec, check=check, environ=environ, data_env=data_env)
            entries.append(
                KernelEntry(
                    name=key,
                    resource_dir=child,
                    scope=scope,
                    spec=spec,
                    env=env,
                    status=status,
                    detail=detail,
                    shadowed=key in seen,
                )
            )
            seen.add(key)
    return entries


def _temp_sibling(target: Path, tag: str) -> Path:
    import secrets  # here, not at the top: `corral doctor` imports this module and seldom writes a kernel

    # "~" makes the name invalid for Jupyter, so a half-written folder is never listed as a kernel
    return target.parent / f".{target.name}~{tag}~{secrets.token_hex(4)}"


def write_kernel_dir(kernels_dir: Path, name: str, spec: KernelSpec, resources: Sequence[Path] = ()) -> Path:
    """Write `kernels_dir/name` (kernel.json + resources) under a temp name, then rename it into place."""
    import shutil

    from corral.infra.rmtree import remove_tree

    target = kernels_dir / name
    if target.is_symlink() or (target.exists() and not (target / KERNEL_JSON).is_file()):
        msg = (
            f"{target} exists and is not a kernelspec folder (or is a symlink); corral will not replace it: "
            "move it away or choose another --name"
        )
        raise SafetyRefusal(msg)
    kernels_dir.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(target, "new")
    old: Path | None = None
    try:
        tmp.mkdir()
        for res in resources:
            shutil.copyfile(res, tmp / res.name)
        (tmp / KERNEL_JSON).write_text(spec.render(), encoding="utf-8")
        if target.exists():
            old = _temp_sibling(target, "old")
            os.rename(target, old)
        os.rename(tmp, target)
    except BaseException:
        remove_tree(tmp, ignore_errors=True)
        if old is not None and not target.exists():
            os.rename(old, target)
            old = None
        raise
    if old is not None:
        remove_tree(old, ignore_errors=True)
    return target


def remove_kernel_dir(resource_dir: Path, allowed_kernels_dirs: Iterable[Path]) -> None:
    """Delete one kernelspec folder: refuses symlinks, folders without kernel.json and anything outside `allowed`."""
    from corral.infra.rmtree import OpenedTree

    path = Path(os.path.abspath(resource_dir))
    if path.is_symlink():
        msg = f"{path} is a symlink; corral removes only real kernelspec folders (remove the link yourself)"
        raise SafetyRefusal(msg)
    allowed = {_norm(Path(os.path.realpath(d))) for d in allowed_kernels_dirs}
    if _norm(Path(os.path.realpath(path.parent))) not in allowed:
        msg = f"{path} is not inside a Jupyter kernels folder; corral will not delete it"
        raise SafetyRefusal(msg)
    spec_file = path / KERNEL_JSON
    if not spec_file.is_file() or spec_file.is_symlink():
        msg = f"{path} holds no kernel.json; corral removes only kernelspec folders"
        raise SafetyRefusal(msg)
    doomed = _temp_sibling(path, "del")
    with OpenedTree.open(path) as tree:  # no symlink; the rename is checked to move this very folder
        tree.rename(doomed.name)
        tree.delete()
