"""A script env's interpreter request when no file can state one: the quick paths' half of its key.

A cached script, `--with` or tool env's key holds, besides what it is made of, what chooses its interpreter and
index (`core.script_key.key_parts`): the interpreter the user asks for (`--python`, the `python` setting from
`CORRAL_PYTHON`, the project's `[tool.corral]` or the user config, else the nearest `.python-version`) and the
index settings a file states. `services.scripts.env_request` reads them from every source. The quick paths
(`cli.script_quick`, `services.scripts.fast_script_env`) load no TOML: `environ_only_request` gives the same
request only where it can prove no file states any of them, and None (the full path decides) wherever a file might:
a user config file or the project's pyproject.toml holding a word such a setting needs (`python`, `index`,
`corral`) or a TOML unicode escape (a quoted key may spell any letter as one), a pyproject.toml that is not a
regular file, a file that is not a small regular file. The nearest `.python-version` at or above the project (or
the working folder, outside a project) is read as the full path reads it (`services.python.read_python_version`,
through `infra.safe_read`); one it cannot read, or that names a relative path, goes the full way too. The settings'
variables whose value is not in the key (`CHECKED_VARS`: `CORRAL_SEED`, `CORRAL_ENGINE`, ...) are checked as the full
path checks them, which fails on a bad one (`remembered_settings` keeps a True). A wrong None costs the full path's
time, never a wrong env.
"""

from __future__ import annotations

import os
import stat
import sys

from corral.core.script_key import PATH_ENV_VARS

TYPE_CHECKING = False  # typing is not imported on `corral run script.py`'s quick path
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "CHECKED_VARS",
    "PROJECTS_FOLDER",
    "checked_settings",
    "environ_only_request",
    "relative_index",
    "relative_path",
    "remembered",
    "remembered_settings",
]

_LIMIT = 1 << 20  # more than any config file or pyproject.toml holds: a bigger one is left to the full path
_PIN_BYTES = 64 * 1024  # services.python._PIN_BYTES (a test keeps the two equal)
_ESCAPES = (b"\\u", b"\\U")  # a TOML key or value may spell any word with these
_USER_WORDS = (b"python", b"index", *_ESCAPES)  # the user config's `python`, `index-url`, `extra-index-urls`
_PROJECT_WORDS = (b"corral", *_ESCAPES)  # the project states settings only in `[tool.corral]`
PROJECTS_FOLDER = "script-projects"  # in corral's cache: `remembered`'s records
_FINE_NS = 50_000_000  # cli.quick.settle_margin: five ticks of a nanosecond clock
_COARSE_NS = 2_000_000_000  # a file system that rounds times to the second
# The settings' variables (`services.config.SETTINGS`' `env_var`s) whose value is not in the env's key: the full path
# checks them (`Settings.validate`) and fails on a bad one, so a quick path must too. CORRAL_PYTHON and the index
# variables are in the key (`core.script_key.KEY_ENV_VARS`): a value the full path refuses never built an env.
# tests/unit/test_script_request.py keeps the three sets together equal to the settings' variables.
CHECKED_VARS = (
    "CORRAL_CREATOR",
    "CORRAL_ENGINE",
    "CORRAL_VENV_DIR",
    "CORRAL_SEED",
    "CORRAL_SYSTEM_SITE_PACKAGES",
    "CORRAL_PROMPT",
    "CORRAL_DEFAULT_GROUPS",
    "CORRAL_LEGACY_NOTICE",
    "CORRAL_NAME_CHECK",
)


