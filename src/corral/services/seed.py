"""The pip a new env starts with: never older than the pip `corral doctor` expects for its Python.

Creators seed offline-first (uv's cache: fast, and it works without a network), but a cache can hold an old
pip (one fetched for a Python 3.7 env: 24.0; for 3.6: 21.3.1), and ensurepip bundles one (`--creator venv`).
When the seeded pip is older than `toolchain.pip_floor.newest_pip_for(python)`, the index is asked for the newest
pip the interpreter supports. Without an index the env keeps the pip it has; doctor then reports `pip-outdated` with its
fix. Legacy Pythons get the exact pip of corral's legacy table, which doctor expects: virtualenv seeds 2.7 with it;
a 3.6/3.7 env that uv seeded from its cache (which may hold only the 3.6 pip, 21.3.1) is brought to that pin.
"""

from __future__ import annotations

import re

from corral.errors import EngineError

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from corral.core.interpreter import InterpreterInfo


__all__ = ["freshen_pip", "install_seed", "seed_by_installer", "seeded_pip"]

# From Python 3.12 the seed (`uv venv --seed`, `venv`, virtualenv) is pip alone, which needs nothing else: an
# installer can add it beside the lock's files (`--no-deps`). Below, setuptools and wheel come too, and wheel
# needs packaging: those envs keep being seeded by their creator.
_PIP_ONLY_FROM = (3, 12)


def seeded_pip(env: Path) -> str | None:
    """The version of pip installed in `env`, read from its metadata (no interpreter started); None without pip."""
    from corral.core.env import Env
    from corral.services.inspection import installed_version

    return installed_version(Env.at(env).site_packages(), "pip")


def seed_by_installer(interpreter: InterpreterInfo) -> tuple[str, ...]:
    """The seed packages a sync may install beside the lock's files for `interpreter`; () when the creator seeds."""
    return ("pip",) if interpreter.version_info >= _PIP_ONLY_FROM else ()


def install_seed(
    env: Path,
    names: Sequence[str],
    *,
    environ: Mapping[str, str] | None,
    index_url: str | None,
    extra_index_urls: Sequence[str] = (),
    offline: bool = False,
) -> None:
    """Seed `env` (made without pip) the way `creators.uv` seeds: uv's cache, then the index, then ensurepip.

    Raises:
        EngineError: no cache, no index and no ensurepip could give pip.

    """
    from corral.core.env import Env
    from corral.infra.environ import indexes_in_environ, offline_environ
    from corral.infra.proc import run
    from corral.infra.uvbin import uv_binary

    python = Env.at(env).python
    cmd = [uv_binary(), "pip", "install", "--python", str(python), "--no-deps", *names, "--quiet"]
    online = [*cmd, *(["--default-index", index_url] if index_url else [])]
    for url in extra_index_urls:
        online += ["--index", url]
    for attempt in ([*cmd, "--offline"], *(() if offline else (online,))):
        argv, uv_env = indexes_in_environ(attempt, environ)  # the index URLs in uv's environment, on no command line
        if "--offline" in attempt:
            uv_env = offline_environ(uv_env)  # pip is a wheel: no build backend runs
        try:
            run(argv, env=uv_env, what="uv pip install pip")
        except EngineError:
            continue
        return
    try:
        run([str(python), "-m", "ensurepip", "--default-pip"], env=environ, what="ensurepip")
    except EngineError as err:
        msg = (
            f"could not install pip into {env}: no package index reachable and its Python has no ensurepip; "
            "connect to the index or pass --no-seed"
        )
        raise EngineError(msg, cmd=err.cmd, code=err.code, output=err.output) from err


_PLAIN_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _release(version: str) -> tuple[int, ...]:
    """`24.0` -> (24,), `21.3.1` -> (21, 3, 1): trailing zeros dropped, as PEP 440 compares releases."""
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _older(version: str, wanted: str) -> bool:
    if _PLAIN_RELEASE.fullmatch(version) and _PLAIN_RELEASE.fullmatch(wanted):  # pip's own form: no packaging import
        return _release(version) < _release(wanted)
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) < Version(wanted)
    except InvalidVersion:
        return False  # a pip we cannot read is left to doctor


def freshen_pip(
    env: Path,
    interpreter: InterpreterInfo,
    *,
    environ: Mapping[str, str] | None,
    index_url: str | None,
    extra_index_urls: Sequence[str] = (),
) -> str | None:
    """Upgrade the seeded pip from the index when it is older than doctor expects; the new version, else None."""
    if interpreter.minor < (3, 6):  # uv cannot install into Python 2.7; virtualenv seeded the table's pip
        return None
    from corral.toolchain.pip_floor import newest_pip_for

    wanted = newest_pip_for(interpreter.version_info)
    have = seeded_pip(env)
    if have is None or not _older(have, wanted):
        return None
    from corral.core.env import Env
    from corral.infra.environ import indexes_in_environ
    from corral.infra.proc import run
    from corral.infra.uvbin import uv_binary

    pip = f"pip=={wanted}" if interpreter.is_legacy else "pip"  # the last pip for that Python, exactly
    cmd = [uv_binary(), "pip", "install", "--python", str(Env.at(env).python), "--upgrade", pip, "--quiet"]
    if index_url:
        cmd += ["--default-index", index_url]
    for url in extra_index_urls:
        cmd += ["--index", url]
    # Best effort, so no retries (unless the user asks for them): without a network uv would retry for ~6 s.
    cmd, quick = indexes_in_environ(cmd, environ)  # the index URLs in uv's environment, on no command line
    quick.setdefault("UV_HTTP_RETRIES", "0")
    try:
        run(cmd, env=quick, what="uv pip install pip")
    except EngineError:
        return None  # no index reachable: the env works with the pip it has
    return seeded_pip(env)
