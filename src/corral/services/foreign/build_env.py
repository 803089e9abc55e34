"""The build env a PEP 517 hook runs in: made by corral from exact, hashed pins, kept in corral's cache, reused.

A project's `[build-system].requires` (and what its backend's `get_requires_for_build_wheel` adds) are first
resolved to exact pins with their hashes by `uv pip compile --generate-hashes` (`pinned`: online, as the install
into a throwaway env was, so a new release of a build requirement is picked up as before). The env for those pins
is keyed by the interpreter's real path, the pins' text and uv's binary, and lives in corral's cache
(`build-envs/KEY/env`). It is made by `uv venv` and `uv pip install --require-hashes --no-deps --link-mode copy` of the
pins, and before any project code runs in it corral records every entry of its tree (kind, mode, size, inode,
mtime, ctime, link text) and the base interpreter's identity (`KEY/record.json`). Each reuse first walks the tree again
under the env's lock: an entry added, removed or changed (no process can set a ctime back; `--link-mode copy`
shares no inode with uv's cache, whose links would move it), or another base interpreter, and the env is removed
and made again. Hooks run with `-B`, so a hook that behaves writes nothing there, and one that does not only costs
the next lock a new env: what a hook writes there is seen before another project's hook imports anything. A
process a hook leaves running is killed with the hook server's process group once the hooks have answered
(`metadata._Hooks`); one that leaves the group (a session of its own), or one writing corral's cache itself, runs as
the user and is beyond any record: the hook is the project's code, which a lock of a dynamic version must run, as any
frontend does. The bytecode of a new env is compiled by a detached corral process (`compile_env`), beside its first
hooks: the env's interpreter with `-S -I` (the standard library only) reads every .py file, and the .pyc files are
put in place only if the env's record and tree were still the very ones of before once it ended (no file it read
changed).

Nothing from the project becomes an option of uv: each requirement is parsed (`core.deps.parse_requirement`, by
the caller) and given as its normal form on uv's standard input. Pins holding a URL or a path (no hash proves what
they are), a lock another process holds, or a cache folder that cannot be written: a throwaway env, as before. At
most `_KEEP` envs are kept, the least recently used are removed.
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

__all__ = ["build_env", "compile_env", "env_key", "guess_name", "pinned", "recalled"]

_FOLDER = "build-envs"  # KEY/env, KEY/record.json
_LOCKS = "build-env-locks"  # KEY.lock (kept: infra.locks)
_GUESSES = "build-env-guesses"  # GUESS.txt: the key of the env last used for some build requirements
_KEEP = 4  # envs kept (a few backends and Pythons; ~10-20 MB each)
_FORMAT = 1  # of the record; another one is remade
_KEY_LENGTH = 32  # hex digits of a key
_COMPILE_TIMEOUT = 600  # seconds the detached compile may take
_PUT_WAIT = 60  # seconds it waits for the env's lock (hooks running there) to put the bytecode in place


def pinned(requirements: Sequence[str], *, uv: str, python: str, indexes: Sequence[str], run: Run) -> str:
    """The exact, hashed pins `uv pip compile` resolves `requirements` to for `python` ("" for none)."""
    if not requirements:
        return ""
    cmd = [uv, "pip", "compile", "--quiet", "--python", python, "--no-header", "--no-annotate", "--generate-hashes"]
    return str(run([*cmd, *indexes, "-"], stdin="".join(f"{r}\n" for r in requirements)).stdout)


def guess_name(python: str, requires: Sequence[str], indexes: Sequence[str]) -> str:
    """The name under which the key of the env last used for these build requirements is kept (`recalled`)."""
    import hashlib

    blob = json.dumps([_FORMAT, os.path.realpath(python), list(requires), list(indexes)])
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()[:_KEY_LENGTH]


def recalled(stack: contextlib.ExitStack, cache: Path, guess: str) -> tuple[str, str] | None:
    """(python, key) of the compiled env last used under `guess`, held (its lock, by `stack`) and checked; or None.

    A guess, to start the backend's import while `pinned` still runs: only the pins' `env_key` says it is the env.
    """
    import re

    from corral.core.env import Env
    from corral.infra.locks import LockTimeout, file_lock
    from corral.infra.safe_read import read_small

    try:
        key = read_small(cache / _GUESSES / f"{guess}.txt", limit=_KEY_LENGTH, what="build env", follow=False).decode()
    except (OSError, UnicodeDecodeError):
        return None
    if not re.fullmatch(f"[0-9a-f]{{{_KEY_LENGTH}}}", key):
        return None
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(file_lock(cache / _LOCKS / f"{key}.lock", timeout=0))
        except (LockTimeout, OSError):
            return None
        env = cache / _FOLDER / key / "env"
        if _holds(env.parent / "record.json", env) is not True:
            return None
        stack.enter_context(held.pop_all())
        return str(Env.at(env).python), key
    return None  # pragma: no cover - mypy: the with block returns


def env_key(python: str, pins: str, uv: str) -> str:
    """The key of the env holding `pins` for `python` (`recalled`'s answer is that env when the keys are equal)."""
    return _key(python, pins, uv)


@contextlib.contextmanager
def build_env(
    cache: Path, *, uv: str, python: str, pins: str, indexes: Sequence[str], run: Run, guess: str | None = None
) -> Iterator[str]:
    """The python of a build env holding exactly `pins` for `python`: reused from the cache, else made there.

    `guess`: the name (`guess_name`) under which this env's key is kept for `recalled`.
    """
    from corral.core.env import Env
    from corral.infra.rmtree import remove_tree

    def make(env: Path) -> None:
        _make(env, uv=uv, python=python, pins=pins, indexes=indexes, run=run)

    with contextlib.ExitStack() as stack:
        found = _cached(stack, cache, _key(python, pins, uv), make) if _hashed(pins) else None
        if found is None:
            tmp = Path(tempfile.mkdtemp(prefix="corral-build-env-"))
            stack.callback(remove_tree, tmp, ignore_errors=True)
            env = tmp / "env"
            make(env)
            yield str(Env.at(env).python)
            return
        env, record, compiled = found
        if guess is not None:
            with contextlib.suppress(OSError):
                from corral.infra.fs import atomic_write_text

                atomic_write_text(cache / _GUESSES / f"{guess}.txt", record.parent.name)
        if not compiled:
            _start_compile(cache, record.parent.name)
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
        run([*install, "--link-mode", "copy", *indexes, "-r", str(pins_file)])
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


def _cached(
    stack: contextlib.ExitStack, cache: Path, key: str, make: Callable[[Path], None]
) -> tuple[Path, Path, bool] | None:
    """The env of `key` under its lock (held by `stack`): reused when it holds what was recorded, else made anew.

    Returns the env, its record and whether its bytecode is compiled (`compile_env`); None when another process holds
    the lock or the cache cannot be written: the caller makes a throwaway env.
    """
    from corral.infra.locks import LockTimeout, file_lock

    try:
        stack.enter_context(file_lock(cache / _LOCKS / f"{key}.lock", timeout=0))
    except (LockTimeout, OSError):
        return None
    place = cache / _FOLDER / key
    record, env = place / "record.json", place / "env"
    held = _holds(record, env)
    if held is not None:
        with contextlib.suppress(OSError):
            os.utime(record)  # recently used: kept by `_prune`
        return env, record, held
    from corral.errors import CorralError
    from corral.infra.fs import atomic_write_text
    from corral.infra.rmtree import remove_tree

    try:
        if os.path.lexists(place):
            remove_tree(place)
        place.parent.mkdir(parents=True, exist_ok=True)
        place.mkdir(mode=0o700)
    except OSError:
        return None
    try:
        make(env)
        atomic_write_text(record, json.dumps(_observed(env, compiled=False)))
    except (OSError, CorralError):  # a full or failing cache disk: a throwaway env, as the docstring says (a pin
        remove_tree(place, ignore_errors=True)  # uv cannot have fails there again, in its words)
        return None
    except BaseException:
        remove_tree(place, ignore_errors=True)
        raise
    _prune(cache, keep=key)
    return env, record, False


def _holds(record: Path, env: Path) -> bool | None:
    """Whether the env's bytecode is compiled, if its tree and base interpreter are what the record says; else None."""
    from corral.infra.json_file import read_json_cache

    kept = read_json_cache(record, follow=False)
    if kept is None or kept.get("format") != _FORMAT or not isinstance(kept.get("compiled"), bool):
        return None
    try:
        same = kept == json.loads(json.dumps(_observed(env, compiled=kept["compiled"])))
    except OSError:
        return None
    return bool(kept["compiled"]) if same else None


def _observed(env: Path, *, compiled: bool) -> dict[str, Any]:
    """The record of an env: every entry of its tree, links not followed, and its interpreter's identity."""
    from corral.core.env import Env

    st = os.stat(Env.at(env).python)  # the base interpreter, through the env's link
    python = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return {"format": _FORMAT, "compiled": compiled, "python": python, "tree": _tree(str(env))}


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


# Run by the env's interpreter with -S -I: the standard library only, nothing of the env imported or run. It reads
# each .py file of the env and writes (its path, the timestamp-based .pyc of its bytes) to stdout, length-prefixed,
# after the interpreter's cache tag; `compile_env` writes them into place only when the env's record and tree are
# still the very ones of before it ran, so no file it read changed meanwhile (a write moves the ctime).
_COMPILER = """
import importlib._bootstrap_external as b, os, struct, sys
out, top, tag = sys.stdout.buffer, sys.argv[1], sys.implementation.cache_tag
pack = getattr(b, "_code_to_timestamp_pyc", None) or getattr(b, "_code_to_bytecode", None)
def put(data):
    out.write(struct.pack(">I", len(data)))
    out.write(data)
if tag and pack:
    put(tag.encode())
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.endswith(".py") or os.path.islink(path):
                continue
            try:
                st = os.stat(path)
                with open(path, "rb") as handle:
                    code = compile(handle.read(), path, "exec", dont_inherit=True)
            except Exception:
                continue
            put(os.path.relpath(path, top).encode("utf-8", "surrogateescape"))
            put(pack(code, st.st_mtime, st.st_size))
"""
_DETACHED = (
    "import sys; sys.path.insert(0, sys.argv[1]); from {0} import compile_env; compile_env(sys.argv[2], sys.argv[3])"
)


def _start_compile(cache: Path, key: str) -> None:
    """Start `compile_env` for the env of `key` in a new interpreter of corral's, detached (its own session).

    uv's `--compile-bytecode` at install took ~1.5 s of CPU before any hook could start; this runs beside them, and
    on while the command resolves, never waited for (the hooks run with -B: they compile in memory meanwhile).
    """
    import subprocess
    import sys

    import corral

    if not sys.executable:
        return
    where = os.path.dirname(os.path.dirname(os.path.abspath(corral.__file__)))
    argv = [sys.executable, "-I", "-c", _DETACHED.format(__name__), where, str(cache), key]
    with contextlib.suppress(OSError):
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=os.sep,
            start_new_session=os.name != "nt",
        )


