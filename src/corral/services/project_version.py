"""The project's own version as the resolver must see it: locked packages may depend back on the project.

pytest depends on pluggy, smokeshow on typer, asv on packaging: resolving pluggy's test group needs pluggy's real
version, or the resolver picks a pytest old enough not to ask for it (or fails). A static `project.version` is
used as is. A dynamic one (setuptools-scm, hatch-vcs, pdm-backend or hatch file versions, setuptools `attr:`) is
what the project's build backend states (`services.foreign.metadata`: the PEP 517 metadata hook in a throwaway
build env, about a second). That answer is cached under everything it depends on: pyproject.toml but its
requirements and linters' tables, the git commit, nearest tag and dirty flag (`git describe`), the files a version
is commonly read from, and the interpreter, so an unchanged project costs one `git describe` per lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral import __version__
from corral.core.lock_view import VERSION_PLUGIN_PREFIXES
from corral.errors import CorralError, LockError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from contextlib import AbstractContextManager

    from corral.services.context import Context

__all__ = [
    "UNKNOWN_VERSION",
    "forget_read_states",
    "git_describe",
    "read_state",
    "resolution_version",
    "version_files",
    "version_key",
    "version_state",
]

UNKNOWN_VERSION = "0"  # a project that states no version at all (uv needs one; nothing can depend on it)
_MAX_READ = 1 << 20  # version files are small; a huge one is fingerprinted by its first MiB
_FIXED_FILES = ("setup.py", "setup.cfg", "PKG-INFO", "VERSION", "version.txt")
_REQUIREMENT_KEYS = frozenset({"dependencies", "optional-dependencies"})
# What the last `version_key` of each project root read (this process): the state the version was derived from,
# which the lock stamp of that same lock records (services.lock) instead of asking git again after resolving.
_READ: dict[str, tuple[tuple[str, ...], str | None, dict[str, str]]] = {}


def resolution_version(
    ctx: Context,
    root: Path,
    data: Mapping[str, Any],
    *,
    python: str | None,
    progress: Callable[[str, str], None] | None = None,
    while_building: Callable[[], AbstractContextManager[Callable[[], object]]] | None = None,
) -> str:
    """The version to resolve the project at: static, else its build backend's answer (cached), else "0".

    Args:
        ctx: the command's context (cache folder, index settings for the build env).
        root: the project folder; the backend reads pyproject.toml from disk there.
        data: the parsed pyproject (what is being locked, which may differ from disk only in requirements).
        python: the interpreter the build env is made for (None: the one corral chooses).
        progress: told when the build backend is asked (it takes a second or more).
        while_building: entered while the build backend is asked, left once it answered or failed; what it gives
            is told when the backend's hooks are asked (foreign.metadata's `hooks_go`): services.lock begins
            `uv lock` then.

    Raises:
        LockError: the version is dynamic and the build backend could not state it.

    """
    table = data.get("project")
    project: Mapping[str, Any] = table if isinstance(table, dict) else {}
    dynamic = project.get("dynamic")
    if isinstance(project.get("version"), str) and "version" not in (dynamic if isinstance(dynamic, list) else []):
        return str(project["version"])
    if not isinstance(dynamic, list) or "version" not in dynamic:
        return UNKNOWN_VERSION
    key = version_key(root, data, python, ctx.environ)
    cache_file = ctx.paths.cache / "project-versions" / f"{key}.json"
    from corral.infra.json_file import read_json_cache

    cached = read_json_cache(cache_file)
    if cached is not None and _valid(cached.get("version")):
        return str(cached["version"])
    if progress:
        progress("resolving", "the project's dynamic version, from its build backend")
    import contextlib

    with while_building() if while_building is not None else contextlib.nullcontext(None) as hooks_go:
        version = _from_backend(ctx, root, python, hooks_go)

    from corral.infra.fs import atomic_write_text

    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower next time
        atomic_write_text(cache_file, json.dumps({"version": version, "root": str(root)}))
    return version


def _from_backend(ctx: Context, root: Path, python: str | None, hooks_go: Callable[[], object] | None) -> str:
    from corral.infra.toml_file import read_toml
    from corral.services.foreign.metadata import read_metadata

    if python is None:
        from corral.services.python import choose_interpreter

        python = choose_interpreter(ctx)[0].path
    try:
        metadata = read_metadata(ctx, root, python=python, data=read_toml(root / "pyproject.toml"), hooks_go=hooks_go)
    except CorralError as err:
        msg = (
            f"the project's version is dynamic and its build backend could not state it ({err}); "
            "fix the build, or set a static [project] version in pyproject.toml"
        )
        raise LockError(msg) from err
    if not _valid(metadata.version):
        msg = (
            f"the project's build backend states version {metadata.version!r}, which is not a PEP 440 version; "
            "fix the version configuration in pyproject.toml"
        )
        raise LockError(msg)
    return metadata.version


def _valid(version: object) -> bool:
    if not isinstance(version, str) or not version:
        return False
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def version_key(
    root: Path, data: Mapping[str, Any], python: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """Everything the version may depend on (one `git describe`); requirements left out: `corral add` keeps it.

    A linter's table is left out too (core.lock_view.UNREAD_TOOLS: no build backend reads it), as the no-op lock's
    view leaves it out: editing `[tool.ruff]` asks the backend nothing. git is left out where the version is
    proven to come from files alone (services.version_source): an edit, commit or tag then asks nothing again.
    """
    from corral.core.lock_view import without_unread_tools

    project = {k: v for k, v in _table(data, "project").items() if k not in _REQUIREMENT_KEYS}
    rest = {k: v for k, v in without_unread_tools(dict(data)).items() if k not in {"project", "dependency-groups"}}
    paths = version_files(root, data)
    git, files = version_state(root, paths, git=lambda contents: _reads_git(root, data, paths, contents))
    _READ[str(root)] = (tuple(str(p.relative_to(root)) for p in paths), git, files)
    blob = json.dumps(
        {
            "root": str(root.resolve()),
            "project": project,
            "pyproject": rest,
            "git": git,
            "files": files,
            "python": python or "",
            "corral": __version__,
            "environ": {k: v for k, v in sorted((environ or {}).items()) if k.startswith(VERSION_PLUGIN_PREFIXES)},
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _reads_git(
    root: Path, data: Mapping[str, Any], paths: Sequence[Path], contents: Sequence[bytes | str | None]
) -> bool:
    """services.version_source.reads_git, judged from the very bytes the version files' digests are of.

    A file that is not a regular one, or longer than what is read of it, is left out: unknown, so git counts.
    """
    from corral.services.version_source import reads_git

    read = {
        str(p.relative_to(root)): c
        for p, c in zip(paths, contents, strict=True)
        if not isinstance(c, str) and (c is None or len(c) < _MAX_READ)
    }
    return reads_git(data, read)


def read_state(root: Path, files: Sequence[str]) -> list[Any] | None:
    """`[git describe, the version files' digests]` as the last `version_key` of `root` read them, taken once.

    None when none was read since `forget_read_states`, or for other files (relative to `root`, in `version_files`'
    order). The state a version was derived from, not one read after resolving: a commit made meanwhile is a change.
    `git describe` is None where git was no input of the version (`version_key`): `version_inputs` of the lock stamp
    then reads no git either.
    """
    found = _READ.pop(str(root), None)
    if found is None or found[0] != tuple(files):
        return None
    return [found[1], found[2]]


def forget_read_states() -> None:
    """Forget what `version_key` read (a resolution starts: only what it reads may be taken)."""
    _READ.clear()


_UNREAD = "unread"  # a file that is there but was not read (not a regular file)


def version_state(
    root: Path, files: Sequence[Path], *, git: bool | Callable[[list[bytes | str | None]], bool] = True
) -> tuple[str | None, dict[str, str]]:
    """What the working tree says about the version: `git describe`, and each version file's sha256.

    A file's digest is "" when it is absent, "!" when it is there but not a regular file, else the sha256 of its
    bytes (of its first MiB: a longer one). `git`: whether to ask git (None in the answer when not), or a judge of
    the files' bytes as read here (None: absent; `_UNREAD`), so that the decision and the digests are of one reading.
    """
    import hashlib

    contents = [_contents(p) for p in files]
    digests = {
        str(p.relative_to(root)): "" if c is None else "!" if isinstance(c, str) else hashlib.sha256(c).hexdigest()
        for p, c in zip(files, contents, strict=True)
    }
    asks = git if isinstance(git, bool) else git(contents)
    return (git_describe(root) if asks else None), digests


def _contents(path: Path) -> bytes | str | None:
    """A version file's bytes (its first MiB), None when absent, `_UNREAD` when there but not a regular file."""
    from corral.infra.safe_read import read_small

    try:
        return read_small(path, limit=_MAX_READ, what=path.name, truncate=True)
    except OSError:
        return None if not os.path.lexists(path) else _UNREAD


