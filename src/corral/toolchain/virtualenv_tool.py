"""corral's private virtualenv 20.21.1: one env under `<data>/toolchain/`, built on demand with uv, atomically.

The env is never in a user's project. It is built in a temporary sibling folder and renamed into place under a
file lock, so concurrent corral processes build it once and nobody ever sees half of it. It is run as
`<toolchain>/bin/python -m virtualenv` (never its console script, whose shebang names the temporary folder).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.env import Env
from corral.core.names import normalize_name
from corral.errors import EngineError, EnvError
from corral.infra.environ import engine_environ, indexes_in_environ
from corral.infra.fs import atomic_write_text
from corral.infra.proc import run
from corral.infra.rmtree import remove_tree
from corral.infra.uvbin import uv_binary
from corral.toolchain.legacy import VIRTUALENV_REQUIREMENTS, VIRTUALENV_VERSION

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo

__all__ = [
    "MARKER_FILE",
    "VirtualenvTool",
    "choose_host",
    "ensure_virtualenv",
    "find_virtualenv",
    "toolchain_dir",
]

MARKER_FILE = "corral-toolchain.json"
_NEWEST_VERIFIED_HOST = (3, 13)  # virtualenv 20.21.1 verified on 3.11, 3.12 and 3.13 hosts
_OLDEST_HOST = (3, 8)  # virtualenv 20.21.1 needs >= 3.7 to run, and 3.7 itself is a legacy zone
_LOCK_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class VirtualenvTool:
    """A ready toolchain env holding virtualenv 20.21.1."""

    root: Path
    python: Path
    record: Mapping[str, object]

    def command(self) -> list[str]:
        """Argv prefix that runs this virtualenv."""
        return [str(self.python), "-m", "virtualenv"]


def toolchain_dir(data: Path) -> Path:
    """Where the virtualenv toolchain lives under corral's data folder."""
    return data / "toolchain" / f"virtualenv-{VIRTUALENV_VERSION}"


