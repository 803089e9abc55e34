"""`Frozen`: the base of the small immutable value classes that every env-making command builds.

A frozen dataclass costs ~0.5 ms to create (it compiles its methods) and `dataclasses` ~5 ms to import (with
`inspect`), paid at start-up by `corral sync`, `run`, `add` and `lock`. A `Frozen` subclass names its fields in
`__slots__`, declares their types in its body and sets them in its own typed `__init__` with `_set`; equality,
hashing, repr and `replace` are the dataclass ones (over the fields in `__slots__` order), and assigning a field
afterwards raises AttributeError. Stdlib only, nothing imported.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from typing import TypeVar

    _F = TypeVar("_F", bound="Frozen")

__all__ = ["Frozen"]


class Frozen:
    """Equality, hash, repr, `replace` and immutability over the fields a subclass lists in `__slots__`."""

    __slots__: tuple[str, ...] = ()

    def _set(self, **fields: object) -> None:
        """Set the fields (from the subclass's `__init__`)."""
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def replace(self: _F, **changes: object) -> _F:  # noqa: PYI019 - typing.Self is 3.11+, corral runs on 3.10
        """A copy with `changes` (by field name), built by the class's own `__init__`, as `dataclasses.replace`."""
        fields = dict(zip(self.__slots__, self._values(), strict=True))
        return type(self)(**{**fields, **changes})

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"cannot assign to field {name!r} of an immutable {type(self).__name__}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = f"cannot delete field {name!r} of an immutable {type(self).__name__}"
        raise AttributeError(msg)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)  # noqa: S101 - for mypy: the same class
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({fields})"