def git_describe(root: Path) -> str:
    """Commit, nearest tag and dirty flag: what scm version plugins derive a version from ("" outside git).

    git is not asked again while the repository's describe inputs (`infra.git_state`) are those of an answer
    already had, all settled: this process's (an earlier call, the quick lock record's: `cli.lock_quick`), else the
    project's last one, kept in corral's cache beside its versions (`_described_file`; a fresh lock asked git
    before starting uv).
    """
    import shutil
    import time

    from corral.infra import git_state

    git = shutil.which("git")
    observed_ns = time.time_ns()  # read before the stats: what settled by then cannot change unseen
    found = None if git is None else git_state.state(str(root), git, os.environ)
    if found is None or found.settled_ns > observed_ns:
        return _run_describe(root)
    known = git_state.recall(found, observed_ns)
    memo = _described_file(root)
    if known is None:
        from corral.infra.json_file import read_json_cache

        kept = read_json_cache(memo, follow=False)
        if kept is not None and kept.get("state") == found.digest and isinstance(kept.get("describe"), str):
            known = str(kept["describe"])
            git_state.remember(found, observed_ns, known)
    if known is not None:
        return known
    text = _run_describe(root)
    after = None if git is None else git_state.state(str(root), git, os.environ)
    if after is not None and after.digest == found.digest:  # nothing moved while git answered
        git_state.remember(found, observed_ns, text)
        import contextlib

        from corral.infra.fs import atomic_write_text

        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower next time
            kept_text = json.dumps({"root": str(root), "state": found.digest, "describe": text, "corral": __version__})
            atomic_write_text(memo, kept_text)
    return text


