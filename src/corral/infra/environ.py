"""The environment variables corral's child processes get: the one place that says which are kept or set.

Each function takes the caller's environment (`base`) and returns a new dict; none reads a setting or decides
anything about a project. Stdlib only: the no-op `run` fast path uses `env_environ`.

- `isolated_environ`: interpreter probes and checks; nothing that redirects Python, pip or uv survives.
- `engine_environ`: creators and engines (uv, pip); the user's index and credential settings survive, what would
  point them at another Python does not, and uv never downloads a Python.
- `resolver_environ`: `uv lock` and `uv export` for a project lock: `engine_environ`, so every uv setting that
  changes a resolution reaches it (UV_RESOLUTION, UV_PRERELEASE, UV_EXCLUDE_NEWER, indexes, UV_FIND_LINKS,
  UV_NO_BINARY, UV_NO_BUILD, UV_CONFIG_FILE...; the lock stamp keys on every UV_* value), less `RESOLVER_IGNORED`:
  what would make uv refuse corral's temporary project or drop what the record declares from the lock.
- `pip_environ`, `piptools_environ`, `virtualenv_environ`: corral's pinned legacy tools (pip 20.3.4, pip-tools,
  virtualenv 20.21.1): isolated, with the user's config files shut out.
- `env_environ`: a command run inside an env (`corral run`, `shell`): its executables first on PATH.
- `indexes_in_environ`: uv's and pip's index flags moved into the variables that mean the same (no credential on a
  command line).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported on the lock head start's path; mypy reads this name as typing's

if TYPE_CHECKING:  # not loaded at run time: `uv lock`'s head start computes its environment before uv starts
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = [
    "RESOLVER_IGNORED",
    "TLS_ONLY",
    "anchored",
    "engine_environ",
    "env_environ",
    "indexes_in_environ",
    "isolated_environ",
    "offline_environ",
    "pip_environ",
    "piptools_environ",
    "resolver_environ",
    "virtualenv_environ",
]

_LEAKY_PREFIXES = ("PIP_", "UV_", "PYTHON")
_LEAKY_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "__PYVENV_LAUNCHER__")
# What would send a creator or an engine to another Python than the one corral chose.
_ENGINE_DROP = frozenset(
    {
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PYTHONHOME",
        "PYTHONPATH",
        "__PYVENV_LAUNCHER__",
        "UV_PYTHON",
        "UV_PROJECT_ENVIRONMENT",
    }
)
# uv's project-workflow switches a project lock does not take from the environment, each with the reason
# (the lock is a function of the record: every group, extra and source it declares; corral chooses the Python).
RESOLVER_IGNORED = {
    "UV_PYTHON": "corral chooses the interpreter (--python, .python-version, [tool.corral] python)",
    "UV_PROJECT_ENVIRONMENT": "corral chooses the env ([tool.corral] venv-dir)",
    "UV_FROZEN": "corral always resolves its own temporary project",
    "UV_LOCKED": "corral always resolves its own temporary project",
    "UV_NO_DEV": "the lock holds every group (choose at install: corral sync --no-dev)",
    "UV_NO_DEFAULT_GROUPS": "the lock holds every group (default-groups chooses at install)",
    "UV_NO_SOURCES": "[tool.uv.sources] is part of the record",
    "UV_NO_EDITABLE": "the lock records sources as the project declares them",
    "UV_PROJECT": "corral names its temporary project",
    "UV_WORKING_DIR": "uv starts in the root folder (engine_environ)",
}
# What would make a program in an env run another Python's library (PATH and VIRTUAL_ENV are set instead).
_IN_ENV_DROP = ("PYTHONHOME", "__PYVENV_LAUNCHER__", "CONDA_PREFIX")


def isolated_environ(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A copy of the environment without variables that redirect Python, pip or uv, plus `extra`.

    Interpreter probes and checks use it so that a user's `PYTHONPATH`, an active `VIRTUAL_ENV` or `PIP_*`
    settings meant for something else cannot change their answer.
    """
    src = os.environ if base is None else base
    env = {k: v for k, v in src.items() if not k.startswith(_LEAKY_PREFIXES) and k not in _LEAKY_NAMES}
    env.update(extra)
    return env


