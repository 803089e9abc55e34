"""A fresh `corral lock`'s `uv lock`, begun before the command line is parsed, from the last lock's plan.

The plan of a plain lock (`remember`, once its `uv lock` succeeded) is what `UvResolver.start` gave uv: the
temporary project's pyproject.toml and preferences (uv.lock) texts and uv's argv (its `--project` folder left
out). It is recorded in corral's cache (`<cache>/lock-headstarts/<hash of the project's path>.txt`, the user's own
private file, replaced atomically) beside the SHA-256 of pyproject.toml's bytes and the state of pylock.toml
(absent, or the SHA-256 of its bytes) that lock started from, and the digest of the settings that chose its index
URLs and interpreter (`settings_digest`): one line each, the texts and every argument written with Python's
`unicode_escape` (one ASCII line each, read back exactly without importing json). `cli.lock_quick.answer`, when a
plain `corral lock` is no no-op, finds all three as recorded and calls `begin`: a
temporary project (`uv_workdir.make`) with the recorded texts, and the recorded `uv lock` started there with the
environment the resolver gives uv (`infra.environ.resolver_environ`), while this process goes on importing and
parsing. The upcoming record (`remember(upcoming=True)`, a file of its own beside it) holds the plan a lock of the
project as the last lock, add or remove left it gives uv (the preferences of the lock just written), with the
SHA-256 of both files as written: `cli.lock_quick.add_head_start` begins a plain `corral add`'s lock from it.
On Linux uv is started with `os.posix_spawn`, its output in memory files (`Spawned`: what the resolver needs of a
Popen, without importing subprocess, contextlib, locale and re before uv starts); elsewhere by Popen.

The full path stays the judge: `UvResolver.start` builds its own plan and `take`s the live head start only when its
texts, its argv (but the folder) and its environment are the very ones (then uv's outcome is the one its own `uv
lock` would give, as the same command in an identical folder); anything else is discarded (uv killed and waited
for, its folder removed) before it makes its own. One never taken is discarded at exit. A recorded plan only
decides what is started early, never what is locked.
"""

from __future__ import annotations

import os
import sys

from corral import __version__

TYPE_CHECKING = False  # typing is not imported on this path; mypy reads this name as typing's
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence

    from corral.resolvers.uv_workdir import Workdir

__all__ = [
    "HEADER",
    "PROJECT_AT",
    "RECORDS_FOLDER",
    "Spawned",
    "begin",
    "lock_state",
    "record_path",
    "remember",
    "running",
    "settings_digest",
    "take",
    "upcoming_text",
]

RECORDS_FOLDER = "lock-headstarts"
HEADER = f"corral-lock-headstart 3 {__version__}"  # 3: the settings' digest
PROJECT_AT = 3  # uv's argv: [uv, "lock", "--project", FOLDER, ...]
_ABSENT = "absent"
_LIMIT = 1 << 20  # a record holds a pyproject and the pins: never a megabyte
# What chooses a plain lock's index URLs and interpreter besides pyproject.toml (`settings_digest`): corral's settings,
# uv's and pip's variables (the index URLs: services.lock_inputs), discovery's (PATH, pyenv's, uv's and XDG folders)
_SETTINGS_PREFIXES = ("CORRAL_", "UV_", "PIP_", "PYENV_", "XDG_")
_SETTINGS_NAMES = ("PATH", "HOME")
_NOT_SETTINGS = ("CORRAL_FAULT", "CORRAL_FAULT_LOG")  # crash-test hooks (infra.faults): they choose nothing


class _Live:
    """A head start under way: its folder, its process and the plan it was started from."""

    __slots__ = ("argv", "child", "environ", "preferences", "pyproject", "workdir")

    def __init__(
        self,
        workdir: Workdir,
        child: subprocess.Popen[str] | Spawned,
        plan: tuple[str, str | None, list[str]],
        environ: dict[str, str],
    ) -> None:
        self.workdir, self.child, self.environ = workdir, child, environ
        self.pyproject, self.preferences, self.argv = plan


_live: list[_Live] = []  # at most one


def record_path(cache: str, project: str, *, upcoming: bool = False) -> str:
    """The record of the project at `project` (its path as the lock's context spells it).

    `upcoming`: the record of the plan a lock of the project as it is now would give uv (`remember`'s `upcoming`).
    """
    from corral.infra.sha256 import hexdigest

    key = f"{_UPCOMING}{project}" if upcoming else project
    name = hexdigest(key.encode("utf-8", "surrogateescape"))[:32]
    return os.path.join(cache, RECORDS_FOLDER, f"{name}.txt")


