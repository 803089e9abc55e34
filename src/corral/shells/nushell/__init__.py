"""nushell: activation is data, since nu has no `eval`.

A JSON record `{"set": {...}, "unset": [...]}` that the helpers from `corral hook nu` (`corral-activate`,
`corral-deactivate`, the PWD hook) apply with `load-env` and `hide-env`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.shells.base import ShellBase

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.core.protocols import EnvChange

__all__ = ["NuShell", "nu_quote"]


def nu_quote(value: str) -> str:
    r"""A double-quoted nu string (backslash escapes as in JSON for `\\` and `"`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class NuShell(ShellBase):
    """nu 0.9x+/0.10x."""

    name = "nu"
    hook_template = "hook.nu"

    def quote(self, value: str) -> str:
        """Double-quoted string."""
        return nu_quote(value)

    def render(self, change: EnvChange) -> str:
        """The change as JSON for `from json`; PATH is a list, as nu keeps it."""
        set_vars: dict[str, object] = dict(change.set_vars)
        if change.path:
            set_vars["PATH"] = list(change.path)
        return json.dumps({"set": set_vars, "unset": list(change.unset_vars)}, ensure_ascii=False) + "\n"

    def command(self, argv: Sequence[str]) -> str:
        """`^"exe" "arg" ...`."""
        return "^" + " ".join(self.quote(a) for a in argv)

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """`nu -e 'source FILE'` where FILE applies the JSON change (config.nu loads first)."""
        code = (
            f"let _corral_change = ({nu_quote(init.strip())} | from json)\n"
            "load-env $_corral_change.set\nhide-env -i ...$_corral_change.unset\n"
        )
        return SubshellPlan(
            argv=[executable, "-e", "source {dir}/init.nu"], environ=dict(environ), files={"init.nu": code}
        )