def engine_environ(base: Mapping[str, str]) -> dict[str, str]:
    """For creators and engines: `base` minus what would redirect them to another Python; no Python downloads."""
    env = {k: v for k, v in base.items() if k not in _ENGINE_DROP}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    # uv reads the uv.toml or pyproject.toml ([tool.uv]) of its working folder and of every folder above it: a
    # repository's `[pip] target = "..."` sent the env's packages anywhere the user may write (the env left empty,
    # the sync stamped). uv starts in the root, whose files only an administrator writes (corral gives uv absolute
    # paths only; the user's and the system's uv.toml still count). The resolver names its own folder.
    env["UV_WORKING_DIR"] = os.sep
    env.update(_anchored(env, os.getcwd()))
    return env


# What only tells uv whom to trust on the network. A uv command run `--offline` never connects, yet uv loads every
# certificate these name when it starts (SSL_CERT_DIR: one file per authority; measured here with the machine's
# SSL_CERT_DIR and SSL_CERT_FILE set: ~20 ms of a `uv export`'s ~60 ms, ~7 ms of a 5-package `uv pip install`'s 33).
TLS_ONLY = ("SSL_CERT_FILE", "SSL_CERT_DIR", "UV_NATIVE_TLS", "UV_SYSTEM_CERTS")