def compile_env(cache_dir: str, key: str) -> None:
    """Compile the bytecode of the env of `key` and put it in place (the detached process `_start_compile` starts).

    One at a time per env (its own lock, not the env's: hooks may use the env meanwhile); the env's lock is taken
    only to put the .pyc files in place, and only if its record and tree are still the very ones read before.
    """
    import subprocess

    from corral.core.env import Env
    from corral.infra.fs import atomic_write_text
    from corral.infra.locks import LockTimeout, file_lock

    cache = Path(cache_dir)
    place = cache / _FOLDER / key
    record, env = place / "record.json", place / "env"
    failures = (LockTimeout, OSError, ValueError, subprocess.TimeoutExpired)  # each: left uncompiled, tried again
    with contextlib.suppress(*failures), file_lock(cache / _LOCKS / f"{key}.compile.lock", timeout=0):
        before = record.read_bytes()
        if _holds(record, env) is not False:
            return
        cmd = [str(Env.at(env).python), "-S", "-I", "-c", _COMPILER, str(env)]
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=_COMPILE_TIMEOUT, check=False)
        if done.returncode != 0:
            return
        with file_lock(cache / _LOCKS / f"{key}.lock", timeout=_PUT_WAIT):
            if record.read_bytes() != before or _holds(record, env) is not False:
                return  # remade, changed or compiled meanwhile: what was read may not be what is there
            try:
                for relative, data in _pycs(done.stdout):
                    target = env / relative
                    target.parent.mkdir(exist_ok=True)
                    target.write_bytes(data)
                atomic_write_text(record, json.dumps(_observed(env, compiled=True)))
            except OSError:
                from corral.infra.rmtree import remove_tree

                remove_tree(place, ignore_errors=True)  # no longer the recorded tree: space back now, made anew next
                raise


