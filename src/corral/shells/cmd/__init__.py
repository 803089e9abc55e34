"""cmd.exe: one `set` per line, run by the user's FOR loop.

A child process cannot change cmd's environment, so `corral activate` prints one `set` per line for

    FOR /F "delims=" %i IN ('corral activate') DO @%i

(each line runs as it is, after cmd's `%` expansion: values are never re-expanded). The prompt is cmd's PROMPT
variable; `call set` expands the saved value at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.errors import ShellError
from corral.shells.base import ShellBase

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["CmdShell", "cmd_quote"]

_DEFAULT_PROMPT = "$P$G"


def cmd_quote(value: str) -> str:
    """Double-quote an argument (Windows file names cannot contain `"`; other values get it doubled)."""
    return '"' + value.replace('"', '""') + '"'


class CmdShell(ShellBase):
    """cmd.exe."""

    name = "cmd"

    def quote(self, value: str) -> str:
        """Double quoting."""
        return cmd_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`set "NAME=value"` (quotes around the whole assignment keep `&|<>^` literal)."""
        if '"' in value or "\n" in value:
            msg = f"cmd cannot set {name} to a value holding a double quote or a newline: {value!r}"
            raise ShellError(msg)
        return f'set "{name}={value}"'

    def unset_var(self, name: str) -> str:
        """`set "NAME="`."""
        return f'set "{name}="'

    def prompt_on(self, name: str) -> list[str]:
        """Save PROMPT once, then prefix it (`$` is PROMPT's escape, so a literal one is `$$`)."""
        label = f"({name}) ".replace("$", "$$")
        return [
            f'if not defined PROMPT set "PROMPT={_DEFAULT_PROMPT}"',
            'if not defined _CORRAL_OLD_PROMPT call set "_CORRAL_OLD_PROMPT=%PROMPT%"',
            f'call set "PROMPT={label}%_CORRAL_OLD_PROMPT%"',
        ]

    def prompt_off(self) -> list[str]:
        """Restore PROMPT."""
        return ['if defined _CORRAL_OLD_PROMPT call set "PROMPT=%_CORRAL_OLD_PROMPT%"', 'set "_CORRAL_OLD_PROMPT="']

    def hook(self, *, corral: Sequence[str]) -> str:  # noqa: ARG002 - the protocol's signature
        """Cmd has no prompt hook."""
        msg = "cmd has no prompt hook to run on cd; use `corral shell` or PowerShell's `corral hook pwsh`"
        raise ShellError(msg)

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:  # noqa: ARG002
        """`cmd /k` with the env already in its environment; PROMPT is an ordinary variable there."""
        env = dict(environ)
        name = env.get("VIRTUAL_ENV_PROMPT")
        if name and not env.get("VIRTUAL_ENV_DISABLE_PROMPT"):
            env["PROMPT"] = f"({name}) ".replace("$", "$$") + env.get("PROMPT", _DEFAULT_PROMPT)
        return SubshellPlan(argv=[executable, "/k"], environ=env, files={})
