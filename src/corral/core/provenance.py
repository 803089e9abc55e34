"""The record corral leaves inside every env it creates (who made it, from what, for whom)."""

from __future__ import annotations

from collections.abc import Callable

from corral.core.frozen import Frozen

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any


__all__ = ["PROVENANCE_FILE", "Provenance"]

PROVENANCE_FILE = "corral-env.json"


_FIELDS = (  # the record's keys, in the order corral-env.json holds them
    "corral_version",
    "creator",
    "location",
    "interpreter",
    "interpreter_realpath",
    "python_version",
    "implementation",
    "project",
    "created_at",
    "options",
    "kind",
    "schema",
)


class Provenance(Frozen):
    """How an env came to be; `location` lets doctor spot an env that was moved or copied."""

    __slots__ = _FIELDS
    corral_version: str
    creator: str
    location: str
    interpreter: str
    interpreter_realpath: str
    python_version: str
    implementation: str
    project: str | None
    created_at: str
    options: dict[str, Any]
    kind: str
    schema: int

    def __init__(
        self,
        *,
        corral_version: str,
        creator: str,
        location: str,
        interpreter: str,
        interpreter_realpath: str,
        python_version: str,
        implementation: str,
        project: str | None,
        created_at: str,
        options: dict[str, Any] | None = None,
        kind: str = "project",
        schema: int = 1,
    ) -> None:
        """The fields by name (a plain class, not a dataclass: `core.frozen`)."""
        self._set(
            corral_version=corral_version,
            creator=creator,
            location=location,
            interpreter=interpreter,
            interpreter_realpath=interpreter_realpath,
            python_version=python_version,
            implementation=implementation,
            project=project,
            created_at=created_at,
            options={} if options is None else options,
            kind=kind,
            schema=schema,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a deep copy, as `dataclasses.asdict` made it)."""
        return {name: _copied(getattr(self, name)) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: object) -> Provenance:
        """Inverse of to_dict; unknown keys are ignored (forward compatibility).

        The record sits inside the env, which a repository may ship: ValueError when it is not an object, lacks a
        field, or holds a field of the wrong type.
        """
        if not isinstance(data, dict):
            msg = f"{PROVENANCE_FILE} must hold a JSON object, not {type(data).__name__}"
            raise ValueError(msg)  # noqa: TRY004 - callers treat any bad record as a ValueError
        known = {k: v for k, v in data.items() if k in _FIELDS}
        wrong = [k for k, v in known.items() if not _TYPES[k](v)]
        if wrong:
            msg = f"{PROVENANCE_FILE}: {', '.join(sorted(wrong))} {'has' if len(wrong) == 1 else 'have'} the wrong type"
            raise ValueError(msg)
        try:
            return cls(**known)
        except TypeError as err:  # a required field is missing
            msg = f"{PROVENANCE_FILE} lacks a field corral writes ({err})"
            raise ValueError(msg) from err


def _copied(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """`value` with its dicts, lists and tuples copied all the way down."""
    if isinstance(value, dict):
        return {_copied(k): _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def _str(value: object) -> bool:
    return isinstance(value, str)


def _str_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


def _table(value: object) -> bool:
    return isinstance(value, dict)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[object], bool]] = {
    "corral_version": _str,
    "creator": _str,
    "location": _str,
    "interpreter": _str,
    "interpreter_realpath": _str,
    "python_version": _str,
    "implementation": _str,
    "created_at": _str,
    "kind": _str,
    "project": _str_or_none,
    "options": _table,
    "schema": _int,
}
