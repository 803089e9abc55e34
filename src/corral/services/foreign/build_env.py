"""The build env a PEP 517 hook runs in: made by corral from exact, hashed pins, kept in corral's cache, reused.

A project's `[build-system].requires` (and what its backend's `get_requires_for_build_wheel` adds) are first
resolved to exact pins with their hashes by `uv pip compile --generate-hashes` (`pinned`: online, as the install a
throwaway env got, so a new release of a build requirement is picked up as before). The env for those pins is keyed
by the interpreter's real path, the pins' text and uv's binary, and lives in corral's cache (`build-envs/KEY`). It is
made by `uv venv` and `uv pip install --require-hashes --no-deps --link-mode copy --compile-bytecode` of the pins, and
before any project code runs in it corral records every entry of its tree (kind, mode, size, inode, mtime, ctime,
link text) and the base interpreter's identity (`KEY.json`). Each reuse first walks the tree again under the env's
lock: an entry added, removed or changed (no process can set a ctime back; `--link-mode copy` shares no inode with
uv's cache, whose links would move it), or another base interpreter, and the env is removed and made again. Hooks
run with `-B`, so a hook that behaves writes nothing there, and one that does not only costs the next lock a new
env: a project cannot leave anything in an env another project's hook will import. Nothing from the project
becomes an option of uv: each requirement is parsed (`core.deps.parse_requirement`) and given as its normal form on
uv's standard input. Pins holding a URL or a path (no hash proves what they are), a lock another process holds, or
a cache folder that cannot be written: a throwaway env, as before. At most `_KEEP` envs are kept, the least
recently used are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from corral.infra.proc import Completed

    Run = Callable[..., Completed]  # (cmd, stdin=None) -> Completed; failures raised as the caller words them

__all__ = ["build_env", "pinned"]

_FOLDER = "build-envs"
_KEEP = 4  # envs kept (a few backends and Pythons; ~10-20 MB each)
_FORMAT = 1  # of the record; another one is remade
_KEY_LENGTH = 32  # hex digits of a key


def pinned(requirements: Sequence[str], *, uv: str, python: str, indexes: Sequence[str], run: Run) -> str:
    """The exact, hashed pins `uv pip compile` resolves `requirements` to for `python` ("" for none)."""
    if not requirements:
        return ""
    cmd = [uv, "pip", "compile", "--quiet", "--python", python, "--no-header", "--no-annotate", "--generate-hashes"]
    return str(run([*cmd, *indexes, "-"], stdin="".join(f"{r}\n" for r in requirements)).stdout)


@contextlib.contextmanager
def build_env(cache: Path, *, uv: str, python: str, pins: str, indexes: Sequence[str], run: Run) -> Iterator[str]:
    """The python of a build env holding exactly `pins` for `python`: reused from the cache, else made there."""
    from corral.core.env import Env
    from corral.infra.rmtree import remove_tree

    def make(env: Path) -> None:
        _make(env, uv=uv, python=python, pins=pins, indexes=indexes, run=run)

    with contextlib.ExitStack() as stack:
        env = _cached(stack, cache / _FOLDER, _key(python, pins, uv), make) if _hashed(pins) else None
        if env is None:
            tmp = Path(tempfile.mkdtemp(prefix="corral-build-env-"))
            stack.callback(remove_tree, tmp, ignore_errors=True)
            env = tmp / "env"
            make(env)
        yield str(Env.at(env).python)


def _make(env: Path, *, uv: str, python: str, pins: str, indexes: Sequence[str], run: Run) -> None:
    run([uv, "venv", "--quiet", "--no-project", "--python", python, str(env)])
    if not pins:
        return
    from corral.core.env import Env

    pins_file = env.parent / f"{env.name}.pins.txt"
    pins_file.write_text(pins, encoding="utf-8")
    try:
        hashes = ["--require-hashes"] if _hashed(pins) else []
        install = [uv, "pip", "install", "--python", str(Env.at(env).python), "--quiet", "--no-deps", *hashes]
        run([*install, "--link-mode", "copy", "--compile-bytecode", *indexes, "-r", str(pins_file)])
    finally:
        pins_file.unlink()


def _hashed(pins: str) -> bool:
    """Every pinned requirement carries a hash (`uv pip compile` gives none for a URL or a path)."""
    blocks: list[str] = []
    for line in pins.splitlines():
        if line.strip() and not line.startswith(("#", " ", "\t")):
            blocks.append(line)
        elif blocks:
            blocks[-1] += line
    return all("--hash=" in block for block in blocks)


def _key(python: str, pins: str, uv: str) -> str:
    import hashlib

    try:
        st = os.stat(uv)
        tool: list[object] = [os.path.realpath(uv), st.st_size, st.st_mtime_ns]
    except OSError:
        tool = [uv]
    blob = json.dumps([_FORMAT, os.path.realpath(python), pins, tool])
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()[:_KEY_LENGTH]


def _cached(stack: contextlib.ExitStack, home: Path, key: str, make: Callable[[Path], None]) -> Path | None:
    """The env of `key` under its lock (held by `stack`): reused when it holds what was recorded, else made anew.

    None when another process holds the lock or the cache cannot be written: the caller makes a throwaway env.
    """
    from corral.infra.locks import LockTimeout, file_lock

    try:
        stack.enter_context(file_lock(home / f"{key}.lock", timeout=0))
    except (LockTimeout, OSError):
        return None
    place, record = home / key, home / f"{key}.json"
    env = place / "env"
    if _holds(record, env):
        with contextlib.suppress(OSError):
            os.utime(record)  # recently used: kept by `_prune`
        return env
    from corral.infra.fs import atomic_write_text
    from corral.infra.rmtree import remove_tree

    try:
        with contextlib.suppress(FileNotFoundError):
            record.unlink()
        if os.path.lexists(place):
            remove_tree(place)
        place.mkdir(mode=0o700)
    except OSError:
        return None
    try:
        make(env)
        atomic_write_text(record, json.dumps(_observed(env)))
    except BaseException:
        with contextlib.suppress(OSError):
            record.unlink()
        remove_tree(place, ignore_errors=True)
        raise
    _prune(home, keep=key)
    return env


def _holds(record: Path, env: Path) -> bool:
    """The env's tree and base interpreter are what the record says corral made."""
    from corral.infra.json_file import read_json_cache

    kept = read_json_cache(record, follow=False)
    if kept is None or kept.get("format") != _FORMAT:
        return False
    try:
        return bool(kept == json.loads(json.dumps(_observed(env))))
    except OSError:
        return False