def environ_only_request(
    environ: Mapping[str, str],
    cwd: str,
    config_file: str,
    project_check: Callable[[str], bool] | None = None,
    config_check: Callable[[str], bool] | None = None,
    settings_check: Callable[[dict[str, str]], bool] | None = None,
) -> str | None:
    """`CORRAL_PYTHON`'s value, or "" when it is unset, where no file can state a request or an index; else None.

    `cwd`: the working folder (absolute); `config_file`: the user config file's path. `project_check` and
    `config_check`: asked about the project's pyproject.toml and the user config, when there is one, instead of
    looking for the words (`services.script_project`: each parses the file and checks it as the full path would);
    True when it is valid and states no request and no index. `settings_check`: asked about the `CHECKED_VARS` that
    are set (`checked_settings`) when any is; True when the full path accepts each. Without it, any of them set goes
    the full way.
    """
    if not _environ_plain(environ, settings_check):
        return None
    python = environ.get("CORRAL_PYTHON")
    if not _plain(config_file, config_check, _USER_WORDS):
        return None
    folder, project = os.path.normpath(cwd), None
    while True:
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.lexists(pyproject):
            if not _regular(pyproject):
                return None  # a link, a folder, a fifo: whether it is the project is the full path's to say
            if not _plain(pyproject, project_check, _PROJECT_WORDS):
                return None  # the nearest pyproject.toml is the project's: its settings rank above the user's
            project = folder
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    if python is not None:
        return python
    return _pinned(project or os.path.normpath(cwd))


def _environ_plain(environ: Mapping[str, str], settings_check: Callable[[dict[str, str]], bool] | None) -> bool:
    """The environment's settings are the full path's to take as they are (see `environ_only_request`)."""
    settings = checked_settings(environ)
    if settings and (settings_check is None or not settings_check(settings)):
        return False  # a bad value fails the full path (exit 2): it must not run here
    python = environ.get("CORRAL_PYTHON")
    if python is not None and (not python.strip() or relative_path(python)):
        return False  # a blank setting is the full path's error; a relative path, the full path's to make absolute
    # an index or find-links folder named from the working folder: the full path names it whole
    return not any(relative_index(environ[name]) for name in PATH_ENV_VARS if name in environ)


def _plain(path: str, check: Callable[[str], bool] | None, words: tuple[bytes, ...]) -> bool:
    """`path` (absent, or a regular file) states no request and no index.

    `check` says so, else none of `words` is in it. A link, a fifo or a folder is the full path's to read (it names
    what is wrong).
    """
    if check is None:
        return not _may_state(path, words)
    return not os.path.lexists(path) or (_regular(path) and check(path))


def _pinned(start: str) -> str | None:
    """The request of the nearest `.python-version` at or above `start` ("" when there is none).

    As `services.python.read_python_version` reads it; None when one cannot be read here or names a relative path
    (the full path says what is wrong, or makes the path absolute).
    """
    from corral.infra.safe_read import read_small

    folder = start
    while True:
        pin = os.path.join(folder, ".python-version")
        if os.path.lexists(pin):
            try:
                data = read_small(pin, limit=_PIN_BYTES, what=".python-version", inside=folder)
            except OSError:
                return None  # the full path names what is wrong with it
            for line in data.decode("utf-8", errors="replace").splitlines():
                text = line.split("#", 1)[0].strip()
                if text:
                    return None if relative_path(text) else text
        parent = os.path.dirname(folder)
        if parent == folder:
            return ""
        folder = parent


def checked_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The `CHECKED_VARS` that are set, with their values."""
    return {name: environ[name] for name in CHECKED_VARS if name in environ}


def relative_path(request: str) -> bool:
    """True when an interpreter request names a file by a relative path (`./py`, `../bin/python`, `venv/bin/python`)."""
    looks_like_path = "/" in request or "\\" in request or request.startswith((".", "~"))
    return looks_like_path and not os.path.isabs(request)


def relative_index(value: str) -> bool:
    """True when an index or find-links setting (one or more, space-separated) names a folder by a relative path."""
    return any("://" not in item and not os.path.isabs(item) for item in value.split())


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _may_state(path: str, words: tuple[bytes, ...]) -> bool:
    """False when `path` is absent, or a small regular file holding none of `words`; True when it might state one."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    if not stat.S_ISREG(info.st_mode) or info.st_size > _LIMIT:
        return True  # a link, a fifo, a folder, a huge file: the full path reads it (and names what is wrong)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_LIMIT + 1)
    except OSError:
        return True
    return any(word in data for word in words)


