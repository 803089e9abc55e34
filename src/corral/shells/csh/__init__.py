"""csh/tcsh: `setenv`, one-line statements (backtick evaluation joins lines), a private HOME for the subshell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.errors import ShellError
from corral.shells.base import ShellBase, read_template

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["TcshShell", "csh_quote"]


def csh_quote(value: str) -> str:
    """Single-quote for csh: `'` and `!` (history) are closed out and escaped.

    A newline cannot be expressed: csh's backtick evaluation (`eval "`corral activate`"`) joins lines, so
    ShellError says so and names the value (an env path or a variable holding one).
    """
    if "\n" in value or "\r" in value:
        msg = (
            f"tcsh/csh cannot express a value holding a line break: {value!r}; "
            "move the env to a path without one (or use bash, zsh, fish or PowerShell)"
        )
        raise ShellError(msg)
    return "'" + value.replace("'", "'\\''").replace("!", "'\\!'") + "'"


class TcshShell(ShellBase):
    """tcsh (and csh, which shares the syntax used here)."""

    name = "tcsh"
    hook_template = "hook.tcsh"
    terminator = " ;"

    def quote(self, value: str) -> str:
        """Csh single quoting."""
        return csh_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`setenv NAME 'value'`."""
        return f"setenv {name} {self.quote(value)}"

    def unset_var(self, name: str) -> str:
        """`unsetenv NAME`."""
        return f"unsetenv {name}"

    def prompt_on(self, name: str) -> list[str]:
        """Save $prompt once and prefix it (guarded by eval: csh expands a whole `if` line before testing)."""
        save = "if ( $?prompt && ! $?_CORRAL_OLD_PROMPT ) eval 'set _CORRAL_OLD_PROMPT=\"$prompt:q\"'"
        # `name` is sanitised by the activation service (no quotes, `$` or `!`), so it sits inside the quotes as is.
        apply = (
            "if ( $?_CORRAL_OLD_PROMPT && ! $?VIRTUAL_ENV_DISABLE_PROMPT ) "
            f"eval 'set prompt=\"({name}) $_CORRAL_OLD_PROMPT:q\"'"
        )
        return [save, apply]

    def prompt_off(self) -> list[str]:
        """Restore $prompt."""
        return ["if ( $?_CORRAL_OLD_PROMPT ) eval 'set prompt=\"$_CORRAL_OLD_PROMPT:q\"; unset _CORRAL_OLD_PROMPT'"]

    def rehash(self) -> list[str]:
        """`rehash`."""
        return ["rehash"]

    def deactivate_on(self, corral: Sequence[str]) -> list[str]:
        """An alias `deactivate` evaluating `corral deactivate --shell tcsh`.

        The command sits in a list variable, as the hook keeps its own: no quoting nested in the alias.
        """
        return [
            f"set _corral_deactivate = ( {self.command(corral)} )",
            "alias deactivate 'eval \"`$_corral_deactivate:q deactivate --shell tcsh`\"'",
        ]

    def deactivate_off(self) -> list[str]:
        """Remove corral's `deactivate` alias (a venv script's own, or the user's, stays)."""
        return [
            "if ( $?_corral_deactivate ) unalias deactivate",
            "if ( $?_corral_deactivate ) unset _corral_deactivate",
        ]

    def command(self, argv: Sequence[str]) -> str:
        """Argv for the hook's alias (stored in a list variable, so no nested quoting)."""
        return " ".join(self.quote(a) for a in argv)

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """Tcsh has no --rcfile: a private HOME whose .tcshrc restores HOME, sources the user's rc, activates."""
        env = dict(environ)
        env["_CORRAL_USER_HOME"] = environ.get("HOME", "")
        env["HOME"] = "{dir}"
        return SubshellPlan(
            argv=[executable, "-i"], environ=env, files={".tcshrc": read_template(__name__, "rc.tcsh") + init}
        )
