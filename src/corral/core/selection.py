"""Which dependency groups and extras of a multi-use pylock.toml a sync installs (PEP 751)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corral.core.frozen import Frozen
from corral.core.names import normalize_name
from corral.errors import UsageError

__all__ = ["LockChoices", "Selection"]


class LockChoices(Frozen):
    """What a lock lets an installer choose: its extras, dependency groups and default groups."""

    __slots__ = ("default_groups", "extras", "groups")
    extras: tuple[str, ...]
    groups: tuple[str, ...]
    default_groups: tuple[str, ...]

    def __init__(
        self, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = (), default_groups: tuple[str, ...] = ()
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(extras=extras, groups=groups, default_groups=default_groups)

    @classmethod
    def from_lock(cls, lock: Mapping[str, Any] | object) -> LockChoices:
        """Read the three lists from a raw pylock dict or a `packaging.pylock.Pylock`."""
        if isinstance(lock, Mapping):
            get = lock.get
            raw = (get("extras"), get("dependency-groups"), get("default-groups"))
        else:
            raw = (
                getattr(lock, "extras", None),
                getattr(lock, "dependency_groups", None),
                getattr(lock, "default_groups", None),
            )
        extras, groups, defaults = (tuple(str(v) for v in (r or ())) for r in raw)
        return cls(extras=extras, groups=groups, default_groups=defaults)

    @property
    def all_groups(self) -> tuple[str, ...]:
        """Every selectable group name (PEP 751 keeps default groups apart from dependency-groups)."""
        return tuple(dict.fromkeys((*self.default_groups, *self.groups)))


class Selection(Frozen):
    """A sync's choice of groups and extras.

    `groups=None` means the lock's `default-groups`; named groups are added to those (as `uv sync --group`
    does) unless `only_groups` is set. `no_dev` drops the `dev` group; `all_groups`/`all_extras` take all.
    """

    __slots__ = ("all_extras", "all_groups", "extras", "groups", "no_dev", "only_groups")
    groups: tuple[str, ...] | None
    extras: tuple[str, ...]
    all_groups: bool
    no_dev: bool
    all_extras: bool
    only_groups: bool

    def __init__(
        self,
        *,
        groups: tuple[str, ...] | None = None,
        extras: tuple[str, ...] = (),
        all_groups: bool = False,
        no_dev: bool = False,
        all_extras: bool = False,
        only_groups: bool = False,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`).

        Group and extra names are normalized (PEP 735, PEP 685) as the lock records them: `--group Type_Checking`
        names the group `type-checking`, as uv reads it.
        """
        self._set(
            groups=None if groups is None else tuple(dict.fromkeys(normalize_name(g) for g in groups)),
            extras=tuple(dict.fromkeys(normalize_name(e) for e in extras)),
            all_groups=all_groups,
            no_dev=no_dev,
            all_extras=all_extras,
            only_groups=only_groups,
        )

    def validate(self, lock: Mapping[str, Any] | object) -> LockChoices:
        """Check every named group/extra exists in `lock`; UsageError listing the valid names otherwise."""
        choices = LockChoices.from_lock(lock)
        unknown_groups = [g for g in (self.groups or ()) if g not in choices.all_groups]
        if unknown_groups:
            valid = ", ".join(choices.all_groups) or "none"
            msg = (
                f"unknown dependency group {', '.join(map(repr, unknown_groups))}: the lock offers {valid} "
                "(add the group to [dependency-groups] and run `corral lock`)"
            )
            raise UsageError(msg)
        unknown_extras = [e for e in self.extras if e not in choices.extras]
        if unknown_extras:
            valid = ", ".join(choices.extras) or "none"
            msg = (
                f"unknown extra {', '.join(map(repr, unknown_extras))}: the lock offers {valid} "
                "(add it to [project.optional-dependencies] and run `corral lock`)"
            )
            raise UsageError(msg)
        return choices

    def resolve(self, lock: Mapping[str, Any] | object) -> tuple[frozenset[str], frozenset[str]]:
        """(extras, dependency_groups) to evaluate package markers with; validates first."""
        choices = self.validate(lock)
        if self.all_groups:
            groups = set(choices.all_groups)
        else:
            groups = set() if self.only_groups else set(choices.default_groups)
            groups.update(self.groups or ())
        if self.no_dev:
            groups.discard("dev")
        extras = set(choices.extras) if self.all_extras else set(self.extras)
        return frozenset(extras), frozenset(groups)
