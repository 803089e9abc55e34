"""PipToolsResolver: lock a Python 2.7 project with pip-tools 5.5.0 run by the project's own 2.7 interpreter.

Why pip-tools 5.5.0 (see docs/architecture.md, "Locking for Python 2.7"): uv refuses to resolve for Python < 3.6;
pip 20.3.4, the last pip for 2.7, has no `--report` and no preferences; a modern pip resolving for a foreign
target (`--python-version 2.7 --only-binary :all:`) cannot read an sdist-only dependency's metadata. pip-tools
5.5.0 is the last release for Python 2 and the locker 2.7-era projects used (`pip-compile --generate-hashes`): it
builds sdists' metadata in the target interpreter, keeps previous pins while the requirements allow them, and
hashes every file. corral drives its resolver through `_piptools_driver.py` (JSON in, JSON out) in a toolchain
env on the project's interpreter, then writes the result in the same PEP 751 shape as the uv path, marked as an
environment-specific lock (`environments` + a comment), since markers were evaluated by that one interpreter.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.errors import EngineError, LockError
from corral.infra.proc import run
from corral.resolvers import UV_OLDEST
from corral.toolchain.legacy import PIP_TOOLS_VERSION

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo

__all__ = ["LegacyRequest", "LegacyResult", "PipToolsResolver", "environment_marker"]

DRIVER = Path(__file__).with_name("_piptools_driver.py")
Selector = tuple[str, str]


@dataclass(frozen=True, kw_only=True, slots=True)
class LegacyRequest:
    """Everything one 2.7 resolution needs (no Context: the service fills it in)."""

    interpreter: InterpreterInfo  # the project's Python: its env's, else the one corral chose
    requirements: Sequence[tuple[Selector, str]]
    index_urls: Sequence[str]
    pins: Mapping[str, str]  # previous lock's versions, kept while the requirements allow them
    project_root: Path
    data_dir: Path
    cache_dir: Path
    environ: Mapping[str, str]
    make_env: Callable[[Path], None]  # creates a seeded 2.7 env (virtualenv 20.21.1) at a path
    absolute: frozenset[str] = frozenset()  # local paths the pyproject names absolutely (core.local_paths)
    editable: frozenset[str] = frozenset()  # names (normalized) whose path source says editable = true


@dataclass(frozen=True, kw_only=True, slots=True)
class LegacyResult:
    """PEP 751 package tables per selection (as `uv export` gives them), the graph, and where the lock holds."""

    exports: list[tuple[Selector, list[dict[str, Any]]]]
    graph: dict[str, list[str]]
    environments: list[str]
    resolved_by: str  # "pip-tools 5.5.0 (pip 20.3.4) in CPython 2.7.18 on linux2 x86_64"


def environment_marker(env: Mapping[str, str]) -> str:
    """The PEP 508 marker of the one environment a 2.7 lock was resolved for."""
    keys = ("python_version", "platform_python_implementation", "sys_platform", "platform_machine")
    return " and ".join(f"{k} == '{env[k]}'" for k in keys if env.get(k))


class PipToolsResolver:
    """pip-tools 5.5.0 (with pip 20.3.4) in a corral toolchain env on the project's 2.7 interpreter."""

    name = "pip-tools"

    def cannot_resolve(self, interpreter: InterpreterInfo) -> str | None:
        """Python below 3.6 (2.7), which uv cannot lock for; uv serves the rest."""
        if interpreter.minor >= UV_OLDEST:
            return f"uv locks for Python {interpreter.short_version}; pip-tools serves only Python < 3.6"
        return None

    def resolve(self, request: LegacyRequest) -> LegacyResult:
        """Resolve in the target interpreter; raise LockError with pip-tools' reason when it cannot."""
        from corral.infra.environ import indexes_in_environ, piptools_environ
        from corral.toolchain.piptools_tool import ensure_piptools

        info = request.interpreter
        tool = ensure_piptools(
            request.data_dir,
            key=_interpreter_key(info),
            make_env=request.make_env,
            environ=request.environ,
            index_urls=request.index_urls,
        )
        payload = {  # the index URLs go in the driver's environment (PIP_INDEX_URL...): a credential in no file
            "requirements": [[kind, name, text] for (kind, name), text in request.requirements],
            "pins": dict(request.pins),
            "cache_dir": str(request.cache_dir),
        }
        urls = list(request.index_urls)
        flags = ["--index-url", urls[0], *(a for u in urls[1:] for a in ("--extra-index-url", u))]
        environ = indexes_in_environ(flags, piptools_environ(request.environ), tool="pip")[1]
        with tempfile.TemporaryDirectory(prefix="corral-legacy-lock-") as folder:
            asked, answer = Path(folder) / "request.json", Path(folder) / "result.json"
            asked.write_text(json.dumps(payload), encoding="utf-8")
            done = run(
                [str(tool.python), str(DRIVER), str(asked), str(answer)],
                env=environ,
                cwd=Path(folder),
                check=False,
                what=f"pip-tools {PIP_TOOLS_VERSION}",
            )
            try:
                result = json.loads(answer.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                tail = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit code {done.returncode}"
                msg = f"pip-tools {PIP_TOOLS_VERSION} stopped without an answer: {tail}"
                raise EngineError(msg) from err
        if "error" in result:
            raise LockError(_reason(str(result["error"])))
        return _to_pylock(result, request.project_root, request.absolute, request.editable)


def _interpreter_key(info: InterpreterInfo) -> str:
    """Folder name of the toolchain env for an interpreter: its identity, and a hash of its base installation."""
    base = info.base_prefix if info.is_venv and info.base_prefix else (info.prefix or info.realpath)
    digest = hashlib.sha256(f"{base}\0{info.version}\0{info.machine}".encode()).hexdigest()[:12]
    return f"{info.implementation.lower()}-{info.version}-{info.machine or 'unknown'}-{digest}"


def _reason(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:4]) or "pip-tools gave no reason"