def _described_file(root: Path) -> Path:
    """Where the project's last proven `git describe` answer is kept (a cached version's kind: `root` names it)."""
    from corral.infra.paths import CorralPaths

    name = hashlib.sha256(f"git-describe\0{root.resolve()}".encode("utf-8", "surrogateescape")).hexdigest()
    return CorralPaths.from_environment().cache / "project-versions" / f"{name}.json"


def _run_describe(root: Path) -> str:
    from corral.errors import EngineError
    from corral.infra import proc
    from corral.infra.git import git_command, git_environ

    cmd = git_command(["-C", str(root), "describe", "--tags", "--long", "--always", "--dirty", "--abbrev=40"])
    if cmd is None:
        return ""
    try:
        done = proc.run(cmd, check=False, timeout=30, env=git_environ(os.environ), what="git describe")
    except EngineError:  # no git on this machine
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def guessed_version(root: Path, data: Mapping[str, Any]) -> str | None:
    """The version the project's version files state as text, in its normal form; None when none does.

    Only a guess, read without running anything of the project: the first `__version__ = "..."` at a line's start
    in a version file (`version_files`), or a VERSION / version.txt holding one version. A lock begins `uv lock` at
    it while the build backend states the real version, and keeps that resolution only when the two are equal
    (services.lock); a wrong guess costs nothing but the resolution begun.
    """
    import re

    from packaging.version import InvalidVersion, Version

    stated = re.compile(r"""^__version__\s*(?::\s*str\s*)?=\s*(['"])([^'"\\\n]{1,64})\1\s*(?:#.*)?$""", re.MULTILINE)
    for path in version_files(root, data):
        contents = _contents(path)
        if not isinstance(contents, bytes):  # absent, or not a regular file (`_UNREAD`)
            continue
        text = contents.decode("utf-8", errors="replace")
        if path.name in ("VERSION", "version.txt"):
            found = text.strip() if len(text.strip().splitlines()) == 1 else None
        else:
            match = stated.search(text) if path.suffix == ".py" else None
            found = match.group(2) if match else None
        if found:
            try:
                return str(Version(found))
            except InvalidVersion:
                continue
    return None


def version_files(root: Path, data: Mapping[str, Any]) -> list[Path]:
    """Files a dynamic version is read from (declared by hatch, pdm, setuptools, flit), inside the project only."""
    tool = _table(data, "tool")
    names: list[str] = list(_FIXED_FILES)
    for backend in ("hatch", "pdm"):
        table = _table(tool, backend, "version")
        if isinstance(table.get("path"), str):
            names.append(table["path"])
    setuptools = _table(tool, "setuptools", "dynamic", "version")
    declared = setuptools.get("file")
    names += [declared] if isinstance(declared, str) else [f for f in declared or [] if isinstance(f, str)]
    modules = []
    if isinstance(setuptools.get("attr"), str):
        modules.append(setuptools["attr"].rsplit(".", 1)[0])
    flit = _table(tool, "flit", "module")
    module = flit.get("name") or _table(data, "project").get("name")
    if isinstance(module, str):
        modules.append(module.replace("-", "_"))
    for dotted in modules:
        stem = dotted.replace(".", "/")
        names += [f"{base}{stem}{tail}" for base in ("", "src/") for tail in ("/__init__.py", ".py", "/_version.py")]
    from corral.services.version_source import watched_files

    watched = watched_files(data)  # present or not: their absence is what the version's source was judged by
    real_root = root.resolve()
    found = []
    for name in dict.fromkeys([*names, *watched]):
        path = root / name
        try:
            inside = path.resolve().is_relative_to(real_root) and (name in watched or path.is_file())
        except (OSError, ValueError):
            inside = False
        if inside:
            found.append(path)
    return found


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data
