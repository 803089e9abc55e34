"""The sync stamp's facts of an env and its file, with os alone: what `services.sync.stamp` records, and writes.

`stamp.make_stamp` and `stamp.is_noop` take these facts from here (paths as text), and so does the rebuild replay
(`cli.rebuild_replay`), which writes the stamp of the env it made while uv has just exited: on its path pathlib, json
and re (~15 ms of CPU under load, against uv's ~40 ms install of a small project) are never imported. `stamp_text`
is the stamp `make_stamp` gives for a POSIX env, as `write_stamp` writes it (tests/unit/test_stamp_state.py keeps
the two equal).
"""

from __future__ import annotations

import os

from corral import __version__
from corral.infra.credential_vars import is_credential
from corral.infra.json_text import dumps

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "ENV_IGNORED",
    "ENV_NAMES",
    "ENV_PREFIXES",
    "SCHEMA",
    "STAMP_FILE",
    "bin_state",
    "environ_key",
    "interpreter_state",
    "secretless",
    "selection_key",
    "site_packages",
    "site_state",
    "stamp_text",
    "write_stamp_text",
]

STAMP_FILE = "corral-sync.json"
SCHEMA = 1
# Variables that change which index a lock is resolved from or how corral behaves (cli.quick observes the same ones).
ENV_PREFIXES = ("CORRAL_",)
# corral's own shell bookkeeping (`corral shell`, activation, the cd-hook): where the user is, not what to install
ENV_IGNORED = (
    "CORRAL_SHELL",
    "CORRAL_HOOK_ENV",
    "CORRAL_USER_ENV",
    "CORRAL_USER_ZDOTDIR",
    "CORRAL_USER_HOME",
    "CORRAL_PROGRESS_AFTER",
    "CORRAL_SIZE_BUDGET",
    "CORRAL_OLD_",
)
ENV_NAMES = (
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
)
_DIST_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")


def environ_key(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that change which index is used or how corral behaves.

    A value with an `@` (an index URL's credentials) by its SHA-256 (`cli.quick.secretless`'s rule): the stamp
    is a file in the env, readable by whoever may read the env. A variable that holds a credential
    (`infra.credential_vars`) is left out.
    """
    return {
        k: secretless(v)
        for k, v in sorted(environ.items())
        if (k.startswith(ENV_PREFIXES) or k in ENV_NAMES) and not k.startswith(ENV_IGNORED) and not is_credential(k)
    }


def secretless(value: str) -> str:
    """`value`, or `sha256:<hex>` of it when it could carry credentials (an `@`)."""
    if "@" not in value:
        return value
    import hashlib

    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def selection_key(
    *,
    groups: tuple[str, ...] | list[str] | None,
    extras: tuple[str, ...] | list[str],
    all_groups: bool = False,
    no_dev: bool = False,
    all_extras: bool = False,
    only_groups: bool = False,
) -> str:
    """A stable text form of a sync's group/extra choice (the same for the CLI shortcut and the service)."""
    named = ",".join(sorted(groups)) if groups is not None else "*default*"
    flags = "".join(c for c, on in (("G", all_groups), ("n", no_dev), ("E", all_extras), ("o", only_groups)) if on)
    return f"g={named};e={','.join(sorted(extras))};f={flags}"


def site_packages(env: str) -> list[str]:
    """`core.env.Env.at(env).site_packages()` on POSIX, as text: every `lib/*/site-packages` folder, sorted."""
    lib = os.path.join(env, "lib")
    try:
        names = sorted(os.listdir(lib))  # every entry, hidden ones too, as Env.site_packages
    except OSError:
        names = []
    return [path for path in (os.path.join(lib, name, "site-packages") for name in names) if os.path.isdir(path)]


def site_state(site: str) -> dict[str, Any]:
    """mtime_ns, the distributions' names and [name, inode, size, mtime_ns] of each file directly in `site`.

    The files: a `.pth` or a module there that `git checkout` replaced (a new file under the same name) is seen.
    """
    try:
        mtime = os.stat(site).st_mtime_ns
        with os.scandir(site) as entries:
            listed = [
                (entry.name, None if entry.is_dir(follow_symlinks=False) else entry.stat(follow_symlinks=False))
                for entry in entries
            ]
    except OSError:
        return {}
    names = sorted(name for name, _ in listed if name.endswith(_DIST_SUFFIXES))
    files = sorted([name, st.st_ino, st.st_size, st.st_mtime_ns] for name, st in listed if st is not None)
    return {"mtime_ns": mtime, "dists": names, "files": files}


def bin_state(folder: str) -> dict[str, Any]:
    """The env's `bin/` (`Scripts`) as the stamp records it: its mtime_ns and ctime_ns, [name, inode] per entry.

    A file put there or replaced (git writes a new file, never in place) changes the folder's times and names a
    new inode. From the listing alone (no stat per entry): ~40 us for 70 entries on the no-op path.
    """
    try:
        with os.scandir(folder) as entries:
            rows = sorted([entry.name, entry.inode()] for entry in entries)
        st = os.stat(folder)
    except OSError:
        return {}
    return {"path": folder, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "entries": rows}


def interpreter_state(python: str) -> list[object]:
    """[real path, inode, size, mtime_ns] of the interpreter an env's `python` resolves to now ([path, None]: gone)."""
    real = os.path.realpath(python)
    try:
        st = os.stat(real)
    except OSError:
        return [real, None]
    return [real, st.st_ino, st.st_size, st.st_mtime_ns]


def stamp_text(
    *,
    env: str,
    inputs: Mapping[str, object],
    selection: str,
    engine: str,
    lock_fresh: bool,
    environ: Mapping[str, str],
) -> str:
    """`stamp.make_stamp`'s stamp of the POSIX env `env` (absolute, normalised) as `stamp.write_stamp` writes it.

    `inputs`: `stamp.input_state`'s record of the input files, as the sync saw them.
    """
    stamp = {
        "schema": SCHEMA,
        "corral": __version__,
        "env": env,
        **inputs,
        "lock_fresh": lock_fresh,
        "selection": selection,
        "engine": engine,
        "environ": environ_key(environ),
        "site": {site: site_state(site) for site in site_packages(env)},
        "bin": bin_state(os.path.join(env, "bin")),
        "interpreter": interpreter_state(os.path.join(env, "bin", "python")),
    }
    return dumps(stamp, sort_keys=True)


def write_stamp_text(env: str, text: str) -> bool:
    """Write the stamp atomically; False when it could not be (a failure only costs the next sync its shortcut)."""
    target = os.path.join(env, STAMP_FILE)
    tmp = os.path.join(env, f".{STAMP_FILE}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)  # never through a planted link
    try:
        fd = os.open(tmp, flags, 0o644)
    except OSError:
        return False
    try:
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError:
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True
