"""What other services call: register an env when it is made, touch it when it is used, forget it when gone.

    register_env(paths, path=..., kind="script", project=None, interpreter=..., version=..., creator="uv")

is all a throwaway-env service needs; `touch(paths, path)` on every reuse keeps gc's "unused for" honest.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from corral.errors import UsageError
from corral.inventory.model import KINDS, EnvRecord
from corral.inventory.store import Store, env_key

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any

    from corral.infra.paths import CorralPaths


__all__ = ["forget", "known", "note_python", "register_env", "touch", "try_register_env"]


def _warn(message: str, *args: object) -> None:
    """A warning under `corral.inventory` (logging imported only then: ~2 ms the env-creating paths do not pay)."""
    import logging

    logging.getLogger("corral.inventory").warning(message, *args)


def register_env(
    paths: CorralPaths,
    *,
    path: str | os.PathLike[str],
    kind: str,
    project: str | os.PathLike[str] | None,
    interpreter: str | os.PathLike[str] | None,
    version: str | None,
    creator: str | None,
    extra: dict[str, Any] | None = None,
) -> EnvRecord:
    """Record an env corral made (replacing any earlier record for the same path); returns the record.

    Args:
        paths: corral's folders (the database lives in `paths.data`).
        path: the env's root folder.
        kind: one of project, script, tool (conda/other are for scans).
        project: the project folder the env serves, or None.
        interpreter: the base interpreter it was made from.
        version: that interpreter's version ("3.12.1").
        creator: which creator made it (uv, venv, virtualenv).
        extra: free-form JSON-able details (a script's path, the inputs hash of a cached env...); corral adds
            `identity`, the folder's [st_dev, st_ino], which safety compares before trusting this record.

    Raises:
        UsageError: unknown kind.
        EnvError: the database cannot be opened.

    """
    if kind not in KINDS:
        msg = f"unknown env kind {kind!r}; use one of: {', '.join(KINDS)}"
        raise UsageError(msg)
    now = time.time()
    details = dict(extra or {})
    try:  # the folder's identity: what lets safety tell the folder corral made from one put in its place
        st = os.lstat(path)
        details["identity"] = [st.st_dev, st.st_ino]
    except OSError:
        details.pop("identity", None)
    record = EnvRecord(
        path=env_key(path),
        kind=kind,
        project=env_key(project) if project else None,
        interpreter=os.fspath(interpreter) if interpreter else None,
        version=version,
        creator=creator,
        created_at=now,
        last_used=now,
        source="corral",
        extra=details,
    )
    with Store.open(paths) as store:
        store.upsert(record)
    return record


def try_register_env(paths: CorralPaths, **fields: Any) -> bool:  # noqa: ANN401 - same keywords as register_env
    """register_env, but a failure is a logged warning (creation must never fail because of the inventory)."""
    try:
        register_env(paths, **fields)
    except Exception as err:  # noqa: BLE001 - any inventory problem is only worth a warning here
        _warn(
            "could not record %s in corral's inventory (%s); `corral envs scan` will find it", fields.get("path"), err
        )
        return False
    return True


def note_python(
    paths: CorralPaths, path: str | os.PathLike[str], *, version: str, interpreter: str | os.PathLike[str] | None = None
) -> bool:
    """A known env now runs `version` (upgraded in place, rebuilt by hand); False when unknown or on failure.

    Never raises: the inventory is a view, and an upgrade must not fail because of it (a logged warning).
    """
    try:
        with Store.open(paths) as store:
            return store.set_versions([(os.fspath(path), version, os.fspath(interpreter) if interpreter else None)]) > 0
    except Exception as err:  # noqa: BLE001 - any inventory problem is only worth a warning here
        _warn("could not record %s's new Python in corral's inventory (%s)", path, err)
        return False


def touch(paths: CorralPaths, path: str | os.PathLike[str], *, when: float | None = None) -> bool:
    """Mark an env as used now; False when it is not in the inventory (never raises for a missing env)."""
    with Store.open(paths) as store:
        return store.touch(env_key(path), when)


def forget(paths: CorralPaths, path: str | os.PathLike[str]) -> bool:
    """Drop an env from the inventory (its files are not touched); False when it was not known."""
    with Store.open(paths) as store:
        return store.delete(env_key(path))


def known(paths: CorralPaths, path: str | os.PathLike[str]) -> EnvRecord | None:
    """The record for `path`, if any."""
    with Store.open(paths) as store:
        return store.get(env_key(Path(path)))