_UPCOMING = "upcoming\0"  # the upcoming plan's record is named from this and the project's path


def lock_state(lock_bytes: bytes | None) -> str:
    """How a record names pylock.toml's state: `absent`, or the SHA-256 of its bytes."""
    if lock_bytes is None:
        return _ABSENT
    from corral.infra.sha256 import hexdigest

    return hexdigest(lock_bytes)


def settings_digest(project: str, config_file: str, environ: Mapping[str, str]) -> str:
    """The SHA-256 of what chooses a plain lock's `--index-url`s and `--python` besides pyproject.toml.

    The variables corral's settings, uv's and pip's indexes and discovery read (none that holds a credential:
    `infra.credential_vars`), the stat of corral's config file `config_file` and of every `.python-version` at or
    above `project` (or their absence). A head start is begun only when it equals the record's: else the recorded
    `uv lock` would ask the index the user moved away from (and build its sdists there) or start the interpreter the
    settings no longer name, before the full path discards it.
    """
    from corral.infra.credential_vars import is_credential
    from corral.infra.sha256 import hexdigest

    parts = [
        f"environ {k}={v}"
        for k, v in sorted(environ.items())
        if (k.startswith(_SETTINGS_PREFIXES) or k in _SETTINGS_NAMES)
        and k not in _NOT_SETTINGS
        and not is_credential(k)
    ]
    parts.append(_stat_part("config", config_file))
    folder = project
    while True:
        parts.append(_stat_part("pin", os.path.join(folder, ".python-version")))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return hexdigest("\0".join(parts).encode("utf-8", "surrogateescape"))


def _stat_part(label: str, path: str) -> str:
    try:
        st = os.stat(path)
    except OSError as err:
        return f"{label} !{err.errno} {path}"
    return f"{label} {st.st_dev} {st.st_ino} {st.st_mode} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {path}"


def remember(
    cache: str,
    project: str,
    *,
    pyproject_bytes: bytes,
    lock_bytes: bytes | None,
    settings: str,
    plan: tuple[str, str | None, Sequence[str]],
    upcoming: bool = False,
) -> None:
    """Record `plan` (pyproject text, preferences text, argv) of a plain lock of `project`; never fails.

    `pyproject_bytes` and `lock_bytes` are the project's files the plan is for: those a plain lock started from, or
    with `upcoming`, those a lock, add or remove just committed, the plan then being what a lock of them gives uv
    (the preferences of the lock just written): what `corral add` begins from (`cli.lock_quick.add_head_start`).
    `settings`: the `settings_digest` the lock was planned with.
    """
    from corral.infra.sha256 import hexdigest

    pyproject, preferences, argv = plan
    lines = [
        HEADER,
        f"project {project}",
        f"pyproject {hexdigest(pyproject_bytes)}",
        f"lock {lock_state(lock_bytes)}",
        f"settings {settings}",
        f"text {_escaped(pyproject)}",
        _NO_PREFERENCES if preferences is None else f"preferences {_escaped(preferences)}",
        *(f"argv {_escaped(arg)}" for arg in argv),
        "end",
    ]
    text = "\n".join(lines)
    if len(text) > _LIMIT or not project.isprintable() or any("@" in arg for arg in argv) or _with_credentials(text):
        return  # an index URL with credentials (user:token@host) is never written to a file (cli.quick.secretless)
    _write(record_path(cache, project, upcoming=upcoming), text)


def _with_credentials(text: str) -> bool:
    """A URL with a user part (`https://user:token@host`) in `text`: the project's `[tool.uv]` index, copied."""
    start = text.find("://")
    while start >= 0:
        end = start + 3
        while end < len(text) and text[end] not in "/\"' \n@":
            end += 1
        if end < len(text) and text[end] == "@":
            return True
        start = text.find("://", end)
    return False


def _write(target: str, text: str) -> None:
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.corral-.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, text.encode("utf-8", "surrogateescape"))
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except (OSError, UnicodeEncodeError):
        try:  # noqa: SIM105 - contextlib is not loaded on this path
            os.unlink(tmp)
        except OSError:
            pass


def _escaped(text: str) -> str:
    """`text` as one line of printable ASCII (`unicode_escape`: backslashes, newlines, all but ASCII escaped)."""
    return text.encode("unicode_escape").decode("ascii")


def _unescaped(line: str) -> str:
    """What `_escaped` wrote (UnicodeError for anything it cannot have written)."""
    return line.encode("ascii").decode("unicode_escape")


_NO_PREFERENCES = "no-preferences"


