"""Which shell started corral.

The parent process (Linux /proc, else `ps`), then `$SHELL`; on Windows the environment (cmd defines PROMPT,
PowerShell does not). The names a shell goes by come from its row in `corral.plugins.SHELLS`.

No dependency: shellingham would add the same /proc and `ps` walk; the fallbacks here cover what corral needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corral.plugins import shell_aliases, shell_programs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DetectedShell", "canonical_name", "detect_shell"]

_MAX_DEPTH = 4  # corral may sit under a wrapper (timeout, uv run, a console-script launcher)


@dataclass(frozen=True, kw_only=True, slots=True)
class DetectedShell:
    """A shell name corral knows, the program to start it with, and how it was found."""

    name: str
    executable: str | None
    source: str


def canonical_name(program: str) -> str | None:
    """`/usr/bin/zsh-5.9`, `-bash`, `pwsh.exe` -> zsh, bash, pwsh; None when unknown."""
    base = Path(program.strip().lstrip("-")).name.lower()
    # a shell may retitle its process ("xonsh --no-rc -"): the first word is the program
    base = base.split()[0] if base.split() else base
    base = base.removesuffix(".exe")
    aliases = shell_aliases()  # each shell's names, spellings and aliases, from its row in corral.plugins.SHELLS
    if base in aliases:
        return aliases[base]
    stem = base.split("-")[0].rstrip("0123456789.")
    return aliases.get(stem)


def _proc_parent(pid: int) -> tuple[int, str, str | None] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ")"
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = None
    return ppid, comm, exe


def _ps_parent(pid: int) -> tuple[int, str, str | None] | None:
    try:
        out = subprocess.run(
            ["ps", "-o", "ppid=,comm=", "-p", str(pid)], capture_output=True, text=True, timeout=2, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    ppid, _, comm = out.partition(" ")
    return (int(ppid), comm.strip(), None) if ppid.isdigit() else None


def _from_processes(start: int) -> DetectedShell | None:
    reader = _proc_parent if Path("/proc/self/stat").exists() else _ps_parent
    pid = start
    for _ in range(_MAX_DEPTH):
        if pid <= 1:
            return None
        found = reader(pid)
        if found is None:
            return None
        ppid, comm, exe = found
        name = canonical_name(comm)
        if name is not None:
            # xonsh runs as python: its exe is the interpreter, so find the program by name
            program = exe if exe and canonical_name(exe) == name else shutil.which(comm.lstrip("-"))
            return DetectedShell(name=name, executable=program, source=f"parent process {comm!r} (pid {pid})")
        pid = ppid
    return None


def _windows(environ: Mapping[str, str]) -> DetectedShell:
    if "PROMPT" in environ:
        comspec = environ.get("COMSPEC", "cmd.exe")
        return DetectedShell(name="cmd", executable=comspec, source="PROMPT is set (cmd.exe)")
    if "PSModulePath" in environ:
        program = next(filter(None, map(shutil.which, shell_programs("pwsh"))), None)
        return DetectedShell(name="pwsh", executable=program, source="PSModulePath is set (PowerShell)")
    return DetectedShell(name="cmd", executable=environ.get("COMSPEC", "cmd.exe"), source="COMSPEC")


def detect_shell(environ: Mapping[str, str] | None = None, *, parent: int | None = None) -> DetectedShell | None:
    """The user's shell, or None when nothing tells (the caller then asks for --shell)."""
    env = os.environ if environ is None else environ
    if os.name == "nt":
        return _windows(env)
    found = _from_processes(os.getppid() if parent is None else parent)
    if found is not None:
        return found
    login = env.get("SHELL")
    if login and canonical_name(login):
        return DetectedShell(name=canonical_name(login) or "", executable=login, source="$SHELL")
    return None
