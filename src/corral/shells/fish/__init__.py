"""fish: lists for PATH, a wrapped fish_prompt, `--init-command` for the subshell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.shells.base import ShellBase

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["FishShell", "fish_quote"]


def fish_quote(value: str) -> str:
    """Single-quote for fish: inside '...' only backslash and quote are special."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class FishShell(ShellBase):
    """fish 3.x."""

    name = "fish"
    hook_template = "hook.fish"

    def quote(self, value: str) -> str:
        """Fish single quoting."""
        return fish_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`set -gx NAME 'value'`."""
        return f"set -gx {name} {self.quote(value)}"

    def unset_var(self, name: str) -> str:
        """`set -e NAME`."""
        return f"set -e {name}"

    def set_path(self, entries: Sequence[str], sep: str) -> str:  # noqa: ARG002 - fish PATH is a list
        """PATH as a list."""
        return "set -gx PATH " + " ".join(self.quote(e) for e in entries)

    def prompt_on(self, name: str) -> list[str]:
        """Keep the user's fish_prompt as _corral_old_fish_prompt and prefix it."""
        return [
            "if not set -q VIRTUAL_ENV_DISABLE_PROMPT; and functions -q fish_prompt",
            "    if not functions -q _corral_old_fish_prompt",
            "        functions -c fish_prompt _corral_old_fish_prompt",
            "    end",
            f"    function fish_prompt; printf '%s' {self.quote(f'({name}) ')}; _corral_old_fish_prompt; end",
            "end",
        ]

    def prompt_off(self) -> list[str]:
        """Put the user's fish_prompt back."""
        return [
            "if functions -q _corral_old_fish_prompt",
            "    functions -e fish_prompt",
            "    functions -c _corral_old_fish_prompt fish_prompt",
            "    functions -e _corral_old_fish_prompt",
            "end",
        ]

    def deactivate_on(self, corral: Sequence[str]) -> list[str]:
        """A global `deactivate` function that sources `corral deactivate --shell fish`, marked as corral's."""
        run = self.command([*corral, "deactivate", "--shell", "fish"])
        return [f"function deactivate; {run} | source; end", "set -g _corral_deactivate 1"]

    def deactivate_off(self) -> list[str]:
        """Remove corral's `deactivate` (a venv script's own, or the user's, stays)."""
        return ["if set -q _corral_deactivate", "    functions -e deactivate", "    set -e _corral_deactivate", "end"]

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """`fish -i -C 'source FILE'`: init commands run after config.fish."""
        return SubshellPlan(
            argv=[executable, "-i", "-C", "source {dir}/init.fish"], environ=dict(environ), files={"init.fish": init}
        )
