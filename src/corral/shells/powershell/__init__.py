"""PowerShell (pwsh 7 and Windows PowerShell 5.1): `$env:` assignments, a wrapped prompt function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.shells.base import ShellBase

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["PowerShell", "ps_quote"]

# PowerShell treats the typographic single quotes as quote characters too; each is escaped by doubling.
_PS_SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


def ps_quote(value: str) -> str:
    """A verbatim single-quoted string: nothing inside is expanded; quote characters are doubled."""
    for q in _PS_SINGLE_QUOTES:
        value = value.replace(q, q + q)
    return "'" + value + "'"


class PowerShell(ShellBase):
    """pwsh / powershell."""

    name = "pwsh"
    hook_template = "hook.ps1"

    def quote(self, value: str) -> str:
        """Verbatim single quoting."""
        return ps_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`$env:NAME = 'value'`."""
        return f"$env:{name} = {self.quote(value)}"

    def unset_var(self, name: str) -> str:
        """Remove the variable (silently when absent)."""
        return f"Remove-Item -LiteralPath env:{name} -ErrorAction SilentlyContinue"

    def prompt_on(self, name: str) -> list[str]:
        """Keep the user's prompt as _corral_old_prompt and prefix it."""
        return [
            "if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {",
            (
                "  if (-not (Test-Path function:global:_corral_old_prompt)) {"
                " Copy-Item function:global:prompt function:global:_corral_old_prompt }"
            ),
            f"  function global:prompt {{ Write-Host -NoNewline {self.quote(f'({name}) ')}; _corral_old_prompt }}",
            "}",
        ]

    def prompt_off(self) -> list[str]:
        """Put the user's prompt back."""
        return [
            "if (Test-Path function:global:_corral_old_prompt) {",
            "  Copy-Item function:global:_corral_old_prompt function:global:prompt -Force",
            "  Remove-Item function:global:_corral_old_prompt",
            "}",
        ]

    def command(self, argv: Sequence[str]) -> str:
        """`& 'exe' 'arg' ...`."""
        return "& " + " ".join(self.quote(a) for a in argv)

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """`pwsh -NoExit -Command . FILE`: the profile loads first, then the file."""
        return SubshellPlan(
            argv=[executable, "-NoLogo", "-NoExit", "-Command", ". '{dir}/init.ps1'"],
            environ=dict(environ),
            files={"init.ps1": init},
        )