def find_virtualenv(data: Path) -> VirtualenvTool | None:
    """The ready toolchain (cheap file checks only), or None when it is missing or broken."""
    root = toolchain_dir(data)
    python = Env.at(root).python
    try:
        record = json.loads((root / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("virtualenv") != VIRTUALENV_VERSION:
        return None
    if not python.exists() or not Env.at(root).is_env():  # exists() follows the link to the base
        return None
    return VirtualenvTool(root, python, record)


def choose_host(interpreters: Sequence[InterpreterInfo]) -> InterpreterInfo | None:
    """The newest stable, non-legacy CPython that virtualenv 20.21.1 is verified on (else the newest that runs it)."""
    usable = [
        i
        for i in interpreters
        if i.implementation == "CPython" and not i.free_threaded and not i.is_legacy and i.minor >= _OLDEST_HOST
    ]
    usable.sort(key=lambda i: (i.version_info, not i.externally_managed), reverse=True)
    verified = [i for i in usable if i.minor <= _NEWEST_VERIFIED_HOST]
    best = verified or usable
    return best[0] if best else None


def ensure_virtualenv(
    data: Path,
    *,
    environ: Mapping[str, str],
    host: Callable[[], str],
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
) -> VirtualenvTool:
    """The toolchain, built first if missing or broken (needs the package index once).

    Args:
        data: corral's data folder (CorralPaths.data).
        environ: environment for uv (index variables such as UV_INDEX_URL are honoured).
        host: returns the path of the interpreter to build on; called only when a build is needed.
        index_url: index to install from instead of uv's default.
        extra_index_urls: further indexes.

    Raises:
        EnvError: the toolchain could not be installed (offline, index without virtualenv 20.21.1, ...).

    """
    ready = find_virtualenv(data)
    if ready is not None:
        return ready
    from corral.infra.locks import LockTimeout, file_lock

    root = toolchain_dir(data)
    try:
        with file_lock(root.parent / f"{root.name}.lock", timeout=_LOCK_TIMEOUT):
            ready = find_virtualenv(data)  # another process may have built it while we waited
            if ready is not None:
                return ready
            _remove_leftovers(root)
            _build(root, environ=environ, host_path=host(), index_url=index_url, extra_index_urls=extra_index_urls)
    except LockTimeout as err:
        msg = (
            f"waited {_LOCK_TIMEOUT:.0f} s for another corral to finish installing {root}; "
            f"if none is running, delete {root.parent / (root.name + '.lock')} and retry"
        )
        raise EnvError(msg) from err
    built = find_virtualenv(data)
    if built is None:  # pragma: no cover - _build verifies before renaming
        msg = f"the toolchain at {root} is incomplete after installing it; delete it and retry"
        raise EnvError(msg)
    return built


def _remove_leftovers(root: Path) -> None:
    """Temporary folders of builds that died (we hold the lock, so none is in progress)."""
    for stale in root.parent.glob(f".{root.name}.*"):
        remove_tree(stale, ignore_errors=True)


def _build(
    root: Path, *, environ: Mapping[str, str], host_path: str, index_url: str | None, extra_index_urls: Sequence[str]
) -> None:
    tmp = root.parent / f".{root.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    env = engine_environ(environ)  # uv installs virtualenv: the rule for every engine call
    try:
        _install(tmp, root, env=env, host_path=host_path, index_url=index_url, extra_index_urls=extra_index_urls)
        installed = _installed(tmp)
        if installed.get("virtualenv") != VIRTUALENV_VERSION:
            msg = f"installing virtualenv {VIRTUALENV_VERSION} into {tmp} left {installed} behind"
            raise EnvError(msg)  # noqa: TRY301 - cleaned up below like any other failure
        record = {
            "virtualenv": VIRTUALENV_VERSION,
            "build_id": secrets.token_hex(8),
            "host": host_path,
            "requirements": list(VIRTUALENV_REQUIREMENTS),
            "installed": installed,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "created_by": f"corral (Python {sys.version.split()[0]})",
        }
        atomic_write_text(tmp / MARKER_FILE, json.dumps(record, indent=2) + "\n")
        _swap_in(tmp, root)
    except BaseException:
        remove_tree(tmp, ignore_errors=True)
        raise


def _install(
    tmp: Path,
    root: Path,
    *,
    env: Mapping[str, str],
    host_path: str,
    index_url: str | None,
    extra_index_urls: Sequence[str],
) -> None:
    """`uv venv` on the host, then `uv pip install` virtualenv 20.21.1 and its bounded dependencies."""
    uv = uv_binary()
    run(
        [uv, "venv", str(tmp), "--python", host_path, "--no-python-downloads", "--no-project", "--quiet"],
        env=env,
        cwd=root.parent,
        what="uv venv (corral toolchain)",
    )
    cmd = [uv, "pip", "install", "--python", str(Env.at(tmp).python), "--quiet"]
    if index_url:
        cmd += ["--index-url", index_url]
    for url in extra_index_urls:
        cmd += ["--extra-index-url", url]
    cmd, indexed = indexes_in_environ(cmd, env)  # the index URLs in uv's environment, on no command line
    try:
        run([*cmd, *VIRTUALENV_REQUIREMENTS], env=indexed, cwd=root.parent, what="uv pip install")
    except EngineError as err:
        detail = str(err).rstrip(".")
        msg = (
            f"corral needs to download virtualenv {VIRTUALENV_VERSION} once (into {root}) to create legacy "
            f"envs, and installing it failed: {detail}. Connect to the network, or point --index-url / "
            f"UV_INDEX_URL at an index that has virtualenv {VIRTUALENV_VERSION}, then retry"
        )
        raise EnvError(msg) from err


def _installed(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for site in Env.at(root).site_packages():
        for info in site.glob("*.dist-info"):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            found[normalize_name(name)] = version
    return found


def _swap_in(tmp: Path, root: Path) -> None:
    """Rename the finished env into place; a broken old one is moved aside first, then deleted."""
    old = None
    if root.exists() or root.is_symlink():
        old = root.parent / f".{root.name}.old-{secrets.token_hex(4)}"
        root.rename(old)
    tmp.rename(root)
    if old is not None:
        remove_tree(old, ignore_errors=True)