def parse(lines: Sequence[str], project: str) -> tuple[str, str, str, tuple[str, str | None, list[str]]] | None:
    """(pyproject's SHA-256, pylock.toml's state, the settings' digest, the plan) of a record's lines.

    Its header and end taken off.
    """
    head = ("project ", "pyproject ", "lock ", "settings ", "text ")
    if len(lines) < len(head) + 1 + PROJECT_AT or lines[0] != f"project {project}":
        return None
    if not all(line.startswith(label) for line, label in zip(lines, head, strict=False)):
        return None
    pyproject_sha = lines[1].removeprefix("pyproject ")
    state = lines[2].removeprefix("lock ")
    settings = lines[3].removeprefix("settings ")
    given = lines[5]
    if given != _NO_PREFERENCES and not given.startswith("preferences "):
        return None
    if not all(line.startswith("argv ") for line in lines[6:]):
        return None
    try:
        text = _unescaped(lines[4].removeprefix("text "))
        preferences = None if given == _NO_PREFERENCES else _unescaped(given.removeprefix("preferences "))
        argv = [_unescaped(line.removeprefix("argv ")) for line in lines[6:]]
    except UnicodeError:
        return None
    return pyproject_sha, state, settings, (text, preferences, argv)


def begin(
    plan: tuple[str, str | None, list[str]],
    environ: Mapping[str, str],
    project: str,
    *,
    vouched: str | None = None,
) -> bool:
    """Start the recorded `uv lock` of `plan` in a new temporary project; False when not started.

    Not started: another program than corral's own uv, or an interpreter that is not a base one outside `project`
    (`_base_outside`: uv runs the one it is given, and only the full path may judge an env's, `services.exec_guard`),
    unless it is `vouched`: the project env's python, which the caller proved the full path chooses and may start
    (`cli.lock_quick.add_head_start`: the quick lock record's verdict, as `corral lock` takes it).
    """
    from corral.infra.environ import indexes_in_environ, resolver_environ
    from corral.infra.faults import checkpoint
    from corral.infra.uvbin import uv_binary
    from corral.resolvers import uv_workdir

    pyproject, preferences, argv = plan
    if _live or argv[:PROJECT_AT] != [uv_binary(), "lock", "--project"]:
        return False  # only corral's own uv, as the resolver starts it
    if not (_base_outside(argv, project) or (vouched is not None and _pythons(argv) == [vouched])):
        return False  # a base interpreter outside the project, or the env's python the caller vouched for
    env = resolver_environ(environ)
    workdir = uv_workdir.make()
    try:
        for name, text in (("pyproject.toml", pyproject), ("uv.lock", preferences)):
            if text is not None:  # as Path.write_text writes them (the resolver's way), without importing pathlib
                with open(os.path.join(workdir.folder, name), "w", encoding="utf-8") as handle:
                    handle.write(text)
        cmd = [*argv[:PROJECT_AT], workdir.folder, *argv[PROJECT_AT:]]
        checkpoint("engine:uv lock")  # as the resolver marks it (the reliability suite kills the process here)
        child = _start(*indexes_in_environ(cmd, env))  # as the resolver starts it: index URLs in the environment
    except BaseException:
        workdir.remove()
        raise
    _live.append(_Live(workdir, child, (pyproject, preferences, cmd), env))
    import atexit

    atexit.register(discard)
    return True


def running() -> bool:
    """A head start was begun in this process and not yet taken or discarded."""
    return bool(_live)


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str] | Spawned:
    """`cmd` started as the resolver starts uv (its output captured as text); `Spawned` on Linux, else a Popen."""
    if sys.platform.startswith("linux") and hasattr(os, "memfd_create") and os.path.isabs(cmd[0]):
        return Spawned.start(cmd, env)
    import subprocess

    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")


# Linux's numbers (`Spawned` runs there only; the signal module would import enum before uv starts)
_SIGKILL = 9
_SIGPIPE = 13
_SIGXFSZ = 25