def _to_pylock(
    result: Mapping[str, Any],
    root: Path,
    absolute: frozenset[str] = frozenset(),
    editable: frozenset[str] = frozenset(),
) -> LegacyResult:
    from corral.core.names import normalize_name

    tables: dict[str, dict[str, Any]] = {}
    graph: dict[str, list[str]] = {}
    for package in result.get("packages", []):
        key = normalize_name(package["name"])
        tables[key] = _package_table(package, root, absolute, editable)
        graph[key] = sorted({normalize_name(d) for d in package.get("dependencies", [])})
    exports: list[tuple[Selector, list[dict[str, Any]]]] = []
    for kind, name, keys in result.get("selections", []):
        chosen = [tables[k] for k in sorted({normalize_name(k) for k in keys}) if k in tables]
        exports.append(((str(kind), str(name)), [dict(t) for t in chosen]))
    env = result.get("marker_env") or {}
    where = " ".join(str(env.get(k, "?")) for k in ("platform_python_implementation", "python_full_version"))
    where += " on " + " ".join(str(env.get(k, "?")) for k in ("sys_platform", "platform_machine"))
    return LegacyResult(
        exports=exports,
        graph=graph,
        environments=[environment_marker(env)],
        resolved_by=f"pip-tools {result.get('pip_tools', PIP_TOOLS_VERSION)} (pip {result.get('pip', '?')}) in {where}",
    )


def _package_table(
    package: Mapping[str, Any],
    root: Path,
    absolute: frozenset[str] = frozenset(),
    editable: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One PEP 751 `[[packages]]` table: index files as sdist/wheels, a URL as an archive, a folder as a directory.

    A folder whose name is in `editable` is marked editable, as uv marks a path source with `editable = true`.
    """
    from corral.core.names import normalize_name

    # pip-tools names a package as its requirement spelled it ("backports.functools_lru_cache", "MarkupSafe"):
    # PEP 751 wants the normalized name, and the lock checker refuses any other
    table: dict[str, Any] = {"name": normalize_name(package["name"])}
    if package.get("directory"):
        from corral.core.local_paths import relative_to_folder

        folder = os.path.normpath(package["directory"])
        kept = folder in absolute and not Path(folder).is_relative_to(root)  # the very folder the user named
        table["directory"] = {"path": folder if kept else relative_to_folder(folder, root)}
        if table["name"] in editable:
            table["directory"]["editable"] = True
        return table
    if package.get("version"):
        table["version"] = str(package["version"])
    if package.get("index"):
        table["index"] = str(package["index"])
    for item in package.get("files", []):
        entry = {"url": item["url"], "hashes": {"sha256": item["sha256"]}} if item.get("sha256") else None
        if entry is None:
            msg = f"no sha256 for {item.get('filename')} of {package['name']}; corral locks only hash-checked files"
            raise LockError(msg)
        if item["kind"] == "wheel":
            table.setdefault("wheels", []).append({"name": item["filename"], **entry})
        elif item["kind"] == "sdist":
            table["sdist"] = {"name": item["filename"], **entry}
        else:
            table["archive"] = entry
    return table
