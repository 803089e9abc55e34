"""`corral run SCRIPT.py [ARGS...]` of a PEP 723 script whose cached env is ready, answered before argparse loads.

`cli.quick` hands over the plain command line only: `run`, then a script path ending in `.py` (no corral option
before it, none of `--with`, `--python`, `--locked`: everything after the script is the script's). The answer is
`cli.run_cmd.fast_path`'s for that line (`services.scripts.fast_script_env`, then `_exec`), taken with the stdlib
and corral's start-up-light modules only (no argparse, pathlib, re, json or hashlib: ~20 ms of a warm script run):

- the script's block, read as `find_block` reads it (`core.script_meta`, PEP 723's expression as a line scanner);
- its lock `pylock.<stem>.toml` beside it (`services.scripts.script_lock_path`; a stem with other characters than
  letters, digits, `_` and `-` inside, whose lock name carries a hash, goes the full way), its bytes when it records
  its inputs (a link, one over the cap, one without `inputs-hash` or unreadable: the full way, which judges it);
- the interpreter request `CORRAL_PYTHON` makes, where no file can state one or an index (`infra.script_request`:
  the user config, the project's pyproject.toml, a `.python-version`; else the full way, which reads them), and the
  other settings' variables checked as the full path checks them (`CORRAL_SEED=maybe` fails there);
- the env's key (`core.script_key`'s parts as `infra.json_text` spells them, SHA-256 without OpenSSL) and its
  folder in corral's cache, ready when its ready mark and python are there; the mark's mtime bumped
  (`services.scripts.mark_used`);
- exec of the env's python with the script's absolute path (`Path.absolute()`'s spelling: a path that `normpath`
  would change goes the full way) and the environment `infra.environ.env_environ` gives (`cli.quick.in_env_environ`).

Anything else, any doubt, and any error returns None: the full path decides as before (it builds a missing env,
re-locks a stale lock and says so, refuses a linked lock, reports a broken env). POSIX only: Windows runs a child.
"""

from __future__ import annotations

import os
import sys

from corral.cli.quick import corral_dirs, in_env_environ, which
from corral.core.script_key import LOCK_LIMIT, READY_FILE, inputs_text, key_parts
from corral.core.script_meta import find_block
from corral.infra.json_text import dumps
from corral.infra.script_request import environ_only_request, remembered, remembered_settings
from corral.infra.sha256 import hexdigest
from corral.infra.uv_config import digests

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Literal

__all__ = ["answer"]

_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_XDG = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


def answer(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """Exec the script in its ready env (no return); None: the full path answers. `argv`: SCRIPT.py [ARGS...]."""
    script = _script_path(argv[0])
    if script is None or os.name != "posix":
        return None
    env = _ready_env(script, environ)
    if env is None or not os.path.isfile(os.path.join(env, "pyvenv.cfg")):
        return None
    child = in_env_environ(env, environ)
    program = which("python", child["PATH"])
    if program != os.path.join(env, "bin", "python"):
        return None  # not the env's own (one that cannot run): never another python on PATH (the full path judges)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, ["python", script, *argv[1:]], child)  # noqa: S606 - argv list, no shell
    except OSError:
        return None
    return None  # unreachable: execve does not return


def _script_path(given: str) -> str | None:
    """The script's absolute path as `Path(given).absolute()` spells it; None: not a plain path to a `.py` file."""
    if not given.endswith(".py") or given.startswith(("-", "//")) or os.path.normpath(given) != given:
        return None
    if not os.path.isfile(given):
        return None
    return given if os.path.isabs(given) else os.path.join(os.getcwd(), given)


def _ready_env(script: str, environ: Mapping[str, str]) -> str | None:
    """The script's env when it is ready (`services.scripts.fast_script_env`), its use noted; None: the full path."""
    with open(script, encoding="utf-8") as handle:  # universal newlines, as Path.read_text
        block = find_block(handle.read())  # two blocks: ConfigError, which sends the command the full way
    if block is None:
        return None  # no block: the project's env runs it (the full path)
    lock = _lock_bytes(script)
    if lock is False:
        return None
    dirs = _dirs(environ)
    if dirs is None:
        return None
    cache, config = dirs
    request = environ_only_request(
        environ,
        os.getcwd(),
        os.path.join(config, "config.toml"),
        _Remembered(cache, _states_no_request),
        _Remembered(cache, _config_states_no_request),
        lambda settings: remembered_settings(cache, settings, _settings_valid),
    )
    if request is None:
        return None  # a file may state the interpreter or an index: `services.scripts.env_request` reads it
    inputs = inputs_text(block.toml, None if lock is None else hexdigest(lock))
    parts = key_parts(inputs, python=request, environ=environ, uv_config=digests(environ))
    key = hexdigest(dumps(parts, sort_keys=True).encode())
    env = os.path.join(cache, "envs", f"script-{key[:20]}")
    ready = os.path.join(env, READY_FILE)
    if not os.path.isfile(ready) or not os.path.exists(os.path.join(env, "bin", "python")):
        return None
    try:  # noqa: SIM105 - contextlib is not loaded on this path
        os.utime(ready)  # services.scripts.mark_used: `corral envs gc` reads the last use from it
    except OSError:
        pass
    return env


def _lock_bytes(script: str) -> bytes | Literal[False] | None:
    """The script lock's bytes, None when there is none; False: the full path judges it (`_fast_lock_bytes`)."""
    folder, name = os.path.split(script)
    stem = name[: -len(".py")]
    if not stem or stem[0] == "-" or stem[-1] == "-" or not _NAME_CHARACTERS.issuperset(stem):
        return False  # its lock's name carries a hash of the file name (services.scripts.script_lock_path)
    lock = os.path.join(folder, f"pylock.{stem}.toml")
    if os.path.islink(lock):
        return False
    if not os.path.isfile(lock):
        return None
    if os.stat(lock).st_size > LOCK_LIMIT:
        return False
    with open(lock, "rb") as handle:
        data = handle.read()
    return data if b"\ninputs-hash = " in data else False


def _dirs(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The cache and config folders `infra.paths.CorralPaths` gives corral, or None where only it can tell."""
    relative = any(environ.get(name, "/")[:1] not in ("/", "") for name in _XDG)
    if not environ.get("CORRAL_HOME") and (sys.platform != "linux" or relative):
        return None  # platformdirs decides off Linux; `infra.paths.xdg_dirs` leaves a relative XDG folder to it
    found = corral_dirs(environ)
    if found is None or found[1] != os.path.normpath(found[1]) or found[1].startswith("//"):
        return None  # Path's spelling of it (a doubled or trailing separator, `..`) is not this one
    return found[1], found[2]


class _Remembered:
    """A check of a project's pyproject.toml or of the user config (`services.script_project`), remembered.

    Corral's cache remembers a file that was fine as it is now (`infra.script_request.remembered`).
    """

    __slots__ = ("cache", "check")

    def __init__(self, cache: str, check: Callable[[str], bool]) -> None:
        self.cache, self.check = cache, check

    def __call__(self, path: str) -> bool:
        return remembered(self.cache, path, self.check)


def _states_no_request(pyproject: str) -> bool:
    from corral.services.script_project import states_no_request

    return states_no_request(pyproject)


def _settings_valid(settings: dict[str, str]) -> bool:
    from corral.services.script_project import settings_valid

    return settings_valid(settings)


def _config_states_no_request(config_file: str) -> bool:
    from corral.services.script_project import config_states_no_request

    return config_states_no_request(config_file)