class Spawned:
    """A program started by `os.posix_spawn`, its stdout and stderr in memory files, used as a text-mode Popen.

    The subset of `Popen(stdout=PIPE, stderr=PIPE, text=True, errors="replace")` that `resolvers.uv.Resolving` and
    `discard` use. As Popen does for it: SIGPIPE and SIGXFSZ back to their default in the child (Python ignores
    both), no file descriptor but 0, 1 and 2 inherited (close_fds), the output decoded with the locale's encoding and
    universal newlines. A memory file never fills, so nothing has to be read while the program runs; `communicate`
    waits for it, then reads both. `kill` signals only a process not yet waited for (whose pid cannot have been reused).
    """

    __slots__ = ("_streams", "args", "pid", "returncode")

    def __init__(self, args: list[str], pid: int, streams: tuple[int, int]) -> None:
        self.args, self.pid, self._streams = args, pid, streams
        self.returncode: int | None = None

    @classmethod
    def start(cls, args: list[str], env: dict[str, str]) -> Spawned:
        """`args` started with `env`, in this process's folder, stdin inherited (OSError when it cannot start)."""
        out = os.memfd_create("corral-uv-stdout")
        err = -1
        try:
            err = os.memfd_create("corral-uv-stderr")
            actions: list[tuple[int, ...]] = [(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
            actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_fds()]
            pid = os.posix_spawn(args[0], args, env, file_actions=actions, setsigdef=(_SIGPIPE, _SIGXFSZ))
        except BaseException:
            os.close(out)
            if err != -1:
                os.close(err)
            raise
        return cls(args, pid, (out, err))

    def wait(self) -> int:
        """The exit code (a signal's as its negative number), once the program ended."""
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def communicate(self) -> tuple[str, str]:
        """(stdout, stderr) once the program ended, as text."""
        self.wait()
        return self._text(0), self._text(1)

    def kill(self) -> None:
        """SIGKILL, unless the program was waited for already."""
        if self.returncode is None:
            try:  # noqa: SIM105 - contextlib is not loaded on this path
                os.kill(self.pid, _SIGKILL)
            except ProcessLookupError:
                pass

    def _text(self, which: int) -> str:
        fd = self._streams[which]
        if fd == -1:
            return ""
        chunks = []
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        import locale

        text = b"".join(chunks).decode(locale.getpreferredencoding(False), "replace")  # as Popen decodes
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def close(self) -> None:
        """Let go of the memory files."""
        out, err = self._streams
        self._streams = (-1, -1)
        for fd in (out, err):
            if fd != -1:
                os.close(fd)

    def __enter__(self) -> Spawned:  # noqa: PYI034 - typing is not loaded on this path
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.wait()
        finally:
            self.close()


def _inherited_fds() -> list[int]:
    """The file descriptors above 2 a program started now would inherit (Popen's close_fds closes them)."""
    found = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    for name in names:
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):  # noqa: PLR2004 - past stdin, stdout, stderr
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed since
            continue
    return found


def _base_outside(argv: Sequence[str], project: str) -> bool:
    """The argv names its interpreter (`--python PATH`), a base one (no pyvenv.cfg above it) outside `project`."""
    paths = _pythons(argv)
    if len(paths) != 1 or not os.path.isabs(paths[0]):
        return False
    root = os.path.realpath(project)
    for path in (paths[0], os.path.realpath(paths[0])):
        inside = os.path.commonpath([root, path]) == root
        if inside or os.path.lexists(os.path.join(os.path.dirname(os.path.dirname(path)), "pyvenv.cfg")):
            return False
    return True


def upcoming_text(cache: str, project: str) -> str | None:
    """The temporary project's text in `project`'s upcoming record (what its last lock, add or remove resolved).

    None when there is none or it cannot be read. Only a hint: it decides no lock (`resolvers.uv`).
    """
    path = record_path(cache, project, upcoming=True)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        data = os.read(fd, _LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if len(data) > _LIMIT or len(lines) < 3 or lines[0] != HEADER or lines[-1] != "end":  # noqa: PLR2004
        return None
    found = parse(lines[1:-1], project)
    return None if found is None else found[3][0]


def _pythons(argv: Sequence[str]) -> list[str]:
    """The interpreters the argv names (`--python PATH`)."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--python"]


def take(
    pyproject: str, preferences: str | None, argv: Sequence[str], environ: Mapping[str, str] | None
) -> tuple[Workdir, subprocess.Popen[str] | Spawned, list[str]] | None:
    """The live head start when it runs exactly this plan (`argv` without the folder): its folder, process, argv.

    Else None, and a live one is discarded first (its uv killed and waited for, its folder removed).
    """
    if not _live:
        return None
    live = _live[0]
    own = [*live.argv[:PROJECT_AT], *live.argv[PROJECT_AT + 1 :]]
    if (
        environ is not None
        and live.pyproject == pyproject
        and live.preferences == preferences
        and own == [*argv]
        and live.environ == dict(environ)
    ):
        _live.clear()
        from corral.infra.headstart import log

        log("lock-headstart:adopted")
        return live.workdir, live.child, live.argv
    discard()
    return None


def discard() -> None:
    """End a head start no one took: uv killed and waited for, its temporary project removed."""
    while _live:
        live = _live.pop()
        try:
            live.child.kill()
            live.child.communicate()
        except OSError:
            pass
        finally:
            if isinstance(live.child, Spawned):
                live.child.close()
            live.workdir.remove()
