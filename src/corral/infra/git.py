"""Running git on a project corral did not write: its `.git/config` is untrusted input.

A repository (a zip, a copied checkout) can ship a `.git/config` whose `core.fsmonitor`, `core.pager`, hooks or
filter drivers name a program; git runs it on an ordinary `status`/`check-ignore`/`describe`. Every git call corral
makes goes through `git_command` (or, on the stdlib-only quick path, `safe_options`), which overrides those
settings on the command line (the highest-priority source) and keeps git from prompting or writing the index.

A filter driver (`filter.<name>.clean`, `.smudge`, `.process`) has a name the repository chooses, so no fixed
override reaches it: for a command that reads the work tree's files (`describe --dirty`, `status`, `rm --cached`)
git is first asked which settings it would read there (`git config --list --name-only`: every scope, includes
followed; it starts no program), and each driver it names is emptied (an empty command is none) and made not
required. A name the command line cannot spell (an `=` in it) makes the call refused: `None`, as without git.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence

__all__ = [
    "SAFE_OVERRIDES",
    "git_command",
    "git_environ",
    "plain_git_folder",
    "safe_options",
    "spawn_output",
]

SAFE_OVERRIDES: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    f"core.hooksPath={os.devnull}",
    "core.pager=cat",
    "core.sshCommand=ssh",
    "core.askPass=",
    "core.alternateRefsCommand=",
    "credential.helper=",
    "protocol.ext.allow=never",
    "diff.external=",
    "gpg.program=false",
    "log.showSignature=false",
    "submodule.recurse=false",
    "maintenance.auto=false",
    "gc.auto=0",
)

# Commands that never read a tracked file's bytes through a filter (nor spawn a submodule's status)
_CONTENT_BLIND = frozenset({"ls-files", "check-ignore", "rev-parse", "config", "symbolic-ref", "show-ref"})
_VALUED = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})  # global options taking a value
_DRIVER_KEYS = ("clean", "smudge", "process")
_LIST_MAX_BYTES = 64 << 20  # a config listing is a few KB, an index listing ~100 bytes a file
_TIMEOUT = 10  # seconds: a listing takes milliseconds; one that waits (a planted fifo) refuses the call
_MAX_SUBMODULE_DEPTH = 4
_MAX_SUBMODULES = 64
_GITLINK_MODE = (0o160000).to_bytes(4, "big")


def git_command(args: Sequence[str], *, cwd: str | os.PathLike[str] | None = None) -> list[str] | None:
    """The argv for `git ARGS` with the repository's program-running settings overridden; None without git.

    `cwd`: the folder git will run in (default: a `-C` in `args`, else the current folder); for a command that reads
    the work tree, its repository's filter drivers are emptied too (`safe_options`). None also when a driver
    cannot be overridden.
    """
    git = shutil.which("git")
    if git is None:
        return None
    folder = os.fspath(cwd) if cwd is not None else _folder_of(args)
    options = safe_options(git, folder, os.environ, reads_files=_reads_files(args))
    return None if options is None else [git, "--no-pager", *options, *args]


def safe_options(git: str, folder: str, environ: Mapping[str, str], *, reads_files: bool = True) -> list[str] | None:
    """The `-c` options that keep git in `folder` from starting a program its repository's settings name.

    `reads_files`: the command may read tracked files (their clean filter runs, and a checked-out submodule's
    `git status`, which reads the submodule's own settings: git passes `-c` settings on to it); then git lists
    the settings it would read there, and in each such submodule, first. None when a listing fails, names a driver
    `-c` cannot override, or the submodules nest deeper or more than corral looks. Stdlib `os` only (the quick lock
    path calls it). None also when the repository holds anything but a regular file where git reads first.
    """
    if not plain_git_folder(folder):
        return None  # git would wait on a fifo its repository holds
    fixed = [part for setting in SAFE_OVERRIDES for part in ("-c", setting)]
    if not reads_files:
        return fixed
    drivers: dict[str, None] = {}
    todo, seen = [(folder, 0)], 0
    while todo:
        where, depth = todo.pop()
        seen += 1
        names = _git_output(git, [*fixed, "-C", where, "config", "--list", "--name-only", "-z"], environ)
        nested = _checked_out_submodules(git, where, fixed, environ)
        if names is None or nested is None or depth > _MAX_SUBMODULE_DEPTH or seen > _MAX_SUBMODULES:
            return None
        for name in names:
            section, _, rest = name.partition(".")
            sub, _, key = rest.rpartition(".")
            if section.lower() == "filter" and sub and key.lower() in _DRIVER_KEYS:
                if "=" in sub or not sub.isprintable():
                    return None  # `-c` splits at the first "=": such a driver cannot be emptied
                drivers[sub] = None
        todo += [(path, depth + 1) for path in nested]
    for sub in drivers:
        fixed += [part for key in _DRIVER_KEYS for part in ("-c", f"filter.{sub}.{key}=")]
        fixed += ["-c", f"filter.{sub}.required=false"]
    return fixed


def _checked_out_submodules(git: str, folder: str, fixed: list[str], environ: Mapping[str, str]) -> list[str] | None:
    """The checked-out submodules (gitlinks with a `.git`) of the work tree around `folder`; None when unknown.

    Its index file is read first: a gitlink entry holds its mode's four bytes (0o160000), so an index without
    them has none and no `git ls-files` is started.
    """
    from corral.infra.git_index import git_index_path

    index = git_index_path(folder)
    top = _work_tree_top(folder)
    if index is None or top is None:
        return []
    try:
        has_gitlink = _holds_gitlink(index)
        split = any(name.startswith("sharedindex.") for name in os.listdir(os.path.dirname(index)))
    except OSError:
        return []  # no index: nothing is tracked, no submodule status runs
    if not has_gitlink and not split:  # a split index keeps its entries in a shared file
        return []
    listed = _git_output(git, [*fixed, "-C", folder, "ls-files", "--stage", "--full-name", "-z"], environ)
    if listed is None:
        return None
    found = []
    for line in listed:
        head, _, path = line.partition("\t")
        if head.startswith("160000 ") and os.path.lexists(os.path.join(top, path, ".git")):
            found.append(os.path.join(top, path))
    return found


def _holds_gitlink(index: str) -> bool:
    """The index file holds a gitlink's mode (or is no regular file: not judged here). Raises OSError."""
    import stat

    fd = os.open(index, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a planted fifo is no wait
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return True
        tail = b""
        while chunk := os.read(fd, 1 << 20):
            if _GITLINK_MODE in tail + chunk:
                return True
            tail = chunk[-3:]
        return False
    finally:
        os.close(fd)


# Files git opens in its folder before it answers anything; one that is there but no regular file (a fifo a
# repository shipped: git blocks on it until corral's time limit) means git is not asked at all.
_READ_FIRST = ("HEAD", "config", "index", "packed-refs", "commondir", "shallow", "info/attributes", "info/grafts")


def plain_git_folder(folder: str) -> bool:  # noqa: PLR0911 - one answer per kind of file
    """The repository around `folder` holds only regular files where git reads first (`.git` a folder or a file).

    False for a `.git` that is neither (a fifo, a device) and for a fifo, device or folder in place of one of
    `_READ_FIRST` (links are followed, as git does). True without a repository (git finds none, or another above).
    """
    import stat

    top = _work_tree_top(folder)
    if top is None:
        return True
    dot_git = os.path.join(top, ".git")
    try:
        mode = os.stat(dot_git).st_mode
    except OSError:
        return True  # a dangling link: git fails at once
    if stat.S_ISREG(mode):
        return True  # a linked work tree's or submodule's pointer file: its folder is elsewhere
    if not stat.S_ISDIR(mode):
        return False
    for name in _READ_FIRST:
        try:
            mode = os.stat(os.path.join(dot_git, name)).st_mode
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if not stat.S_ISREG(mode):
            return False
    return True


def _work_tree_top(folder: str) -> str | None:
    """The folder holding the nearest `.git` (a folder or a file) at or above `folder`, or None."""
    current = os.path.abspath(folder)
    while not os.path.lexists(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return current


def _reads_files(args: Sequence[str]) -> bool:
    """The git subcommand in `args` (past global options) may read tracked files' contents."""
    rest = list(args)
    while rest:
        head = rest.pop(0)
        if head in _VALUED:
            rest = rest[1:]
        elif not head.startswith("-"):
            return head not in _CONTENT_BLIND
    return True


def _folder_of(args: Sequence[str]) -> str:
    """The folder `git ARGS` runs in: the last `-C` before the subcommand (relative ones chain), else here."""
    folder = os.getcwd()
    rest = list(args)
    while rest and rest[0].startswith("-"):
        head, rest = rest[0], rest[1:]
        if head == "-C" and rest:
            folder = os.path.join(folder, rest[0])
        if head in _VALUED:
            rest = rest[1:]
    return folder


def _git_output(git: str, args: list[str], environ: Mapping[str, str]) -> list[str] | None:
    """`git ARGS`'s NUL-separated output (`-z`), None when git fails or says too much."""
    argv = [git, "--no-pager", *args]
    if not hasattr(os, "posix_spawn"):  # Windows
        import subprocess

        try:
            done = subprocess.run(argv, capture_output=True, env=git_environ(environ), check=False, timeout=_TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0 or len(done.stdout) > _LIST_MAX_BYTES:
            return None
        return [name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name]
    ran = spawn_output(git, argv, git_environ(environ), limit=_LIST_MAX_BYTES)
    if ran is None or ran[0] != 0:
        return None
    return [name for name in ran[1].decode("utf-8", "surrogateescape").split("\0") if name]


def spawn_output(
    program: str, argv: list[str], environ: Mapping[str, str], *, limit: int, timeout: float | None = None
) -> tuple[int, bytes] | None:
    """(exit status, output) of `argv` run by `program` (POSIX: os.posix_spawn; stdin and stderr the null device).

    None when it did not exit normally, wrote more than `limit` bytes, or ran past `timeout` seconds (default
    `_TIMEOUT`; then it is killed: a planted `include.path` naming a fifo makes git wait for ever). Stdlib `os`,
    `select`, `signal`, `time` only: `cli.lock_quick` runs `git describe` through it before anything else.
    """
    import select
    import signal
    import time

    read, write = os.pipe()
    try:
        null = os.open(os.devnull, os.O_RDWR)
        try:
            actions = [
                (os.POSIX_SPAWN_DUP2, null, 0),
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_DUP2, null, 2),
                (os.POSIX_SPAWN_CLOSE, read),
            ]
            pid = os.posix_spawn(program, argv, dict(environ), file_actions=actions)
        finally:
            os.close(null)
            os.close(write)
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + (_TIMEOUT if timeout is None else timeout)
        while True:
            ready, _, _ = select.select([read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
    finally:
        os.close(read)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or size > limit:
        return None
    return os.WEXITSTATUS(status), b"".join(chunks)


# What points git at another repository than the one around the folder it is asked about (`git rev-parse
# --local-env-vars`): a hook or a shell that set GIT_DIR would make corral ask the wrong repository.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
)


def git_environ(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus what keeps git quiet and read-only (no prompts, no optional index writes, no pager).

    Without the variables that point git at another repository than the one it finds from the folder.
    """
    env = {k: v for k, v in base.items() if k not in _REPOSITORY_VARIABLES}
    return {**env, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_EXTERNAL_DIFF": ""}