def remembered(cache: str, pyproject: str, check: Callable[[str], bool]) -> bool:
    """`check(pyproject)`, remembered while the file is what it was when `check` said True.

    `pyproject`: a project's pyproject.toml or the user config. `check` (`services.script_project`) parses the file
    and imports what the quick path spares (pathlib, the settings, ~35 ms). Its True is recorded in corral's cache
    (`script-projects/<64-bit FNV-1a of the path>.txt`: corral's and Python's versions, as a check's answer may depend
    on Python's Unicode tables (a prompt's letters); the path and the file's device, inode, size, mtime and ctime,
    which no process can set back), once the file had settled as it was checked; a later run whose stat is the
    recorded one needs no parse. A False is not recorded (the full path reads the file anyway).
    """
    import time

    from corral import __version__

    try:
        pyproject.encode("utf-8")  # a name that is no UTF-8: the full path refuses it (corral records UTF-8)
        st = os.stat(pyproject)
    except (OSError, UnicodeError):
        return False
    text = (
        f"{__version__} {sys.version}\n{pyproject}\n"
        f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}\n"
    )
    from corral.infra.fnv import path_hash

    record = os.path.join(cache, PROJECTS_FOLDER, f"{path_hash(pyproject)}.txt")
    margin = _FINE_NS if os.name == "posix" and st.st_ctime_ns % 1_000_000 else _COARSE_NS
    settled = time.time_ns() > st.st_ctime_ns + margin  # before the check read it: its stat shows any later write
    return _recalled(record, text, lambda: check(pyproject), keep=settled)


def remembered_settings(cache: str, settings: dict[str, str], check: Callable[[dict[str, str]], bool]) -> bool:
    """`check(settings)` (`checked_settings`' answer), its True remembered in corral's cache.

    `check` (`services.script_project.settings_valid`) imports the settings (~35 ms), which a user who exports
    `CORRAL_SEED=0` would pay on every script run. The record (`script-projects/settings-<64-bit FNV-1a>.txt`) holds
    corral's and Python's versions and the SHA-256 of `NAME=value` NUL-terminated (no variable holds a NUL), not the
    values. A False is not recorded.
    """
    from corral import __version__
    from corral.infra.fnv import path_hash
    from corral.infra.sha256 import hexdigest

    joined = "".join(f"{name}={value}\0" for name, value in sorted(settings.items()))
    try:
        data = joined.encode("utf-8")
    except UnicodeError:
        return False  # a value that is no UTF-8 (a surrogate escape): the full path judges it
    text = f"{__version__} {sys.version}\nsettings\n{hexdigest(data)}\n"
    record = os.path.join(cache, PROJECTS_FOLDER, f"settings-{path_hash(joined)}.txt")
    return _recalled(record, text, lambda: check(settings), keep=True)


def _recalled(record: str, text: str, check: Callable[[], bool], *, keep: bool) -> bool:
    """True when `record` holds `text`, else `check()`, whose True is recorded when `keep`."""
    if _own_record(record) == text:
        return True
    if not check():
        return False
    if keep:
        _write_record(record, text)
    return True


def _own_record(path: str) -> str | None:
    """The text of a record this user wrote (a regular file no one else may write), else None."""
    from corral.infra.safe_read import read_small

    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022 or info.st_uid != getattr(os, "getuid", lambda: 0)():
            return None
        return read_small(path, limit=1 << 16, what="record", follow=False).decode("utf-8", "replace")
    except OSError:
        return None


def _write_record(path: str, text: str) -> None:
    import contextlib
    from pathlib import Path

    from corral.infra.fs import atomic_write_text

    with contextlib.suppress(OSError, UnicodeError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_text(Path(path), text)