def _observed(env: Path) -> dict[str, Any]:
    """The record of an env: every entry of its tree, links not followed, and its interpreter's identity."""
    from corral.core.env import Env

    st = os.stat(Env.at(env).python)  # the base interpreter, through the env's link
    return {"format": _FORMAT, "python": [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns], "tree": _tree(str(env))}


def _tree(top: str) -> list[list[object]]:
    entries: list[list[object]] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        folder = os.path.join(top, relative) if relative else top
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            msg = f"{folder} is no longer a folder"
            raise OSError(msg)
        entries.append([relative, st.st_mode, st.st_ino, st.st_mtime_ns, st.st_ctime_ns])
        with os.scandir(folder) as listing:
            for item in sorted(listing, key=lambda e: e.name):
                path = os.path.join(relative, item.name) if relative else item.name
                if item.is_dir(follow_symlinks=False):
                    pending.append(path)
                    continue
                st = item.stat(follow_symlinks=False)
                link = os.readlink(item.path) if stat.S_ISLNK(st.st_mode) else ""
                entries.append([path, st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, link])
    return entries


def _prune(home: Path, *, keep: str) -> None:
    """Remove the least recently used envs beyond `_KEEP` (each under its lock; a busy one is left)."""
    from corral.infra.locks import LockTimeout, file_lock
    from corral.infra.rmtree import remove_tree

    used = []
    with contextlib.suppress(OSError), os.scandir(home) as listing:
        for item in listing:
            key, dot, kind = item.name.partition(".")
            if dot and kind == "json" and key != keep and len(key) == _KEY_LENGTH:
                with contextlib.suppress(OSError):
                    used.append((item.stat(follow_symlinks=False).st_mtime_ns, key))
    for _, key in sorted(used, reverse=True)[_KEEP - 1 :]:
        with contextlib.suppress(LockTimeout, OSError), file_lock(home / f"{key}.lock", timeout=0):
            (home / f"{key}.json").unlink()
            remove_tree(home / key, ignore_errors=True)
