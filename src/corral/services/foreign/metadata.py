"""A project's core metadata as its own build backend states it (PEP 517 `prepare_metadata_for_build_wheel`).

The backend runs the way a build frontend runs it: in a build env (made by uv for the chosen interpreter) that
holds only `[build-system].requires` and what `get_requires_for_build_wheel` asks for, resolved from the project's
index settings to exact, hashed pins; `build_env` keeps such an env in corral's cache and reuses it only while it
holds exactly what corral installed. Without `[build-system]` the backend is the one pip and uv fall back to
(`setuptools.build_meta:__legacy__` with `setuptools>=40.8.0`). Both hooks run in one process
(`infra/probe/build_hook_server.py`: the backend imported once, each hook in a forked child, as a fresh process
would run it); the metadata hook in a second one only when the first asked for more. This runs the project's own
build code (setup.py): `corral init` calls it, on the user's request to adopt the project, and `corral lock` for a
dynamic version (services.project_version, cached), as uv's own lock and the editable install `corral sync` makes
run that code too.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from corral.errors import UsageError

if TYPE_CHECKING:
    from corral.errors import EngineError
    from corral.infra.proc import Completed
    from corral.services.context import Context

__all__ = ["LEGACY_BUILD_SYSTEM", "CoreMetadata", "build_system", "read_metadata"]

LEGACY_BUILD_SYSTEM: Mapping[str, Any] = {
    "requires": ["setuptools>=40.8.0"],
    "build-backend": "setuptools.build_meta:__legacy__",
}


_OUTPUT_KEPT = 1 << 20  # bytes of a hook's output kept for its error message (its end)
_COMPARED_AS_VALUES = frozenset({"name", "version", "requires-python", "requires-dist", "provides-extra"})
_IGNORED = frozenset({"metadata-version", "dynamic"})  # the format's version; what an sdist may still compute
# pyproject [project] field -> the METADATA headers (or "entry points:SECTION") a backend fills it into
_FIELD_SOURCES: Mapping[str, tuple[str, ...]] = {
    "description": ("summary",),
    "readme": ("description", "description-content-type"),
    "license": ("license", "license-expression"),
    "authors": ("author", "author-email"),
    "maintainers": ("maintainer", "maintainer-email"),
    "keywords": ("keywords",),
    "classifiers": ("classifier",),
    "urls": ("project-url",),
    "scripts": ("entry points:console_scripts",),
    "gui-scripts": ("entry points:gui_scripts",),
    "entry-points": ("entry points:*",),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class CoreMetadata:
    """A METADATA file (and its entry_points.txt): the fields that decide what a wheel is and what it needs."""

    name: str
    version: str
    summary: str = ""
    requires_python: str | None = None
    requires_dist: tuple[str, ...] = ()
    provides_extra: tuple[str, ...] = ()
    others: tuple[tuple[str, str], ...] = ()  # every other header, lower-cased name, in order
    description: str = ""  # the body (the readme)
    entry_points: str = ""

    @classmethod
    def from_text(cls, text: str, *, entry_points: str = "") -> CoreMetadata:
        """Parse a METADATA (RFC 822) text."""
        from email.parser import Parser

        message = Parser().parsestr(text)
        body = message.get_payload()
        others = tuple(
            (k.lower(), str(v)) for k, v in message.items() if k.lower() not in _COMPARED_AS_VALUES | _IGNORED
        )
        return cls(
            name=str(message.get("Name", "")),
            version=str(message.get("Version", "")),
            summary=str(message.get("Summary", "") or ""),
            requires_python=message.get("Requires-Python"),
            requires_dist=tuple(message.get_all("Requires-Dist") or ()),
            provides_extra=tuple(message.get_all("Provides-Extra") or ()),
            others=others,
            description=body.strip() if isinstance(body, str) else "",
            entry_points=entry_points.strip(),
        )

    def stated_fields(self) -> list[str]:
        """The pyproject `[project]` fields (besides name, version and dependencies) this metadata has values for."""
        from configparser import ConfigParser

        parser = ConfigParser(interpolation=None)
        parser.read_string(self.entry_points)
        present = {k for k, _ in self.others} | ({"description"} if self.description else set())
        present |= {f"entry points:{s}" for s in parser.sections()}
        present |= {"entry points:*" for s in parser.sections() if s not in ("console_scripts", "gui_scripts")}
        return [field for field, sources in _FIELD_SOURCES.items() if present & set(sources)]

    def differences(self, other: CoreMetadata) -> list[str]:
        """What `other` states differently (names, versions, specifiers and markers compared as values)."""
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
        from packaging.version import Version

        from corral.core.names import normalize_name

        def requirements(items: tuple[str, ...]) -> set[str]:
            out = set()
            for text in items:
                req = Requirement(text)
                req.name = normalize_name(req.name)
                out.add(str(req))
            return out

        notes = []
        if normalize_name(self.name) != normalize_name(other.name):
            notes.append(f"Name {self.name!r} -> {other.name!r}")
        if Version(self.version) != Version(other.version):
            notes.append(f"Version {self.version!r} -> {other.version!r}")
        if SpecifierSet(self.requires_python or "") != SpecifierSet(other.requires_python or ""):
            notes.append(f"Requires-Python {self.requires_python!r} -> {other.requires_python!r}")
        mine, theirs = requirements(self.requires_dist), requirements(other.requires_dist)
        if mine != theirs:
            notes.append(f"Requires-Dist lost {sorted(mine - theirs)}, gained {sorted(theirs - mine)}")
        if {normalize_name(e) for e in self.provides_extra} != {normalize_name(e) for e in other.provides_extra}:
            notes.append(f"Provides-Extra {sorted(self.provides_extra)} -> {sorted(other.provides_extra)}")
        return notes + self._other_differences(other)

    def _other_differences(self, other: CoreMetadata) -> list[str]:
        from collections import Counter

        notes = []
        lost, gained = Counter(self.others) - Counter(other.others), Counter(other.others) - Counter(self.others)
        if lost or gained:
            shown = [sorted(f"{k}: {v}" for k, v in headers) for headers in (lost, gained)]
            notes.append(f"lost {shown[0]}, gained {shown[1]}")
        if self.description != other.description:
            notes.append("the long description (readme) differs")
        if self.entry_points != other.entry_points:
            notes.append("the entry points differ")
        return notes


def build_system(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """`[build-system]` of a parsed pyproject, or the legacy setuptools fallback every frontend uses."""
    table = data.get("build-system")
    if not isinstance(table, dict) or not isinstance(table.get("build-backend"), str):
        requires = table.get("requires") if isinstance(table, dict) else None
        return {**LEGACY_BUILD_SYSTEM, "requires": requires or LEGACY_BUILD_SYSTEM["requires"]}
    return table


def _backend_path(system: Mapping[str, Any], root: Path) -> list[str]:
    """`backend-path`'s entries, each a relative path that stays inside the project (PEP 517; uv refuses others too).

    An entry leading out (`../outside`, an absolute path, a link to elsewhere) would import a backend from outside
    the project the user asked corral to lock: one UsageError naming the entry, before any process starts.
    """
    entries = system.get("backend-path", [])
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        raise UsageError(f"{root / 'pyproject.toml'}: [build-system] backend-path must be a list of strings")
    real_root = root.resolve()
    for entry in entries:
        where = (root / entry).resolve()
        if Path(entry).is_absolute() or (where != real_root and real_root not in where.parents):
            raise UsageError(
                f"{root / 'pyproject.toml'}: [build-system] backend-path entry {entry!r} leads out of the project "
                "(PEP 517: a relative path inside the source tree); fix the entry"
            )
    return list(entries)


def read_metadata(
    ctx: Context, root: Path, *, python: str, data: Mapping[str, Any], hooks_go: Callable[[], object] | None = None
) -> CoreMetadata:
    """The project's METADATA from its backend (UsageError naming the backend and its last words on failure).

    `hooks_go`: told once the build env is ready and its hooks are asked (corral downloads nothing more unless the
    backend asks for more requirements): a caller's own downloads may begin then without racing the env's (a lock
    begins `uv lock` there: services.lock).
    """
    from corral.infra.environ import engine_environ, indexes_in_environ
    from corral.infra.probe import BUILD_HOOK_SERVER
    from corral.infra.rmtree import remove_tree
    from corral.infra.uvbin import uv_binary
    from corral.services.foreign.build_env import build_env, env_key, guess_name, pinned, recalled
    from corral.services.lock import index_urls

    system = build_system(data)
    backend = str(system["build-backend"])
    backend_path = json.dumps(_backend_path(system, root))
    tmp = Path(tempfile.mkdtemp(prefix="corral-metadata-"))
    uv, environ = uv_binary(), engine_environ(ctx.environ)
    urls = index_urls(ctx)
    indexes = ["--index-url", urls[0], *(a for u in urls[1:] for a in ("--extra-index-url", u))]
    requires = _requirements(system.get("requires", []), backend, "[build-system] requires")

    def run(cmd: list[str], stdin: str | None = None) -> Completed:  # uv's: index URLs in its environment, not argv
        return _run(*indexes_in_environ(cmd, environ), backend, stdin=stdin)

    def start(env_python: str, mode: str) -> _Hooks:
        (tmp / "out").mkdir(exist_ok=True)
        paths = backend_path
        out, answer = str(tmp / "out"), str(tmp / f"{mode}.json")
        cmd = [env_python, "-B", str(BUILD_HOOK_SERVER), mode, backend, paths, out, answer]
        return _Hooks(cmd, environ, root, backend)

    try:
        answer = None
        guess = guess_name(python, requires, indexes)
        with contextlib.ExitStack() as early:  # the env these requires had last time: its backend imports meanwhile
            found = recalled(early, ctx.paths.cache, guess) if requires else None
            started = None if found is None else early.enter_context(start(found[0], "both"))
            pins = pinned(requires, uv=uv, python=python, indexes=indexes, run=run)
            if found is not None and started is not None and found[1] == env_key(python, pins, uv):
                _tell(hooks_go)
                answer = started.answer()
        if answer is None:
            made = build_env(ctx.paths.cache, uv=uv, python=python, pins=pins, indexes=indexes, run=run, guess=guess)
            with made as env, start(env, "both") as hooks:
                _tell(hooks_go)
                answer = hooks.answer()
        name = answer.get("metadata")
        if not isinstance(name, str):  # the backend asks for more than its requires (or could not fork)
            more = _requirements(answer.get("requires") or [], backend, "get_requires_for_build_wheel")
            pins = pinned([*requires, *more], uv=uv, python=python, indexes=indexes, run=run) if more else pins
            made = build_env(ctx.paths.cache, uv=uv, python=python, pins=pins, indexes=indexes, run=run)
            with made as env, start(env, "metadata") as hooks:
                name = str(hooks.answer().get("metadata"))
        folder = tmp / "out" / name
        entry_points = folder / "entry_points.txt"
        return CoreMetadata.from_text(
            (folder / "METADATA").read_text(encoding="utf-8"),
            entry_points=entry_points.read_text(encoding="utf-8") if entry_points.is_file() else "",
        )
    finally:
        remove_tree(tmp, ignore_errors=True)


def _tell(hooks_go: Callable[[], object] | None) -> None:
    if hooks_go is not None:
        hooks_go()


def _requirements(given: object, backend: str, where: str) -> list[str]:
    """Build requirements as their normal form (each parsed: none can become an option of uv)."""
    from corral.core.deps import parse_requirement
    from corral.errors import InvalidRequirement

    if not isinstance(given, list):
        msg = f"cannot read the project's metadata through its build backend {backend}: {where} is not a list"
        raise UsageError(msg)
    try:
        return [str(parse_requirement(str(text), where=where)) for text in given]
    except InvalidRequirement as err:
        msg = f"cannot read the project's metadata through its build backend {backend}: {err}"
        raise UsageError(msg) from err


class _Hooks:
    """`build_hook_server.py` started in a build env: its backend imports until `answer` says "go".

    A context manager: leaving the block ends a server still running (an error, or a Ctrl-C while it waited). The
    server leads a process group of its own (a new session) and writes its output to files, not pipes: the answer
    is there once the server has ended, even when a hook left a process running that still holds those files (a
    daemon waited for through a pipe's end would hold the lock forever); the group, with whatever a hook left in it,
    is killed once the server has ended or the block is left. A process that makes a session of its own escapes the
    group: it runs as the user, as the hook's code itself does (see build_env).
    """

    def __init__(self, cmd: list[str], environ: dict[str, str], cwd: Path, backend: str) -> None:
        import os
        import subprocess

        self.cmd, self.backend, self.out = cmd, backend, Path(cmd[-1])
        self.logs: list[IO[bytes]] = []  # its stdout and stderr: files without a name, closed by __exit__
        try:
            self.logs += [tempfile.TemporaryFile(), tempfile.TemporaryFile()]  # noqa: SIM115 - closed by __exit__
            self.process = subprocess.Popen(
                cmd,
                env=environ,
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=self.logs[0],
                stderr=self.logs[1],
                start_new_session=os.name != "nt",
            )
        except OSError as err:
            for log in self.logs:
                log.close()
            raise _failed(backend, str(err)) from err

    def __enter__(self) -> _Hooks:  # noqa: PYI034 - typing.Self is 3.11+, corral runs on 3.9
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._end_group()
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        finally:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            for log in self.logs:
                log.close()

    def _end_group(self) -> None:
        """Kill the server's process group (what its hooks left running), before the server is reaped.

        A group lives while any member does and its leader's id is not reused before the leader is reaped, so the
        signal cannot reach another process.
        """
        import os
        import signal

        if os.name != "nt" and self.process.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def _wait(self) -> None:
        """Wait until the server ends, without reaping it (it stays the group's leader until `_end_group` ran)."""
        import os

        if os.name == "nt" or not hasattr(os, "waitid"):
            self.process.wait()
            return
        with contextlib.suppress(ChildProcessError):  # reaped already: nothing left to wait for
            os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOWAIT)  # EINTR: retried (PEP 475)

    def answer(self) -> dict[str, Any]:
        """The hooks' answers ({"requires": [...] | None, "metadata": NAME | None}); UsageError when they failed."""
        from corral.errors import EngineError
        from corral.infra import proc

        stdin = self.process.stdin
        if stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # ended before "go": its output says why
                stdin.write(b"go\n")
                stdin.close()
        self._wait()
        self._end_group()
        self.process.wait()
        text = [_tail(log) for log in self.logs]
        try:
            proc.settle(self.cmd, self.process.returncode, *text, what="build backend")
        except EngineError as error:
            raise _engine_failed(self.backend, error) from error
        found = json.loads(self.out.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}


def _tail(log: IO[bytes]) -> str:
    """The end of a hook's output file (its last words are what an error shows)."""
    size = log.seek(0, 2)
    log.seek(max(0, size - _OUTPUT_KEPT))
    return log.read().decode("utf-8", "replace")


def _run(
    cmd: list[str], environ: dict[str, str], backend: str, cwd: Path | None = None, stdin: str | None = None
) -> Completed:
    from corral.errors import EngineError
    from corral.infra import proc

    try:
        return proc.run(cmd, env=environ, cwd=cwd, what="build backend", stdin=stdin)
    except EngineError as err:
        raise _engine_failed(backend, err) from err


def _engine_failed(backend: str, err: EngineError) -> UsageError:
    """The backend's failure in its own words: the last lines it wrote to stderr (`infra.proc.settle`'s detail).

    Not the last line of its whole output: that is stdout's, where setuptools writes its progress ("writing
    top-level names to ..."), after the error on stderr.
    """
    prefix = f"build backend failed (exit {err.code}): "
    message = str(err)
    if message.startswith(prefix):
        return _failed(backend, message[len(prefix) :])
    lines = [line.strip() for line in (err.output or message).splitlines() if line.strip()]
    return _failed(backend, lines[-1] if lines else message)


def _failed(backend: str, last: str) -> UsageError:
    return UsageError(f"cannot read the project's metadata through its build backend {backend}: {last}")