def _pycs(output: bytes) -> Iterator[tuple[str, bytes]]:
    """(the .pyc's path in the env, its bytes) from `_COMPILER`'s output; ValueError for anything malformed."""
    import re
    import struct

    items, at = [], 0
    while at < len(output):
        (size,) = struct.unpack_from(">I", output, at)
        items.append(output[at + 4 : at + 4 + size])
        at += 4 + size
    if at != len(output) or len(items) % 2 != 1:
        raise ValueError
    tag = items[0].decode("ascii")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", tag):
        raise ValueError
    for i in range(1, len(items), 2):
        source = items[i].decode("utf-8", "surrogateescape")
        parts = source.split("/")
        if not source.endswith(".py") or any(p in ("", ".", "..") for p in parts):
            raise ValueError
        yield "/".join([*parts[:-1], "__pycache__", f"{parts[-1][:-3]}.{tag}.pyc"]), items[i + 1]


def _prune(cache: Path, *, keep: str) -> None:
    """Remove the least recently used envs beyond `_KEEP` (each under its lock; a busy one is left)."""
    from corral.infra.locks import LockTimeout, file_lock
    from corral.infra.rmtree import remove_tree

    used = []
    with contextlib.suppress(OSError), os.scandir(cache / _FOLDER) as listing:
        for item in listing:
            if item.name != keep and len(item.name) == _KEY_LENGTH and item.is_dir(follow_symlinks=False):
                try:
                    used.append((os.stat(os.path.join(item.path, "record.json")).st_mtime_ns, item.name))
                except OSError:
                    used.append((0, item.name))  # no record: a make that was cut short
    for _, key in sorted(used, reverse=True)[_KEEP - 1 :]:
        with contextlib.suppress(LockTimeout, OSError), file_lock(cache / _LOCKS / f"{key}.lock", timeout=0):
            remove_tree(cache / _FOLDER / key, ignore_errors=True)
