"""Delete an env: safety check, atomic rename to a trash sibling, unregister, then delete the trash.

An interrupted delete leaves only a `.<name>.corral-trash-<hex>` folder (recorded in the inventory),
never a half-deleted env that still looks usable; `finish_trash()` (run by gc) completes it.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from corral.errors import EnvError, SafetyRefusal
from corral.infra.faults import checkpoint
from corral.infra.markers import TRASH_RE, trash_name
from corral.infra.rmtree import MountInside, OpenedTree, TreeChanged
from corral.inventory.safety import judge
from corral.inventory.store import Store, env_key

if TYPE_CHECKING:
    from corral.infra.paths import CorralPaths

__all__ = ["finish_trash", "remove_env"]

_log = logging.getLogger("corral.inventory")


def remove_env(
    paths: CorralPaths,
    path: Path,
    *,
    home: Path,
    cwd: Path,
    project_root: Path | None = None,
    require_corral: bool = False,
) -> None:
    """Delete the env at `path` after `safety` proves it is one, through the folder it opened and judged.

    The folder is opened once (infra.rmtree); the proof is run again on that descriptor, the rename to trash
    and the deletion go through it, and its identity (st_dev, st_ino) is checked after the rename: swapping
    the folder or a parent for a symlink meanwhile cannot turn the deletion onto another folder.

    Raises:
        SafetyRefusal: the folder is not provably a removable env, or it changed while being checked.
        EnvError: the rename or the deletion failed (the env is left whole or as trash).

    """
    verdict = judge(path, home=home, cwd=cwd, project_root=project_root, require_corral=require_corral, paths=paths)
    if verdict.reason:
        msg = f"refusing to delete {path}: {verdict.reason}"
        raise SafetyRefusal(msg)
    env = Path(env_key(path))
    trash = trash_name(env, secrets.token_hex(4))
    try:
        tree = OpenedTree.open(env, expect=verdict.identity)
    except OSError as err:
        msg = f"refusing to delete {path}: {err.strerror or err}"
        raise SafetyRefusal(msg) from err
    with tree, Store.open(paths) as store:
        reason = verdict.recheck(tree)
        if reason:
            msg = f"refusing to delete {path}: {reason}; nothing was deleted"
            raise SafetyRefusal(msg)
        store.add_trash(str(trash), str(env))
        checkpoint("remove-env:before-rename")
        try:
            tree.rename(trash.name)
        except OSError as err:
            store.drop_trash(str(trash))
            if isinstance(err, TreeChanged):
                msg = f"refusing to delete {path}: {err.strerror}"
                raise SafetyRefusal(msg) from err
            msg = (
                f"cannot remove {env}: renaming it to {trash.name} failed ({err.strerror or err}); nothing was deleted"
            )
            raise EnvError(msg) from err
        checkpoint("remove-env:renamed")
        store.delete(str(env))
        checkpoint("remove-env:unregistered")
        try:
            tree.delete()
        except OSError as err:
            then = (
                "unmount it, then run `corral envs gc` to finish"
                if isinstance(err, MountInside)
                else "`corral envs gc` will finish the job"
            )
            msg = (
                f"{env} was taken out of use (renamed to {trash.name}) but deleting it failed "
                f"({err.strerror or err}); {then}"
            )
            raise EnvError(msg) from err
        store.drop_trash(str(trash))


def finish_trash(paths: CorralPaths) -> list[str]:
    """Delete trash folders left by interrupted removals; returns the ones finished.

    Only a folder named like corral's trash, recorded in corral's own inventory and owned by the current user is
    deleted (through infra.rmtree: no symlink followed, no mount crossed); one that cannot be stays recorded.
    """
    done = []
    with Store.open(paths) as store:
        for trash, _env in store.pending_trash():
            if os.path.lexists(trash) and TRASH_RE.match(os.path.basename(trash)):
                try:
                    _delete_trash(trash)
                except OSError as err:
                    _log.warning(
                        "could not finish deleting %s (%s); it is kept for the next gc", trash, err.strerror or err
                    )
                    continue
                done.append(trash)
            store.drop_trash(trash)
    return done


def _delete_trash(trash: str) -> None:
    if os.path.islink(trash):
        os.unlink(trash)
        return
    with OpenedTree.open(trash) as tree:
        geteuid = getattr(os, "geteuid", None)
        owner = os.fstat(tree.fd).st_uid if tree.fd is not None else None
        if geteuid is not None and owner is not None and owner != geteuid():
            raise PermissionError(0, f"it belongs to uid {owner}, not to you", trash)
        tree.delete()
