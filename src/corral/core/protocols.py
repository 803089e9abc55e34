"""The small contracts plugins implement (creators, installer engines; shells join them).

Each plugin answers a capability question with a *reason* (`None` means "I can") and does one thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from corral.core.frozen import Frozen

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from corral.core.interpreter import InterpreterInfo
    from corral.core.plan import SyncPlan

__all__ = ["CreateRequest", "Creator", "EnvChange", "Installer", "Shell", "SubshellPlan"]


class CreateRequest(Frozen):
    """Everything a creator needs; the interpreter is the exact one corral chose."""

    __slots__ = (
        "dest",
        "environ",
        "extra_index_urls",
        "index_url",
        "interpreter",
        "prompt",
        "seed",
        "system_site_packages",
    )
    dest: Path
    interpreter: InterpreterInfo
    system_site_packages: bool
    prompt: str | None
    seed: bool
    environ: Mapping[str, str] | None
    index_url: str | None
    extra_index_urls: tuple[str, ...]

    def __init__(
        self,
        *,
        dest: Path,
        interpreter: InterpreterInfo,
        system_site_packages: bool = False,
        prompt: str | None = None,
        seed: bool = True,
        environ: Mapping[str, str] | None = None,
        index_url: str | None = None,
        extra_index_urls: tuple[str, ...] = (),
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`), then `_check`."""
        self._set(
            dest=dest,
            interpreter=interpreter,
            system_site_packages=system_site_packages,
            prompt=prompt,
            seed=seed,
            environ=environ,
            index_url=index_url,
            extra_index_urls=extra_index_urls,
        )
        self._check()

    def _check(self) -> None:
        """Refuse a prompt or path that would add lines to pyvenv.cfg or the activation scripts (UnsafeText).

        The prompt may come from `--prompt`, `[tool.corral] prompt` or the project's name; the path from the
        command line or `[tool.corral] venv-dir`. Creators copy both into pyvenv.cfg (venv's `command =` line,
        uv's and virtualenv's `prompt =`), so a newline there would write keys of its own.
        """
        from corral.core.safe_text import reject_control_chars

        if self.prompt is not None:
            reject_control_chars(
                self.prompt,
                "env prompt",
                "the new env's prompt",
                fix="choose a prompt (--prompt, [tool.corral] prompt or [project] name) without it",
            )
        reject_control_chars(
            str(self.dest),
            "env path",
            "the new env's folder",
            fix="create the env in a folder whose path has no control characters",
        )


class Creator(Protocol):
    """Makes a PEP 405 environment."""

    name: str

    def cannot_create(self, interpreter: InterpreterInfo) -> str | None:
        """Why this creator cannot serve `interpreter`, or None when it can.

        Args:
            interpreter: the identified target interpreter.

        Returns:
            A reason a user can read, or None.

        """

    def create(self, request: CreateRequest) -> None:
        """Create the env at `request.dest` (which does not exist yet).

        Raises:
            EngineError: the underlying tool failed.

        """


class Installer(Protocol):
    """Installs exact, hash-checked files into an env and removes distributions from it (no resolution)."""

    name: str

    def cannot_install(self, env: Path, interpreter: InterpreterInfo | None = None) -> str | None:
        """Why this engine cannot serve the env at `env` (run by `interpreter`), or None when it can."""

    def apply(
        self,
        env_python: Path,
        plan: SyncPlan,
        *,
        offline: bool = False,
        progress: Callable[[str, str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Install `plan.to_install` (dependency resolution off, hashes required), then remove `plan.remove`.

        Raises:
            EngineError: the tool failed; the message names the failing requirement when it can.

        """

    def install_editable(
        self, env_python: Path, project_root: Path, *, environ: Mapping[str, str] | None = None, offline: bool = False
    ) -> None:
        """Install the project at `project_root` editable, without its dependencies."""


class EnvChange(Frozen):
    """What (de)activating an env does to a shell, computed in Python; a Shell only renders it.

    `path` is the complete new PATH (entries in order), `prompt` the env name to show (None: restore the prompt).
    """

    __slots__ = ("path", "path_sep", "prompt", "set_vars", "unset_vars")
    set_vars: dict[str, str]
    unset_vars: tuple[str, ...]
    path: tuple[str, ...]
    path_sep: str
    prompt: str | None

    def __init__(
        self,
        *,
        set_vars: dict[str, str],
        unset_vars: tuple[str, ...] = (),
        path: tuple[str, ...] = (),
        path_sep: str = ":",
        prompt: str | None = None,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(set_vars=set_vars, unset_vars=unset_vars, path=path, path_sep=path_sep, prompt=prompt)


class SubshellPlan(Frozen):
    """How to start an interactive shell that runs `init` code after the user's own rc files.

    `files` (name -> text) are written to a private folder first; `{dir}` in argv and environ values is that folder.
    """

    __slots__ = ("argv", "environ", "files")
    argv: list[str]
    environ: dict[str, str]
    files: dict[str, str]

    def __init__(self, *, argv: list[str], environ: dict[str, str], files: dict[str, str]) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(argv=argv, environ=environ, files=files)


class Shell(Protocol):
    """One shell language: quoting, (de)activation code, the cd-hook snippet, and a subshell recipe."""

    name: str

    def quote(self, value: str) -> str:
        """`value` as one literal word of this shell's language."""

    def render(self, change: EnvChange) -> str:
        """Code that, evaluated by this shell, applies `change` (activation or deactivation)."""

    def hook(self, *, corral: Sequence[str]) -> str:
        """The rc-file snippet that re-evaluates activation when the working folder changes.

        Args:
            corral: the command (argv) that runs corral, e.g. its absolute path.

        """

    def subshell(self, *, executable: str, init: str, environ: Mapping[str, str]) -> SubshellPlan:
        """How to start `executable` interactively with `init` run after the user's rc files.

        Args:
            executable: the shell program.
            init: this shell's code to run once the user's configuration is loaded.
            environ: the parent's environment (for rc locations such as ZDOTDIR, ENV, HOME).

        """
