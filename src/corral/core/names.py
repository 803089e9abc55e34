"""Project, extra and group names: the one PEP 503 / PEP 685 / PEP 735 normaliser.

Stdlib only (one regular expression): the no-op `sync` and warm `run` fast paths compare names without paying for
`packaging`. For a valid name it answers exactly as `packaging.utils.canonicalize_name` does.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["normalize_name"]

_SEPARATORS: Final = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """`name` lower-cased with every run of `-`, `_` and `.` made one `-` ("Foo.Bar_baz" -> "foo-bar-baz")."""
    return _SEPARATORS.sub("-", name).lower()
