"""The doctor family's contract: what a check module exports, and what it may ask of the layer that runs it.

A check module (`corral.doctor.<family>`) exports its finding codes as constants, `check_<family>(target) ->
list[Finding]`, and `FIXES: dict[code, Fix]` for the codes it knows how to repair. It imports only the layers
below it (core, infra, inventory, kernels, toolchain, discovery); what only the service layer can answer (which
Python the project asks for, whether the lock is fresh, which programs may be started) or do (rebuild, sync,
lock, relocate) reaches it through `Host` and `Repairs`, which `services.doctor` implements for one context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from corral.core.frozen import Frozen

if TYPE_CHECKING:
    from pathlib import Path

    from corral.core.health import Finding
    from corral.core.interpreter import InterpreterInfo
    from corral.core.provenance import Provenance
    from corral.core.pylock_select import Chosen
    from corral.core.selection import Selection
    from corral.doctor.target import Target
    from corral.infra.paths import CorralPaths
    from corral.kernels.registry import KernelEntry

__all__ = ["Fix", "FixAction", "Host", "InPlace", "ProjectView", "Repairs", "UnmetRequest"]


class ProjectView(Protocol):
    """The parts of a project the checks read."""

    @property
    def root(self) -> Path: ...  # noqa: D102 - the project's folder
    @property
    def pyproject(self) -> Path: ...  # noqa: D102 - its pyproject.toml
    @property
    def name(self) -> str: ...  # noqa: D102 - [project] name
    @property
    def tool(self) -> dict[str, Any]: ...  # noqa: D102 - [tool.corral]
    @property
    def env_path(self) -> Path: ...  # noqa: D102 - where its env lives


class UnmetRequest(Frozen):
    """The project asks for a Python the env does not run: what it asks (`spec`), and where (`source`)."""

    __slots__ = ("source", "spec")
    spec: str
    source: str

    def __init__(self, *, spec: str, source: str) -> None:
        self._set(spec=spec, source=source)

    def __str__(self) -> str:
        return f"{self.source} asks for {self.spec}"


class Host(Protocol):
    """What the checks ask the layer that runs them (answers for one context and its project)."""

    @property
    def paths(self) -> CorralPaths: ...  # noqa: D102 - corral's folders
    @property
    def project(self) -> ProjectView | None: ...  # noqa: D102 - the project around the env, if any

    def read_provenance(self, env: Path) -> Provenance | None:
        """Corral's record in `env` (None when missing or damaged)."""

    def installed(self, env: Path, *, windows: bool) -> dict[str, str]:
        """{name: version} installed in `env` (a Windows env's layout with `windows`), from metadata on disk."""

    def seed_packages(self, env: Path, *, windows: bool) -> frozenset[str]:
        """The seed packages installed in `env` and what they need (normalised names): never drift."""

    def moved_folders(self, env: Path, chosen: list[Chosen], installed: dict[str, str], *, windows: bool) -> list[str]:
        """The locked folders of `chosen` that `env` holds from another folder than the lock's (a sync reinstalls)."""

    def base_refusal(self, exe: Path, env: Path) -> str | None:
        """Why the base interpreter `exe` of `env` must never be started (None: it may)."""

    def env_refusal(self, env: Path) -> str | None:
        """Why `env`'s own python must never be started (None: it may)."""

    def stamp_selection(self, env: Path) -> str | None:
        """The selection key of `env`'s sync stamp (None without a stamp)."""

    def sync_clean(self, env: Path, lock_path: Path, selection_key: str) -> bool:
        """The sync stamp proves `env` is exactly the project's current, fresh lock."""

    def lock_is_fresh(self, lock_path: Path) -> bool:
        """`lock_path` was written for the project's current inputs."""

    def lock_stale_reason(self, lock_path: Path) -> str:
        """Why the stale `lock_path` is stale, in words (the index it was made from, or the project's inputs)."""

    def locked_packages(
        self, lock_path: Path, info: InterpreterInfo, selection: Selection, key: str | None
    ) -> list[Chosen]:
        """The entries of `lock_path` a sync chooses for `info` and `selection` (CorralError: the lock says no).

        `key`: the selection as the sync stamp records it (None: the lock's defaults).
        """

    def unmet_request(self, info: InterpreterInfo) -> UnmetRequest | None:
        """The project's Python request when `info` does not meet it (None: met, or nothing asks)."""

    def kernels(self, env: Path) -> tuple[list[KernelEntry], set[str]]:
        """(every kernelspec in Jupyter's precedence, the resource folders of those that start `env`)."""


class Repairs(Protocol):
    """What a fix may ask the layer that runs it to do; each returns what it did, in words."""

    def rebuild(self, python: str | None) -> str:
        """Rebuild the project's env from its lock (on `python`, else the Python the project asks for)."""

    def environ(self) -> dict[str, str]:
        """The environment a program corral starts in an env gets."""

    def relocate(self, env: Path, old: str) -> int:
        """Rewrite `old` to `env` in the env's files (it stays trusted); how many files changed."""

    def upgrade(self, env: Path, base: Path) -> str:
        """Move `env` in place onto the base interpreter `base` (same X.Y), packages kept."""

    def sync(self) -> str:
        """Sync the project's env with its lock."""

    def lock(self) -> str:
        """Lock the project again."""

    def resume_recreate(self, project_root: Path) -> str | None:
        """Finish or roll back an interrupted recreate of the project (None: nothing was pending)."""


FixAction = Callable[["Target", "Finding", Repairs], str]
"""Repair one finding; returns what was done (a CorralError when it fails)."""


class InPlace(Frozen):
    """A repair of an env where it is, for an env without a project lock to rebuild it from."""

    __slots__ = ("apply", "question")
    question: Callable[[Target], str]
    apply: Callable[[Target, Mapping[str, Finding], Repairs], str]

    def __init__(
        self, *, question: Callable[[Target], str], apply: Callable[[Target, Mapping[str, Finding], Repairs], str]
    ) -> None:
        self._set(question=question, apply=apply)


class Fix(Frozen):
    """How `doctor --fix` repairs one finding code.

    `rebuild`: the repair is rebuilding the env from the lock (one rebuild serves every such code, first).
    `covered_by_rebuild`: a rebuild repairs this too, so it is not applied after one.
    `ask`: ask before applying (False only for cleaning up corral's own unfinished work).
    `in_place`: for a rebuild code, the repair of an env no project lock describes (when every rebuild code
    found offers the same one).
    """

    __slots__ = ("apply", "ask", "covered_by_rebuild", "in_place", "rebuild")
    apply: FixAction | None
    rebuild: bool
    covered_by_rebuild: bool
    ask: bool
    in_place: InPlace | None

    def __init__(
        self,
        *,
        apply: FixAction | None = None,
        rebuild: bool = False,
        covered_by_rebuild: bool = False,
        ask: bool = True,
        in_place: InPlace | None = None,
    ) -> None:
        self._set(apply=apply, rebuild=rebuild, covered_by_rebuild=covered_by_rebuild, ask=ask, in_place=in_place)
