"""The error tree drawn in errors.py's docstring is the class tree."""

from __future__ import annotations

import re

from corral import errors


def test_the_drawn_tree_is_the_class_tree() -> None:
    drawn: dict[str, str] = {}
    parents: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^    ((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)\s", line)
        if not found:
            continue
        depth = len(found.group(1)) // 4 + (1 if "──" in line else 0)
        parents[depth:] = [found.group(2)]
        if depth:
            drawn[found.group(2)] = parents[depth - 1]
    assert parents[0] == "CorralError"
    actual = {name: getattr(errors, name).__mro__[1].__name__ for name in errors.__all__ if name != "CorralError"}
    assert drawn == actual
