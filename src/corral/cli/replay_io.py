"""What the rebuild replay (`cli.rebuild_replay`) reads and writes while uv installs, with os alone.

The replay writes the records of the env it made while uv installs, and on a small project uv's install (~40 ms)
is shorter than importing pathlib, re, enum and json on a loaded machine (~15-25 ms of CPU, on the cores uv needs).
The modules that own these records all import pathlib; here are their twins for this one caller, as text paths:

- `candidate_folders`: `discovery.places.candidate_folders` (the folders interpreter discovery lists);
- `write_atomic`: `infra.fs.atomic_write_bytes` of a file corral owns (the same temporary's name, fsync, mode,
  checkpoints);
- `record_created`: `services.trust.record_created` (the same lock file, store, entry and JSON text);
- `prune_due`: the first test of `services.cache_auto.prune_if_due` (which runs only when a prune is due).

tests/unit/test_replay_io.py keeps each equal to what it stands for.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AUTO_PRUNE",
    "SYSTEM_DIRS_POSIX",
    "TRUST_FILE",
    "candidate_folders",
    "prune_due",
    "record_created",
    "write_atomic",
]

SYSTEM_DIRS_POSIX = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin")  # discovery.places'
_MAC_FRAMEWORK = "/Library/Frameworks/Python.framework/Versions"
TRUST_FILE = "trust.json"  # services.trust.TRUST_FILE
AUTO_PRUNE = ("cache-pruned", 86400.0, "CORRAL_AUTO_PRUNE")  # services.cache_auto's STAMP, INTERVAL, OPT_OUT
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # infra.fs's (tempfile's alphabet)
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _pure(*parts: str) -> str:
    """`str(PurePosixPath(*parts))`: `//` and `.` parts collapsed, no trailing `/`, a leading `//` kept."""
    text = os.path.join(*parts)
    lead = "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    kept = [part for part in text.split("/") if part not in ("", ".")]
    return lead + "/".join(kept) or "."


def candidate_folders(environ: Mapping[str, str]) -> list[str]:
    """`discovery.places.candidate_folders(environ)` as text (POSIX)."""
    folders = [_pure(f) for f in environ.get("PATH", "").split(os.pathsep) if os.path.isabs(f)]
    pyenv = _pure(environ.get("PYENV_ROOT") or _pure(_home(), ".pyenv"), "versions")
    if environ.get("UV_PYTHON_INSTALL_DIR"):
        uv_pythons = _pure(environ["UV_PYTHON_INSTALL_DIR"])
    else:
        uv_pythons = _pure(environ.get("XDG_DATA_HOME") or _pure(_home(), ".local", "share"), "uv", "python")
    for root in (pyenv, uv_pythons):
        folders.append(root)
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue
        folders += [_pure(root, name, "bin") for name in names if not name.startswith(".")]
    folders += SYSTEM_DIRS_POSIX
    if sys.platform == "darwin":
        folders.append(_MAC_FRAMEWORK)
    return folders


def _home() -> str:
    """`Path.home()`: RuntimeError when the home folder cannot be told."""
    home = os.path.expanduser("~")
    if home[:1] == "~":
        msg = "Could not determine home directory."
        raise RuntimeError(msg)
    return home


def _umask() -> int:
    """`infra.fs.current_umask`: from /proc/self/status, else set and set back."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _new_file_mode(path: str) -> int:
    """`infra.fs.new_file_mode`: the mode of the regular file there, else 0666 less the umask."""
    import stat

    try:
        st = os.stat(path)
    except OSError:
        return 0o666 & ~_umask()
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else 0o666 & ~_umask()


def write_atomic(path: str, data: bytes) -> None:
    """`infra.fs.atomic_write_bytes(Path(path), data)`: through a temporary beside it, fsync'ed, then renamed.

    The temporary is `.NAME.corral-XXXXXXXX.tmp`; the mode of the file there is kept; the checkpoints
    `write:NAME:before-rename` and `:after-rename` are logged.
    """
    from corral.infra.faults import checkpoint

    folder, name = os.path.split(path)
    mode = _new_file_mode(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = _new_temp(folder, f".{name}.corral-", ".tmp")
    except OSError as err:  # name the file the caller wanted written, not a temporary one
        raise type(err)(err.errno, err.strerror, path) from err
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        checkpoint(f"write:{name}:before-rename")
        os.replace(tmp, path)
        checkpoint(f"write:{name}:after-rename")
    except BaseException as err:
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(err, OSError) and err.errno is not None:
            raise type(err)(err.errno, err.strerror, path) from err
        raise


def _new_temp(folder: str, prefix: str, suffix: str) -> tuple[int, str]:
    for _ in range(100):
        name = "".join(_TEMP_CHARS[byte % len(_TEMP_CHARS)] for byte in os.urandom(8))
        path = os.path.abspath(os.path.join(folder, f"{prefix}{name}{suffix}"))
        try:
            return os.open(path, _TEMP_FLAGS, 0o600), path
        except FileExistsError:
            continue
    import errno

    raise FileExistsError(errno.EEXIST, "no free temporary file name", folder)


def _load_trust(path: str) -> dict[str, object]:
    """`services.trust._load`: the store; empty when missing, damaged or not the user's own file."""
    from corral.cli.quick import json_loads

    empty: dict[str, object] = {"version": 2, "envs": {}, "created": {}}
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_uid != os.geteuid():
                return empty
            data = json_loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return empty
    if not isinstance(data, dict):
        return empty
    for key in ("envs", "created"):
        if not isinstance(data.get(key), dict):
            data[key] = {}
    data["version"] = 2
    return data


def record_created(data: str, env: str) -> bool:
    """`services.trust.record_created(paths, Path(env), warn=False)` with corral's data folder `data`."""
    import time

    from corral.infra.json_text import dumps_indented

    real = os.path.realpath(env)
    try:
        folder = os.stat(real)
        cfg = os.lstat(os.path.join(real, "pyvenv.cfg"))
        lock = os.path.join(data, f"{TRUST_FILE}.lock")
        os.makedirs(data, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # infra.locks.file_lock: waits as long as it takes
        try:
            store = _load_trust(os.path.join(data, TRUST_FILE))
            created = store["created"]
            assert isinstance(created, dict)  # noqa: S101 - _load_trust's
            for stale in [path for path in created if _gone(path)]:
                del created[stale]
            created[real] = {
                "folder": [folder.st_dev, folder.st_ino],
                "pyvenv_cfg": [cfg.st_dev, cfg.st_ino, cfg.st_mtime_ns, cfg.st_ctime_ns],
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            }
            write_atomic(os.path.join(data, TRUST_FILE), (dumps_indented(store) + "\n").encode("utf-8"))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _gone(real: str) -> bool:
    """`services.trust._gone`: the env was removed (its parent folder is there, it is not)."""
    return not os.path.lexists(real) and os.path.isdir(os.path.dirname(real))


def prune_due(cache: str, environ: Mapping[str, str]) -> bool:
    """Whether `services.cache_auto.prune_if_due(cache)` might start a prune (False: it would return at once)."""
    stamp, interval, opt_out = AUTO_PRUNE
    if environ.get(opt_out, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    import time

    try:
        return time.time() - os.stat(os.path.join(cache, stamp), follow_symlinks=False).st_mtime >= interval
    except FileNotFoundError:
        return True
    except OSError:
        return False
