"""POSIX shells: bash, zsh, ksh and sh share one language for (de)activation; each has its own hook and rc trick."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.shells.base import ShellBase, read_template

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["BashShell", "KshShell", "ShShell", "ZshShell", "posix_quote"]


def posix_quote(value: str) -> str:
    """Single-quote `value` for any POSIX shell (the only escape needed is for `'` itself)."""
    if value and all(c.isalnum() or c in "@%+=:,./-_" for c in value) and value.isascii():
        return value
    return "'" + value.replace("'", "'\\''") + "'"


class ShShell(ShellBase):
    """POSIX sh (dash, busybox): the common subset the other three build on."""

    name = "sh"
    hook_template = "hook.ksh"

    def quote(self, value: str) -> str:
        """POSIX single quoting."""
        return posix_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`export NAME='value'`."""
        return f"export {name}={self.quote(value)}"

    def unset_var(self, name: str) -> str:
        """`unset NAME`."""
        return f"unset {name}"

    def prompt_on(self, name: str) -> list[str]:
        """Save PS1 once, then prefix it."""
        return [
            'if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT-}" ]; then',
            '  if [ -z "${_CORRAL_OLD_PS1+x}" ]; then _CORRAL_OLD_PS1="${PS1-}"; fi',
            f'  PS1={self.quote(f"({name}) ")}"$_CORRAL_OLD_PS1"',
            "fi",
        ]

    def prompt_off(self) -> list[str]:
        """Restore the saved PS1."""
        return ['if [ -n "${_CORRAL_OLD_PS1+x}" ]; then PS1="$_CORRAL_OLD_PS1"; unset _CORRAL_OLD_PS1; fi']

    def rehash(self) -> list[str]:
        """`hash -r` (ignored where unsupported)."""
        return ["hash -r 2>/dev/null || true"]

    def deactivate_on(self, corral: Sequence[str]) -> list[str]:
        """`deactivate() { eval "$(corral deactivate --shell NAME)"; }`, marked as corral's by `_corral_deactivate`."""
        run = self.command([*corral, "deactivate", "--shell", self.name])
        return [f'deactivate() {{ eval "$({run})"; }}', "_corral_deactivate=1"]

    def deactivate_off(self) -> list[str]:
        """Remove corral's `deactivate` (a venv script's own, or the user's, stays)."""
        return ['if [ -n "${_corral_deactivate-}" ]; then unset -f deactivate; unset _corral_deactivate; fi']

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """Sh reads `$ENV` when interactive: point it at a file that sources the user's one first."""
        rc = 'if [ -n "${_CORRAL_USER_ENV-}" ] && [ -f "$_CORRAL_USER_ENV" ]; then . "$_CORRAL_USER_ENV"; fi\n'
        env = dict(environ)
        env["_CORRAL_USER_ENV"] = environ.get("ENV", "")
        env["ENV"] = "{dir}/rc.sh"
        return SubshellPlan(argv=[executable, "-i"], environ=env, files={"rc.sh": rc + init})


class KshShell(ShShell):
    """ksh93/mksh: `$ENV` for the subshell (default ~/.kshrc), a `cd` wrapper as the hook."""

    name = "ksh"
    hook_template = "hook.ksh"

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """Like sh, but the user's file defaults to ~/.kshrc."""
        plan = super().subshell(executable=executable, init=init, environ=environ)
        if not environ.get("ENV"):
            plan.environ["_CORRAL_USER_ENV"] = environ.get("HOME", "~") + "/.kshrc"
        return plan


class BashShell(ShShell):
    """bash: `--rcfile` for the subshell, PROMPT_COMMAND for the hook."""

    name = "bash"
    hook_template = "hook.bash"

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """`bash --rcfile RC -i` where RC sources ~/.bashrc, then activates."""
        rc = read_template(__name__, "rc.bash")
        return SubshellPlan(
            argv=[executable, "--rcfile", "{dir}/rc.bash", "-i"], environ=dict(environ), files={"rc.bash": rc + init}
        )


class ZshShell(ShShell):
    """zsh: a private ZDOTDIR for the subshell, a precmd function for the hook."""

    name = "zsh"
    hook_template = "hook.zsh"

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """ZDOTDIR=private folder whose .zshenv/.zshrc chain to the user's, then activate."""
        env = dict(environ)
        env["_CORRAL_USER_ZDOTDIR"] = environ.get("ZDOTDIR") or environ.get("HOME", "")
        env["ZDOTDIR"] = "{dir}"
        files = {
            ".zshenv": read_template(__name__, "zshenv.zsh"),
            ".zshrc": read_template(__name__, "zshrc.zsh") + init,
        }
        return SubshellPlan(argv=[executable, "-i"], environ=env, files=files)
