"""Throwaway envs for PEP 723 scripts: built once per distinct block, cached, reused instantly.

The cache key is a hash of the script's metadata block, the interpreter request (`--python`, the `python`
setting, a `.python-version`: `env_request`) and the index settings (the environment's and those a file states),
so editing the block, asking for another Python or moving to another index gives a new env, and a warm re-run
needs only the stdlib (`ready_env`, with `infra.script_request` where no file states a setting) before exec'ing
the env's Python. The interpreter is the one the user asks for, else the newest the block's requires-python
admits; a `--python` or `CORRAL_PYTHON` the block does not admit is refused, a file's request passed over
(`script_interpreter`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from corral.core.env import Env
from corral.core.script_key import LOCK_LIMIT, READY_FILE, inputs_text, key_parts
from corral.core.script_meta import find_block
from corral.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.services.context import Context

__all__ = [
    "ScriptEnv",
    "anchor_requirement",
    "declares_metadata",
    "ensure_script_env",
    "env_for_block",
    "env_request",
    "fast_script_env",
    "lock_problem",
    "mark_used",
    "ready_env",
    "refuse_damaged_lock",
    "refuse_linked_lock",
    "script_key",
    "script_lock",
    "script_lock_is_fresh",
    "script_lock_path",
    "script_metadata",
    "script_source",
    "shown_script",
    "validate_metadata",
]


class ScriptEnv:
    """A cached env for one set of inputs (a plain class: no dataclasses import on the warm path)."""

    __slots__ = ("created", "key", "path", "relocked")

    def __init__(self, *, path: Path, key: str, created: bool) -> None:
        self.path = path
        self.key = key
        self.created = created
        self.relocked: Path | None = None  # the script lock made again first (it was stale), for the user to hear


def script_key(
    block_toml: str,
    *,
    python: str | None,
    environ: Mapping[str, str],
    kind: str = "script",
    file_index: Sequence[str] = (),
) -> str:
    """Hash of everything that decides the env's contents (stdlib only): `core.script_key.key_parts`'s.

    The environment's relative paths (an index folder) count as the absolute ones uv is given; uv's own config
    files by their digests.
    """
    from corral.infra.environ import anchored
    from corral.infra.json_text import dumps
    from corral.infra.uv_config import digests

    parts = key_parts(
        block_toml,
        python=python,
        environ=anchored(environ),
        kind=kind,
        file_index=file_index,
        uv_config=digests(environ),
    )
    return hashlib.sha256(dumps(parts, sort_keys=True).encode()).hexdigest()


def env_request(ctx: Context, python: str | None) -> tuple[str, list[str]]:
    """(the interpreter the user asks for, the index settings a file states) for a throwaway env's key.

    The request: `python` (`--python`), else the `python` setting (CORRAL_PYTHON, the project's `[tool.corral]`,
    the user config), else the nearest `.python-version` (above the project, or the working folder), else "" (the
    block's requires-python chooses, then the newest). The index: `index_args` when the project or the user config
    states the setting (the environment's are part of the key anyway).
    """
    from corral.infra.script_request import relative_path
    from corral.services.python import read_python_version

    request, folder = python or "", ctx.cwd
    if not request:
        setting = ctx.settings.get("python")
        if setting.value:
            request = str(setting.value)
            folder = ctx.project.root if setting.from_project and ctx.project else ctx.cwd
        else:
            pinned = read_python_version(ctx.project.root if ctx.project else ctx.cwd)
            request, folder = (pinned[0], pinned[1].parent) if pinned is not None else ("", ctx.cwd)
    if relative_path(request):  # `./py` here is another interpreter than `./py` in another folder
        request = os.path.abspath(os.path.join(folder, os.path.expanduser(request)))
    sources = [ctx.settings.get(name).source for name in ("index-url", "extra-index-urls")]
    from_files = any(s not in ("default", "command line") and not s.startswith("env ") for s in sources)
    return request, index_args(ctx) if from_files else []


def _cache_root(environ: Mapping[str, str]) -> Path:
    from corral.infra.paths import CorralPaths

    return CorralPaths.from_environment(dict(environ)).cache / "envs"


def env_dir(environ: Mapping[str, str], kind: str, key: str) -> Path:
    """Where the cached env for `key` lives."""
    return _cache_root(environ) / f"{kind}-{key[:20]}"


def ready_env(environ: Mapping[str, str], kind: str, key: str) -> Path | None:
    """The env for `key` when it is complete (its ready file is written last), else None."""
    path = env_dir(environ, kind, key)
    python = Env.at(path).python
    if (path / READY_FILE).is_file() and python.exists():
        return path
    return None


def script_metadata(script: Path) -> tuple[str, dict[str, Any]]:
    """The script's block text and parsed table ({} when it has no block)."""
    block = find_block(script_source(script), filename=str(script))
    if block is None:
        return "", {}
    from corral.infra.toml_file import parse_toml

    data = parse_toml(block.toml, origin=f"{script} (# /// script block)")
    deps = data.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        msg = f"{script}: `dependencies` in the script block must be a list of strings"
        raise ConfigError(msg)
    return block.toml, data


def script_source(script: Path) -> str:
    """The script's text as Python reads it: UTF-8, else the encoding its coding line declares (PEP 263).

    Line ends as `Path.read_text` gives them (CRLF and CR read as LF). A script Python could not read either is one
    error naming the first byte that is not UTF-8.
    """
    try:
        data = script.read_bytes()
    except OSError as err:
        msg = f"cannot read {script}: {err.strerror}"
        raise UsageError(msg) from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        import io
        import tokenize

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            msg = (
                f"{script}: byte {err.start} is not UTF-8 and no coding line says what the file is; "
                "save it as UTF-8 (or declare its encoding, PEP 263)"
            )
            raise ConfigError(msg) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def mark_used(env: Path) -> None:
    """Note a use of a cached env for `corral envs gc` (an mtime bump: no database write on the hot path)."""
    try:
        os.utime(env / READY_FILE)
    except OSError:
        return


def ensure_env(
    ctx: Context,
    *,
    kind: str,
    key: str,
    requirements: list[str],
    python: str | None,
    requires_python: str | None = None,
    overlay_of: Path | None = None,
    lock: Path | None = None,
) -> ScriptEnv:
    """Build (once) the cached env for `key` with `requirements` (or exactly `lock`) installed; reuse it when ready."""
    ready = ready_env(ctx.environ, kind, key)
    if ready is not None:
        mark_used(ready)
        return ScriptEnv(path=ready, key=key, created=False)
    from corral.infra.locks import file_lock

    target = env_dir(ctx.environ, kind, key)
    with file_lock(target.with_name(target.name + ".lock")):
        ready = ready_env(ctx.environ, kind, key)
        if ready is not None:
            return ScriptEnv(path=ready, key=key, created=False)
        if target.exists():
            from corral.infra.rmtree import remove_tree

            remove_tree(target)  # an interrupted build: ours (inside corral's cache), never finished
        _build(
            ctx,
            target,
            kind=kind,
            requirements=requirements,
            python=python,
            requires_python=requires_python,
            overlay_of=overlay_of,
            lock=lock,
        )
        record = {"kind": kind, "key": key, "requirements": requirements, "python": python}
        from corral.infra.fs import atomic_write_text

        atomic_write_text(target / READY_FILE, json.dumps(record, indent=2) + "\n")
    return ScriptEnv(path=target, key=key, created=True)


def _build(
    ctx: Context,
    target: Path,
    *,
    kind: str,
    requirements: list[str],
    python: str | None,
    requires_python: str | None,
    overlay_of: Path | None,
    lock: Path | None,
) -> None:
    from corral.services.create import create_env

    chosen = str(script_interpreter(ctx, python, requires_python).path)
    inventory_kind = "script" if kind == "script" else "tool"  # `--with` layers are cached tools, for gc
    try:
        create_env(ctx, target, python=chosen, seed=False, system_site_packages=False, prompt=None, kind=inventory_kind)
        if overlay_of is not None:
            _link_overlay(target, overlay_of)
        if lock is not None:
            from corral.services.sync.apply import apply_lock

            apply_lock(ctx, target, lock, install_project=False)
        elif requirements:
            install_requirements(ctx, target, requirements)
    except BaseException:
        from corral.infra.rmtree import remove_tree

        remove_tree(target, ignore_errors=True)
        raise


def script_interpreter(ctx: Context, python: str | None, requires_python: str | None) -> InterpreterInfo:
    """A throwaway env's interpreter: the one the user asks for (`env_request`), else the newest requires-python admits.

    `python`: the caller's `--python`. A request `requires_python` does not admit is refused when the user made it
    for this command (`--python`, `CORRAL_PYTHON`: ConfigError naming both, as a project's is); one a file makes (a
    project's `.python-version` or `[tool.corral] python`, the user config) is passed over for the newest Python
    `requires_python` admits: the script says it cannot run there, and the file was written for something else.
    """
    request, _ = env_request(ctx, python)
    if not request:
        return ctx.finder.find(requires_python) if requires_python else ctx.finder.default()
    from corral.services.python import choose_interpreter

    found, source = choose_interpreter(ctx, python)
    if requires_python:
        from packaging.specifiers import SpecifierSet

        if not SpecifierSet(requires_python).contains(found.version, prereleases=True):
            if source != "--python" and not source.startswith("env "):
                return ctx.finder.find(requires_python)
            msg = (
                f"{source} asks for {request!r}, which is Python {found.version} ({found.path}); the script's "
                f"requires-python {requires_python!r} does not admit it: ask for a Python it admits (`--python`)"
            )
            raise ConfigError(msg)
    return found


def _link_overlay(target: Path, base_env: Path) -> None:
    """Make the base env's packages importable behind the overlay's own (a .pth file, like uv's layering)."""
    mine = Env.at(target).site_packages()
    theirs = Env.at(base_env).site_packages()
    if mine and theirs:
        (mine[0] / "_corral_overlay.pth").write_text("".join(f"{p}\n" for p in theirs), encoding="utf-8")


def index_args(ctx: Context) -> list[str]:
    """uv/pip index flags from corral's settings (environment variables are read by uv/pip themselves).

    They go to uv through its environment (`infra.environ.indexes_in_environ`): a credential on no command line.
    """
    args: list[str] = []
    index = ctx.settings.value("index-url")
    if index:
        args += ["--index-url", str(index)]
    for extra in ctx.settings.value("extra-index-urls") or []:
        args += ["--extra-index-url", str(extra)]
    return args


# `name[extras] @ where rest`: a direct reference (PEP 508), `where` a URL or a path
_DIRECT = re.compile(r"(\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\]\s*)?@\s*)(\S+)(.*)", re.DOTALL)


def anchor_requirement(requirement: str, base: str) -> str:
    """`requirement` with a relative path in it (`./pkg`, `six @ ../six.whl`) made absolute against `base`.

    uv starts in the root (`infra.environ.engine_environ`): a relative path there meant `/../six.whl`. URLs, absolute
    paths, `~` and names are left as they are.
    """
    direct = _DIRECT.fullmatch(requirement)
    head, where, tail = direct.groups() if direct else ("", requirement.strip(), "")
    if not direct and not where.startswith((".", "/")) and os.sep not in where:
        return requirement  # a name and its specifiers
    if not where or "://" in where or where.lower().startswith("file:") or where.startswith(("/", "~")):
        return requirement
    return f"{head}{os.path.normpath(os.path.join(base, where))}{tail}"


def install_requirements(ctx: Context, env: Path, requirements: list[str]) -> None:
    """Resolve and install `requirements` into a throwaway env with uv (resolution on: nothing is locked here)."""
    from corral.errors import EngineError
    from corral.infra.environ import engine_environ, indexes_in_environ
    from corral.infra.proc import run
    from corral.infra.uvbin import uv_binary

    python = Env.at(env).python
    anchored = [anchor_requirement(r, str(ctx.cwd)) for r in requirements]
    cmd, environ = indexes_in_environ(
        [uv_binary(), "pip", "install", "--quiet", "--python", str(python), *index_args(ctx)],
        engine_environ(ctx.environ),
    )
    try:
        run([*cmd, *anchored], env=environ, what="uv pip install")
    except EngineError as err:
        msg = f"could not install {', '.join(requirements)}: {err}"
        raise EngineError(msg, cmd=err.cmd, code=err.code, output=err.output) from err


def script_lock_path(script: Path) -> Path:
    """`pylock.<name>.toml` beside the script, `<name>` its file name without `.py`.

    PEP 751's name holds no dot: a name with other characters than letters, digits, `_` and `-` has each run of
    them replaced by `-` and a short hash of the file name appended, so `a.b.py` and `a-b.py` never share a lock.
    """
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", script.stem).strip("-") or "script"
    if name != script.stem:
        digest = hashlib.sha256(script.name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        name = f"{name}-{digest}"
    return script.with_name(f"pylock.{name}.toml")


def script_lock(script: Path) -> Path | None:
    """The script's own lock, when `corral lock --script` wrote one (a link is refused: `refuse_linked_lock`)."""
    path = script_lock_path(script)
    refuse_linked_lock(path)
    return path if path.is_file() else None


def refuse_linked_lock(path: Path) -> None:
    """SafetyRefusal when the script lock at `path` is a symbolic link: corral writes its own file, never through one.

    A repository could link `pylock.a.toml` to `a.py` itself (writing the lock would replace the script) or to a
    file another script owns.
    """
    if path.is_symlink():
        from corral.errors import SafetyRefusal

        msg = f"{path} is a symbolic link; a script's lock is a file of its own: remove the link and lock again"
        raise SafetyRefusal(msg)


def _script_inputs(block: str, lock_bytes: bytes | None) -> str:
    """What the env depends on: the block, plus the bytes of the lock it is made from when there is one."""
    return inputs_text(block, None if lock_bytes is None else hashlib.sha256(lock_bytes).hexdigest())


def script_lock_is_fresh(ctx: Context, lock: Path, data: Mapping[str, Any]) -> bool:
    """True when `lock` records (its `[tool.corral]` inputs-hash) that it was made from the parsed block `data`.

    A lock without the record (hand-made, or written before corral kept one) is not fresh: it is made again.
    """
    from corral.core.lock_fingerprint import stored_inputs_hash
    from corral.core.script_meta import script_inputs_hash
    from corral.infra.toml_file import read_text
    from corral.services.lock_inputs import index_urls

    try:
        stored = stored_inputs_hash(read_text(lock))
    except ConfigError:  # gone, not a file, not UTF-8: not fresh (locking again names the problem)
        return False
    return stored is not None and stored == script_inputs_hash(data, index_urls=index_urls(ctx))


def lock_problem(lock: Path) -> str | None:
    """What makes `lock` no lock corral can install from (unreadable, not TOML, no lock-version, a bad entry); None."""
    from corral.core.pylock_check import check_lock
    from corral.errors import LockError
    from corral.infra.toml_file import read_toml

    try:
        data = check_lock(read_toml(lock), origin=str(lock))
    except (ConfigError, LockError) as error:
        return str(error).split("; run `corral lock`", 1)[0]
    if "lock-version" not in data:
        return f"{lock} is not a lock corral can install from: it holds no lock-version (PEP 751)"
    return None


def refuse_damaged_lock(ctx: Context, script: Path, lock: Path) -> None:
    """LockError naming `lock` and the command that makes it again, when it is no lock corral can install from."""
    problem = lock_problem(lock)
    if problem is not None:
        from corral.errors import LockError

        again = f"run `corral lock --script {shown_script(ctx, script)}` to make it again from the script block"
        raise LockError(f"{problem}; {again}")


def shown_script(ctx: Context, script: Path) -> str:
    """`script` as a user would type it from the working folder (relative under it, else absolute)."""
    try:
        return str(script.relative_to(ctx.cwd))
    except ValueError:
        return str(script)


def fast_script_env(script: Path, *, python: str | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The ready env for `script` using only the stdlib (None: take the full path, which builds it).

    `cwd`: the folder the command acts in (its settings' and `.python-version`'s); where a file there or the user
    config might state the interpreter or an index (`infra.script_request`), the full path finds the key.
    """
    from corral.infra.paths import CorralPaths
    from corral.infra.script_request import environ_only_request, relative_path, remembered, remembered_settings

    if python is not None and relative_path(python):
        return None  # the full path names it whole
    from corral.services.script_project import config_states_no_request, settings_valid, states_no_request

    paths = CorralPaths.from_environment(dict(environ))
    cache = str(paths.cache)

    def project_check(pyproject: str) -> bool:
        return remembered(cache, pyproject, states_no_request)

    def config_check(config_file: str) -> bool:
        return remembered(cache, config_file, config_states_no_request)

    def settings_check(settings: dict[str, str]) -> bool:
        return remembered_settings(cache, settings, settings_valid)

    request = environ_only_request(
        environ, str(cwd.absolute()), str(paths.user_config_file), project_check, config_check, settings_check
    )
    if request is None:
        return None
    try:
        source = script.read_text(encoding="utf-8")
        block = find_block(source)
    except (OSError, UnicodeDecodeError, ConfigError):
        return None
    if block is None:
        return None
    lock_bytes = _fast_lock_bytes(script_lock_path(script))
    if lock_bytes is False:
        return None
    inputs = _script_inputs(block.toml, lock_bytes)
    env = ready_env(environ, "script", script_key(inputs, python=python or request, environ=environ))
    if env is not None:
        mark_used(env)
    return env


def _fast_lock_bytes(lock: Path) -> bytes | Literal[False] | None:
    """The bytes of the script's lock for the fast path (None: there is none); False: the full path judges it.

    That is a link (refused), a file over the cap, one that cannot be read, and one that records no inputs (written
    before corral kept them: it may be stale).
    """
    try:
        if lock.is_symlink():
            return False
        if not lock.is_file():
            return None
        if lock.stat().st_size > LOCK_LIMIT:
            return False
        data = lock.read_bytes()
    except OSError:
        return False
    return data if b"\ninputs-hash = " in data else False


def declares_metadata(script: Path) -> bool:
    """True when `script` has a PEP 723 block, or cannot be read to tell (stdlib only; the full path decides)."""
    try:
        return find_block(script.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError, ConfigError):
        return True


def ensure_script_env(
    ctx: Context, script: Path, *, python: str | None = None, locked: bool = False, frozen: bool = False
) -> ScriptEnv:
    """The cached env for a PEP 723 script (exactly its dependencies, on a Python its requires-python admits).

    With a `pylock.<name>.toml` beside the script (`corral lock --script`), the env is exactly that lock. A lock
    that was not made from the block as it is now (its inputs-hash) is made again first, old pins kept where the
    block allows them; `locked` refuses instead (LockOutdated naming the command), `frozen` takes it as it is, in
    an env of its own: a plain run (its quick path knows the block and the lock's bytes, not whether one was made from
    the other) never meets an env made from a lock that is stale for the block.
    """
    block, data = script_metadata(script)
    lock = script_lock(script)
    if lock is None:  # the block is checked only when an env is built from it (a ready one was built from it)
        return env_for_block(ctx, block, data, python=python, lock=None, script=script)
    validate_metadata(script, data)
    stale = lock is not None and not script_lock_is_fresh(ctx, lock, data)
    if frozen:
        return env_for_block(ctx, block, data, python=python, lock=lock, stale_lock=stale)
    if lock is not None and stale:
        if locked:
            from corral.errors import LockOutdated

            msg = (
                f"{lock.name} is stale: {script.name}'s script block changed since it was locked; "
                f"run `corral lock --script {shown_script(ctx, script)}`"
            )
            raise LockOutdated(msg)
        from corral.services.script_edit import lock_script

        refuse_damaged_lock(ctx, script, lock)  # a file a repository shipped is never overwritten unread
        lock_script(ctx, script)
        built = env_for_block(ctx, block, data, python=python, lock=lock)
        built.relocked = lock
        return built
    return env_for_block(ctx, block, data, python=python, lock=lock)


def env_for_block(
    ctx: Context,
    block: str,
    data: Mapping[str, Any],
    *,
    python: str | None,
    lock: Path | None,
    stale_lock: bool = False,
    script: Path | None = None,
) -> ScriptEnv:
    """The cached env for a script's `block` (parsed: `data`), exactly `lock` when given (its bytes are in the key).

    `stale_lock`: `lock` was not made from this block (`run --frozen` takes it all the same): the key says so.
    `script`: the block is not checked yet (`validate_metadata`, which imports `packaging`): it is checked before an
    env is built, not when the env its key names is ready (the block's text is in the key: it was checked then).
    """
    from corral.infra.toml_file import read_bytes

    request, file_index = env_request(ctx, python)
    inputs = _script_inputs(block, read_bytes(lock) if lock else None)
    if stale_lock:
        inputs += "\n#stale-lock"
    key = script_key(inputs, python=request, environ=ctx.environ, file_index=file_index)
    if script is not None and ready_env(ctx.environ, "script", key) is None:
        validate_metadata(script, data)
    requires = data.get("requires-python")
    return ensure_env(
        ctx,
        kind="script",
        key=key,
        requirements=list(data.get("dependencies", [])),
        python=python,
        requires_python=str(requires) if requires else None,
        lock=lock,
    )


def validate_metadata(script: Path, data: Mapping[str, Any]) -> None:
    """Every dependency a valid requirement, requires-python a valid specifier (ConfigError naming the script)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from corral.core.deps import parse_requirement

    for dep in data.get("dependencies", []):
        parse_requirement(dep, where=f"{script}: script dependency")
    requires = data.get("requires-python")
    if requires is not None:
        try:
            SpecifierSet(str(requires))
        except InvalidSpecifier as err:
            msg = f"{script}: requires-python {requires!r} is not a valid version specifier"
            raise ConfigError(msg) from err
