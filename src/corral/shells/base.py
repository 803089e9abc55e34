"""Shared pieces of the shell plugins: template loading and the (de)activation skeleton."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from corral.core.protocols import EnvChange, SubshellPlan

__all__ = ["ShellBase", "read_template", "running_corral"]


def read_template(module: str, name: str) -> str:
    """The template file `name` stored next to the module `module`."""
    folder = Path(sys.modules[module].__file__ or ".").parent
    return (folder / name).read_text(encoding="utf-8")


def running_corral() -> list[str]:
    """The command that runs this corral again: the `corral` program that started it, else `python -m corral`.

    What a `deactivate` defined by an activation calls: by its path, not `corral` as PATH (or the cd-hook's
    wrapper function, which makes the hook look again at the next prompt) would find it.
    """
    program = sys.argv[0] if sys.argv else ""
    if os.path.basename(program) in {"corral", "corral.exe"} and os.path.isfile(program):
        return [os.path.abspath(program)]
    return [sys.executable, "-m", "corral"]


class ShellBase:
    """Renders an EnvChange statement by statement; subclasses supply the statements of their language."""

    name = ""
    hook_template = ""
    # Statement terminator: csh's backtick evaluation joins lines, so it needs an explicit one.
    terminator = ""

    def quote(self, value: str) -> str:
        """`value` as one literal word."""
        raise NotImplementedError

    def set_var(self, name: str, value: str) -> str:
        """Export `name`."""
        raise NotImplementedError

    def unset_var(self, name: str) -> str:
        """Remove `name` from the environment."""
        raise NotImplementedError

    def set_path(self, entries: Sequence[str], sep: str) -> str:
        """Replace PATH."""
        return self.set_var("PATH", sep.join(entries))

    def prompt_on(self, name: str) -> list[str]:  # noqa: ARG002 - shells without a prompt to change
        """Statements that prefix the prompt with `(name) ` (once, whatever the previous env was)."""
        return []

    def prompt_off(self) -> list[str]:
        """Statements that restore the prompt saved by prompt_on."""
        return []

    def rehash(self) -> list[str]:
        """Statements that forget cached command locations."""
        return []

    def deactivate_on(self, corral: Sequence[str]) -> list[str]:  # noqa: ARG002 - shells without one
        """Statements that define `deactivate` (as a venv's activate script does), running `corral deactivate`."""
        return []

    def deactivate_off(self) -> list[str]:
        """Statements that remove the `deactivate` that deactivate_on defined (and no other)."""
        return []

    def render(self, change: EnvChange) -> str:
        """Code applying `change`; an activation also defines `deactivate`, a deactivation removes it."""
        lines = [self.set_var(k, v) for k, v in change.set_vars.items()]
        if change.path:
            lines.append(self.set_path(change.path, change.path_sep))
        lines += [self.unset_var(k) for k in change.unset_vars]
        lines += self.prompt_on(change.prompt) if change.prompt is not None else self.prompt_off()
        lines += self.deactivate_on(running_corral()) if change.prompt is not None else self.deactivate_off()
        lines += self.rehash()
        return "".join(f"{line}{self.terminator}\n" for line in lines)

    def command(self, argv: Sequence[str]) -> str:
        """`argv` as a command line of this shell."""
        return " ".join(self.quote(a) for a in argv)

    def hook(self, *, corral: Sequence[str]) -> str:
        """The rc snippet, with the corral command filled in."""
        return read_template(type(self).__module__, self.hook_template).replace("@CORRAL@", self.command(corral))

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """Start the shell interactively (subclasses add their rc mechanism)."""
        raise NotImplementedError
