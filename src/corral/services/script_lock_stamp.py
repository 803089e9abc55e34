"""The script lock stamp: what a `pylock.<name>.toml` was last locked from, so an unchanged one is not resolved again.

`<cache>/script-lock-stamps/<sha256 of the lock's real path>.json` (corral's cache, never beside the script)
records the SHA-256 of the lock's bytes as corral wrote them (or found them unchanged after resolving), the
inputs-hash of the script block it was made from (`core.script_meta.script_inputs_hash`, with the index URLs) and
`settings`, a digest of what else chooses the resolution: the index URLs, the interpreter floor uv is given when
the block names no requires-python, uv's binary (path and stat), uv's configuration files, and the variables that
steer uv or corral (UV_*, CORRAL_*). Resolving again with all of that unchanged keeps every pin (the lock is uv's
preferences), so it would write the same bytes: `corral lock --script` says unchanged and `--check` up to date
from this record alone. A hand-edited lock has other bytes and resolves again; `--upgrade` always resolves.

A lock naming a local tree, an archive or a VCS checkout (their contents move without the block changing) never
takes the shortcut. No credential is recorded: URLs lose their `user:token@` part, and a variable holding one
(`infra.credential_vars`) is no input at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from corral import __version__

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from corral.infra.paths import CorralPaths
    from corral.services.context import Context

__all__ = ["record_script_lock", "recorded_unchanged", "resolution_settings", "stamp_path"]

_SCHEMA = 1
_LIMIT = 1 << 16  # a record is a few hundred bytes
_ENV_PREFIXES = ("UV_", "CORRAL_")
_NOT_INPUTS = ("CORRAL_FAULT", "CORRAL_FAULT_LOG")  # crash-test hooks (infra.faults): they change no lock
# PEP 751 sources other than an index: their contents can change while the block stays the same
_MOVABLE = frozenset({"vcs", "directory", "archive"})


def stamp_path(paths: CorralPaths, lock: Path) -> Path:
    """Where the record of the script lock `lock` lives (corral's cache; keyed by the lock's real path)."""
    key = hashlib.sha256(os.fsencode(os.path.realpath(lock))).hexdigest()
    return paths.cache / "script-lock-stamps" / f"{key}.json"


def resolution_settings(ctx: Context, data: Mapping[str, Any]) -> str:
    """sha256 of what besides the block chooses the resolution `render_script_lock` asks uv for (no credentials)."""
    from corral.infra.credential_vars import is_credential
    from corral.infra.fingerprint import fingerprint
    from corral.infra.uvbin import uv_binary
    from corral.services.lock_inputs import index_urls
    from corral.services.lock_stamp import uv_config_files

    floor = None
    if not data.get("requires-python"):  # else the floor follows the block's requires-python (its inputs-hash)
        from corral.services.python import choose_interpreter

        floor = choose_interpreter(ctx, None)[0].short_version
    uv = uv_binary()
    environ = {
        k: " ".join(_credential_free(part) for part in v.split(" "))
        for k, v in sorted(ctx.environ.items())
        if k.startswith(_ENV_PREFIXES) and k not in _NOT_INPUTS and not is_credential(k)
    }
    settings = {
        "indexes": [_credential_free(u) for u in index_urls(ctx)],
        "floor": floor,
        "uv": [uv, fingerprint(uv)],
        "uv_config": [[p, fingerprint(p)] for p in uv_config_files(ctx.environ)],
        "environ": environ,
    }
    blob = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _credential_free(value: str) -> str:
    """`value` without a URL's `user:token@` part (one that is no URL: without all up to its last `@`)."""
    from corral.core.urls import strip_credentials

    try:
        return strip_credentials(value)
    except ValueError:  # urlsplit's "Invalid IPv6 URL"
        return value.rpartition("@")[2]


def _movable(lock_bytes: bytes) -> bool:
    """True when the lock names a local tree, an archive or a VCS checkout (or cannot be read as a lock)."""
    from corral.errors import ConfigError
    from corral.infra.toml_file import decode_text, parse_toml

    try:
        packages = parse_toml(decode_text(lock_bytes, origin="lock"), origin="lock").get("packages")
    except ConfigError:
        return True
    if not isinstance(packages, list):
        return True
    return any(not isinstance(p, dict) or not _MOVABLE.isdisjoint(p) for p in packages)


def _record(lock: Path, lock_bytes: bytes, inputs_hash: str, settings: str) -> dict[str, Any]:
    return {
        "schema": _SCHEMA,
        "corral": __version__,
        "lock": os.path.realpath(lock),
        "lock_sha256": hashlib.sha256(lock_bytes).hexdigest(),
        "inputs_hash": inputs_hash,
        "settings": settings,
    }


def recorded_unchanged(paths: CorralPaths, lock: Path, lock_bytes: bytes, *, inputs_hash: str, settings: str) -> bool:
    """True when corral recorded `lock` holding exactly `lock_bytes`, made from these inputs and settings."""
    from corral.infra.safe_read import read_small

    if _movable(lock_bytes):
        return False
    path = stamp_path(paths, lock)
    try:
        found = json.loads(read_small(path, limit=_LIMIT, what=path.name, follow=False))
    except (OSError, ValueError, RecursionError):
        return False
    return bool(found == _record(lock, lock_bytes, inputs_hash, settings))


def record_script_lock(paths: CorralPaths, lock: Path, lock_bytes: bytes, *, inputs_hash: str, settings: str) -> None:
    """Record that `lock` holds `lock_bytes` resolved from these inputs (a failure only costs the next lock time)."""
    import contextlib
    import secrets

    if _movable(lock_bytes):
        return
    target = stamp_path(paths, lock)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    text = json.dumps(_record(lock, lock_bytes, inputs_hash, settings), sort_keys=True)
    with contextlib.suppress(OSError, UnicodeEncodeError):
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # the user's own private file, as every record in corral's cache (it names the script's folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
