"""Fix the `extras` / `dependency_groups` terms of a pylock marker for one selection, keeping the environment part.

Used when a multi-use pylock is flattened into a requirements.txt (which cannot express groups): the result is
`True` (always installed), `False` (never) or the remaining environment marker text.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from packaging.markers import Marker

__all__ = ["specialize"]

_SELECTION_VARS = {"extras", "dependency_groups"}


def specialize(marker: str | None, *, extras: Collection[str], groups: Collection[str]) -> bool | str:
    """True/False when the selection decides the marker, else the environment marker that remains."""
    if not marker:
        return True
    parsed = Marker(marker)
    result = _reduce(parsed._markers, set(extras), set(groups))  # noqa: SLF001 - packaging keeps the tree private
    if isinstance(result, bool):
        return result
    from packaging.markers import _format_marker

    text = _format_marker(result if isinstance(result, list) else [result])
    return str(Marker(text)).replace('"', "'")


def _atom(item: tuple[Any, Any, Any], extras: set[str], groups: set[str]) -> bool | tuple[Any, Any, Any]:
    lhs, op, rhs = item
    variable = rhs if type(rhs).__name__ == "Variable" else lhs if type(lhs).__name__ == "Variable" else None
    if variable is None or variable.value not in _SELECTION_VARS:
        return item
    value = lhs if variable is rhs else rhs
    chosen = extras if variable.value == "extras" else groups
    if op.value == "in":
        return value.value in chosen
    if op.value == "not in":
        return value.value not in chosen
    return item


def _reduce(node: Any, extras: set[str], groups: set[str]) -> Any:  # noqa: ANN401, C901, PLR0912 - one boolean fold
    if isinstance(node, tuple):
        return _atom(node, extras, groups)
    # a list: operands separated by "and"/"or"; "and" binds tighter, so split on "or" first
    chains: list[list[Any]] = [[]]
    for item in node:
        if item == "or":
            chains.append([])
        elif item != "and":
            chains[-1].append(_reduce(item, extras, groups))
    kept_chains: list[list[Any]] = []
    seen: set[str] = set()
    for chain in chains:
        if any(part is False for part in chain):
            continue
        rest = [part for part in chain if part is not True]
        if not rest:
            return True
        if repr(rest) not in seen:  # `('a' in groups and X) or ('b' in groups and X)` for a and b is X, not X or X
            seen.add(repr(rest))
            kept_chains.append(rest)
    if not kept_chains:
        return False
    out: list[Any] = []
    for index, chain in enumerate(kept_chains):
        if index:
            out.append("or")
        joined: list[Any] = []
        for position, part in enumerate(chain):
            if position:
                joined.append("and")
            joined.append(part)
        out.append(joined[0] if len(joined) == 1 else joined)
    if len(out) == 1:
        return out[0]
    return out
