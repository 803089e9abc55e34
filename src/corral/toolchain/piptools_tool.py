"""corral's pip-tools 5.5.0 env for locking Python 2.7 projects: one per 2.7 interpreter, under `<data>/toolchain/`.

The env runs on the project's own 2.7 interpreter (markers are evaluated by the Python that resolves), is made
by virtualenv 20.21.1 with its embedded pip 20.3.4 (no download), then gets pip-tools 5.5.0 and click 7.1.2,
hash-pinned, from the index once. Like the virtualenv toolchain it is built in a temporary sibling folder and
renamed into place under a file lock, so concurrent corral processes build it once and nobody sees half of it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from corral.core.env import Env
from corral.errors import EngineError, EnvError
from corral.infra.environ import indexes_in_environ, piptools_environ
from corral.infra.fs import atomic_write_text
from corral.infra.proc import run
from corral.infra.rmtree import remove_tree
from corral.toolchain.legacy import PIP_TOOLS_REQUIREMENTS, PIP_TOOLS_VERSION

__all__ = ["PipToolsTool", "ensure_piptools", "find_piptools", "piptools_dir"]

MARKER_FILE = "corral-toolchain.json"
_LOCK_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class PipToolsTool:
    """A ready pip-tools env: `python` runs corral's driver with pip 20.3.4 and pip-tools 5.5.0 importable."""

    root: Path
    python: Path
    record: Mapping[str, object]


def piptools_dir(data: Path, key: str) -> Path:
    """Where the pip-tools env for the interpreter identified by `key` lives."""
    return data / "toolchain" / f"pip-tools-{PIP_TOOLS_VERSION}" / key


def find_piptools(data: Path, key: str) -> PipToolsTool | None:
    """The ready env (file checks only), or None when it is missing or broken."""
    root = piptools_dir(data, key)
    python = Env.at(root).python
    try:
        record = json.loads((root / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("pip-tools") != PIP_TOOLS_VERSION:
        return None
    if not python.exists() or not Env.at(root).is_env():
        return None
    return PipToolsTool(root, python, record)


def ensure_piptools(
    data: Path,
    *,
    key: str,
    make_env: Callable[[Path], None],
    environ: Mapping[str, str],
    index_urls: Sequence[str],
) -> PipToolsTool:
    """The pip-tools env for one interpreter, built first if missing or broken (needs the index once).

    Args:
        data: corral's data folder (CorralPaths.data).
        key: identity of the 2.7 interpreter the env runs on (a folder name).
        make_env: creates a seeded 2.7 env (pip 20.3.4, setuptools, wheel) at the given path.
        environ: the caller's environment (see piptools_environ).
        index_urls: [primary, *extras] to install pip-tools and click from.

    Raises:
        EnvError: the env could not be made or pip-tools could not be installed (offline, index without it).

    """
    ready = find_piptools(data, key)
    if ready is not None:
        return ready
    from corral.infra.locks import LockTimeout, file_lock

    root = piptools_dir(data, key)
    lock_file = root.parent / f"{root.name}.lock"
    try:
        with file_lock(lock_file, timeout=_LOCK_TIMEOUT):
            ready = find_piptools(data, key)  # another process may have built it while we waited
            if ready is not None:
                return ready
            for stale in root.parent.glob(f".{root.name}.*"):
                remove_tree(stale, ignore_errors=True)
            _build(root, make_env=make_env, environ=environ, index_urls=index_urls)
    except LockTimeout as err:
        msg = (
            f"waited {_LOCK_TIMEOUT:.0f} s for another corral to finish installing {root}; "
            f"if none is running, delete {lock_file} and retry"
        )
        raise EnvError(msg) from err
    built = find_piptools(data, key)
    if built is None:  # pragma: no cover - _build verifies before renaming
        msg = f"the pip-tools env at {root} is incomplete after installing it; delete it and retry"
        raise EnvError(msg)
    return built


def _build(
    root: Path, *, make_env: Callable[[Path], None], environ: Mapping[str, str], index_urls: Sequence[str]
) -> None:
    tmp = root.parent / f".{root.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        make_env(tmp)
        _install(tmp, root, environ=environ, index_urls=index_urls)
        record = {
            "pip-tools": PIP_TOOLS_VERSION,
            "requirements": [r.split()[0] for r in PIP_TOOLS_REQUIREMENTS],
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        atomic_write_text(tmp / MARKER_FILE, json.dumps(record, indent=2) + "\n")
        old = None
        if root.exists() or root.is_symlink():
            old = root.parent / f".{root.name}.old-{secrets.token_hex(4)}"
            root.rename(old)
        tmp.rename(root)  # a virtualenv 2.7 env finds its prefix from its own location: renaming is safe
        if old is not None:
            remove_tree(old, ignore_errors=True)
    except BaseException:
        remove_tree(tmp, ignore_errors=True)
        raise


def _install(tmp: Path, root: Path, *, environ: Mapping[str, str], index_urls: Sequence[str]) -> None:
    python = str(Env.at(tmp).python)
    with tempfile.TemporaryDirectory(prefix="corral-piptools-") as folder:
        reqs = Path(folder) / "requirements.txt"
        reqs.write_text("\n".join(PIP_TOOLS_REQUIREMENTS) + "\n", encoding="utf-8")
        cmd = [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--require-hashes",
            "--index-url",
            index_urls[0],
        ]
        for url in index_urls[1:]:
            cmd += ["--extra-index-url", url]
        cmd, env = indexes_in_environ(cmd, piptools_environ(environ), tool="pip")  # in pip's environment, not argv
        try:
            run([*cmd, "-r", str(reqs)], env=env, cwd=Path(folder), what="pip install pip-tools")
        except EngineError as err:
            detail = str(err).rstrip(".")
            msg = (
                f"corral needs pip-tools {PIP_TOOLS_VERSION} once (into {root}) to lock Python 2.7 projects, and "
                f"installing it failed: {detail}. Connect to the network, or point --index-url / UV_INDEX_URL "
                f"at an index that has pip-tools {PIP_TOOLS_VERSION} and click 7.1.2, then retry"
            )
            raise EnvError(msg) from err