def offline_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a uv command run `--offline`: `environ` less what only serves the network (`TLS_ONLY`).

    A build backend that uv runs gets this environment too; one that connects by itself (not uv's business) may need
    them: `engines.uv` repeats a build that failed over an unverified certificate with the whole environment.
    """
    return {k: v for k, v in environ.items() if k not in TLS_ONLY}


# uv settings that hold paths (or URLs that may be paths): uv reads a relative one against its working folder,
# which is now the root, so each is made absolute against corral's, where the user meant it (the separator of a
# list, or None: one value)
_UV_PATHS: dict[str, str | None] = {
    "UV_CACHE_DIR": None,
    "UV_CONFIG_FILE": None,
    "UV_PYTHON_INSTALL_DIR": None,
    "UV_TOOL_DIR": None,
    "UV_TOOL_BIN_DIR": None,
    "UV_PYTHON_BIN_DIR": None,
    "SSL_CERT_FILE": None,
    "SSL_CERT_DIR": None,
    "UV_INDEX_URL": None,
    "UV_DEFAULT_INDEX": None,
    "UV_EXTRA_INDEX_URL": " ",
    "UV_INDEX": " ",
    "UV_FIND_LINKS": ",",
    "UV_CONSTRAINT": " ",
    "UV_BUILD_CONSTRAINT": " ",
    "UV_OVERRIDE": " ",
}


def anchored(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with its relative path settings made absolute against the working folder, as `engine_environ` gives uv."""
    return {**env, **_anchored(env, os.getcwd())}


def _anchored(env: Mapping[str, str], cwd: str) -> dict[str, str]:
    """The `_UV_PATHS` values of `env` holding a relative path, with that path made absolute against `cwd`."""
    changed = {}
    for name, separator in _UV_PATHS.items():
        value = env.get(name)
        if not value:
            continue
        parts = value.split(separator) if separator else [value]
        anchored = [_anchor(part, cwd, named=name == "UV_INDEX") for part in parts]
        if anchored != parts:
            changed[name] = (separator or "").join(anchored)
    return changed


def _anchor(part: str, cwd: str, *, named: bool) -> str:
    label, sep, where = part.partition("=") if named and "=" in part else ("", "", part)
    text = where.strip()
    if not text or os.path.isabs(text) or "://" in text or text.startswith("~") or text[:5].lower() == "file:":
        return part
    return f"{label}{sep}{os.path.join(cwd, text)}"


def resolver_environ(base: Mapping[str, str]) -> dict[str, str]:
    """For uv resolving a project lock: `engine_environ` of `base` less the user's `RESOLVER_IGNORED` values."""
    return engine_environ({k: v for k, v in base.items() if k not in RESOLVER_IGNORED})


def pip_environ(base: Mapping[str, str]) -> dict[str, str]:
    """For a pinned pip of corral's own: isolated, no config file, no prompt, no version check."""
    return isolated_environ(base, PIP_CONFIG_FILE=os.devnull, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")


def piptools_environ(base: Mapping[str, str]) -> dict[str, str]:
    """For pip 20.3.4 and pip-tools in the toolchain: `pip_environ`, no bytecode, UTF-8 output.

    Indexes are passed explicitly (corral's own index settings), as uv is given them; a certificate bundle the
    user points pip at (`PIP_CERT`) is kept, as it only says whom to trust.
    """
    env = pip_environ(base)
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    cert = base.get("PIP_CERT")
    if cert:
        env["PIP_CERT"] = cert
    return env


def virtualenv_environ(base: Mapping[str, str]) -> dict[str, str]:
    """For virtualenv 20.21.1: `pip_environ` without VIRTUALENV_* settings, and its config file shut out."""
    env = {k: v for k, v in pip_environ(base).items() if not k.startswith("VIRTUALENV_")}
    env["VIRTUALENV_CONFIG_FILE"] = os.devnull
    return env


def env_environ(env: Path, base: Mapping[str, str], *, extra_bins: Sequence[Path] = ()) -> dict[str, str]:
    """`base` with the env's executables (then `extra_bins`) first on PATH, VIRTUAL_ENV set, PYTHONHOME unset."""
    from corral.core.env import Env  # pathlib: loaded only here

    bin_dir = Env.at(env).bin_dir
    environ = {k: v for k, v in base.items() if k not in _IN_ENV_DROP}
    old_path = environ.get("PATH", os.defpath)
    front = [str(bin_dir), *(str(b) for b in extra_bins)]
    environ["PATH"] = os.pathsep.join([*front, *(p for p in old_path.split(os.pathsep) if p and p not in front)])
    environ["VIRTUAL_ENV"] = str(env)
    return environ


# corral's index flags for uv and pip, and the variable each reads as the same setting (with a list's separator).
# uv (clap) reads a variable only when its flag is absent, so the flags' values in the variables (the caller's own
# values replaced) are the very settings the flags were, above uv's configuration files as before. pip's
# `--extra-index-url` adds to what its variable (or else a configuration file) says: there the values are added to
# the variable (corral's pips read no configuration file: `pip_environ`).
_INDEX_FLAGS: dict[str, dict[str, tuple[str, str | None]]] = {
    "uv": {
        "--index-url": ("UV_INDEX_URL", None),
        "--extra-index-url": ("UV_EXTRA_INDEX_URL", " "),
        "--default-index": ("UV_DEFAULT_INDEX", None),
        "--index": ("UV_INDEX", " "),
    },
    "pip": {"--index-url": ("PIP_INDEX_URL", None), "--extra-index-url": ("PIP_EXTRA_INDEX_URL", " ")},
}


def indexes_in_environ(
    argv: Sequence[str | Path], environ: Mapping[str, str] | None, *, tool: str = "uv"
) -> tuple[list[str], dict[str, str]]:
    """`argv` without its index flags, and `environ` (None: ours) with their values in the variables meaning the same.

    An index URL may hold a credential (`https://__token__:SECRET@host/simple`): every local user may read a
    process's command line (/proc/PID/cmdline), only its owner its environment. `tool`: "uv" or "pip".
    """
    flags = _INDEX_FLAGS[tool]
    env = dict(os.environ if environ is None else environ)
    rest: list[str] = []
    given: dict[str, list[str]] = {}
    args = [str(a) for a in argv]
    at = 0
    while at < len(args):
        if args[at] in flags and at + 1 < len(args):
            given.setdefault(args[at], []).append(args[at + 1])
            at += 2
        else:
            rest.append(args[at])
            at += 1
    for flag, values in given.items():
        name, separator = flags[flag]
        if separator is None:
            env[name] = values[-1]
        else:
            kept = [env[name]] if tool == "pip" and env.get(name) else []
            env[name] = separator.join([*kept, *values])
    return rest, env
