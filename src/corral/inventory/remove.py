"""Delete an env: safety check, atomic rename to a trash sibling, unregister, then delete the trash.

An interrupted delete leaves only a `.<name>.corral-trash-<hex>` folder (recorded in the inventory),
never a half-deleted env that still looks usable; `finish_trash()` (run by gc) completes it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.errors import EnvError, SafetyRefusal
from corral.infra.faults import checkpoint
from corral.inventory.safety import refusal
from corral.inventory.store import Store, env_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from corral.infra.paths import CorralPaths

__all__ = ["TRASH_RE", "finish_trash", "remove_env"]

TRASH_RE: Final = re.compile(r"^\..+\.corral-trash-[0-9a-f]{8}$")


def remove_env(
    paths: CorralPaths,
    path: Path,
    *,
    home: Path,
    cwd: Path,
    project_root: Path | None = None,
    require_corral: bool = False,
) -> None:
    """Delete the env at `path` after `safety.refusal` allows it.

    Raises:
        SafetyRefusal: the folder is not provably a removable env (the message says why).
        EnvError: the rename or the deletion failed (the env is left whole or as trash).

    """
    reason = refusal(path, home=home, cwd=cwd, project_root=project_root, require_corral=require_corral)
    if reason:
        msg = f"refusing to delete {path}: {reason}"
        raise SafetyRefusal(msg)
    env = Path(env_key(path))
    trash = env.parent / f".{env.name}.corral-trash-{secrets.token_hex(4)}"
    with Store.open(paths) as store:
        store.add_trash(str(trash), str(env))
        checkpoint("remove-env:before-rename")
        try:
            os.rename(env, trash)
        except OSError as err:
            store.drop_trash(str(trash))
            msg = (f"cannot remove {env}: renaming it to {trash.name} failed ({err.strerror or err}); "
                   "nothing was deleted")
            raise EnvError(msg) from err
        checkpoint("remove-env:renamed")
        store.delete(str(env))
        checkpoint("remove-env:unregistered")
        try:
            _delete_tree(trash)
        except OSError as err:
            msg = (f"{env} was taken out of use (renamed to {trash.name}) but deleting it failed "
                   f"({err.strerror or err}); `corral envs gc` will finish the job")
            raise EnvError(msg) from err
        store.drop_trash(str(trash))


def finish_trash(paths: CorralPaths) -> list[str]:
    """Delete trash folders left by interrupted removals; returns the ones finished."""
    done = []
    with Store.open(paths) as store:
        for trash, _env in store.pending_trash():
            if os.path.lexists(trash) and TRASH_RE.match(os.path.basename(trash)):
                if os.path.islink(trash):
                    os.unlink(trash)
                else:
                    _delete_tree(Path(trash))
                done.append(trash)
            store.drop_trash(trash)
    return done


def _delete_tree(path: Path) -> None:
    """Delete a tree, clearing read-only bits (Windows, some wheels) and never follows symlinks."""

    def retry(func: Callable[..., Any], name: str, _exc: object) -> None:
        try:
            os.chmod(name, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
            func(name)
        except FileNotFoundError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)
