"""xonsh: Python literals for values, `$PATH` as a list; xonsh's own prompt shows {env_name} already."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.protocols import SubshellPlan
from corral.shells.base import ShellBase

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["XonshShell", "xonsh_quote"]

_USER_RCS = ("/etc/xonsh/xonshrc", "/etc/xonshrc", "~/.config/xonsh/rc.xsh", "~/.xonshrc")


def xonsh_quote(value: str) -> str:
    """A Python string literal (xonsh parses Python)."""
    return repr(value)


class XonshShell(ShellBase):
    """xonsh 0.1x."""

    name = "xonsh"
    hook_template = "hook.xsh"

    def quote(self, value: str) -> str:
        """Python literal."""
        return xonsh_quote(value)

    def set_var(self, name: str, value: str) -> str:
        """`$NAME = 'value'`."""
        return f"${name} = {self.quote(value)}"

    def unset_var(self, name: str) -> str:
        """Remove from the environment when present."""
        return f"${{...}}.pop({self.quote(name)}, None)"

    def set_path(self, entries: Sequence[str], sep: str) -> str:  # noqa: ARG002 - xonsh PATH is a list
        """`$PATH = [...]`."""
        return "$PATH = [" + ", ".join(self.quote(e) for e in entries) + "]"

    def deactivate_on(self, corral: Sequence[str]) -> list[str]:
        """An alias `deactivate`: a function (its name marks it as corral's) running `corral deactivate`."""
        argv = "[" + ", ".join(self.quote(a) for a in corral) + "]"
        return [
            "def _corral_deactivate(args=None, stdin=None):",
            f"    execx($(@({argv}) deactivate --shell xonsh))",
            "aliases['deactivate'] = _corral_deactivate",
        ]

    def deactivate_off(self) -> list[str]:
        """Remove corral's `deactivate` alias (a venv script's own, or the user's, stays)."""
        return [
            "if getattr(aliases.get('deactivate'), '__name__', '') == '_corral_deactivate':",
            "    del aliases['deactivate']",
        ]

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """`xonsh -i --rc USER_RCS... INIT`: --rc replaces the default list, so the user's files come first."""
        home = environ.get("HOME", "~")
        rcs = [p.replace("~", home, 1) for p in _USER_RCS]
        rcs = [p for p in rcs if Path(p).is_file()]
        return SubshellPlan(
            argv=[executable, "-i", "--rc", *rcs, "{dir}/init.xsh"], environ=dict(environ), files={"init.xsh": init}
        )
