"""SyncPlan: what to install, change and remove to make an env exactly the chosen lock entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from corral.core.frozen import Frozen
from corral.core.names import normalize_name as normalize

if TYPE_CHECKING:
    from corral.core.pylock_select import Chosen

__all__ = ["SEED_PACKAGES", "SyncPlan"]

# What `venv`/`uv venv --seed`/virtualenv put into a seeded env; kept unless the lock pins them.
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel", "distribute"})


def _same_version(locked: str | None, installed: str) -> bool:
    if locked is None or locked == installed:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(locked) == Version(installed)
    except InvalidVersion:
        return False


class SyncPlan(Frozen):
    """The difference between the desired packages and the installed ones."""

    __slots__ = ("change", "install", "kept", "remove", "unchanged")
    install: tuple[Chosen, ...]
    change: tuple[tuple[str, str, Chosen], ...]  # (name, installed version, chosen)
    remove: tuple[tuple[str, str], ...]  # (name as installed, version)
    unchanged: tuple[str, ...]
    kept: tuple[str, ...]  # installed, not in the lock, deliberately kept

    def __init__(
        self,
        *,
        install: tuple[Chosen, ...] = (),
        change: tuple[tuple[str, str, Chosen], ...] = (),
        remove: tuple[tuple[str, str], ...] = (),
        unchanged: tuple[str, ...] = (),
        kept: tuple[str, ...] = (),
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(install=install, change=change, remove=remove, unchanged=unchanged, kept=kept)

    @classmethod
    def diff(
        cls,
        desired: Iterable[Chosen],
        installed: Mapping[str, str],
        *,
        keep: Iterable[str] = (),
        reinstall: Iterable[str] = (),
    ) -> SyncPlan:
        """Compare `desired` with `installed` ({name: version}, any spelling).

        Args:
            desired: the lock entries chosen for the target.
            installed: what the env holds now.
            keep: names never removed (seed packages of a seeded env, the project itself).
            reinstall: names installed again even when the version matches.

        """
        have = {normalize(n): (n, v) for n, v in installed.items()}
        keep_set = {normalize(k) for k in keep}
        again = {normalize(r) for r in reinstall}
        install: list[Chosen] = []
        change: list[tuple[str, str, Chosen]] = []
        unchanged: list[str] = []
        wanted: set[str] = set()
        for item in desired:
            key = normalize(item.name)
            wanted.add(key)
            current = have.get(key)
            if current is None:
                install.append(item)
            elif key in again or not _same_version(item.version, current[1]):
                change.append((item.name, current[1], item))
            else:
                unchanged.append(item.name)
        remove: list[tuple[str, str]] = []
        kept: list[str] = []
        for key, (name, version) in sorted(have.items()):
            if key in keep_set and key not in wanted:
                kept.append(name)
            elif key not in wanted:
                remove.append((name, version))
        return cls(
            install=tuple(install),
            change=tuple(change),
            remove=tuple(remove),
            unchanged=tuple(unchanged),
            kept=tuple(kept),
        )

    @property
    def to_install(self) -> list[Chosen]:
        """Every entry the engine must install (new ones and changed ones)."""
        return [*self.install, *(c for _, _, c in self.change)]

    @property
    def empty(self) -> bool:
        """True when the env already is the lock."""
        return not (self.install or self.change or self.remove)
