"""The one reader of a Python version written as text: "3.11.2", "3.13.0rc1", "3.12.1.final.0", "2.7".

Stdlib only. pyvenv.cfg (`version`, `version_info`, virtualenv's `version_info`), conda's history, pyenv's folder
names and corral's own records spell versions in these forms; a PEP 440 version of a *package* is
`packaging.version.Version`'s job, not this module's.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final


__all__ = ["python_minor", "python_version", "release", "sort_key"]

_LEADING_DIGITS: Final = re.compile(r"\d+")
_FINAL: Final = re.compile(r"\d+(?:\.\d+)*(?:\.final\.\d+)?")
_MAJOR_MINOR: Final = 2
_MICRO: Final = 3


def release(text: str | None) -> tuple[int, ...]:
    """The leading numbers of a dotted version: (3, 13, 0) from "3.13.0rc1", (24, 0) from "24.0"; () if none.

    Each dotted piece gives the digits it starts with; the first piece that starts with none ends the release
    ("3.12.1.final.0" gives (3, 12, 1)).
    """
    parts: list[int] = []
    for piece in (text or "").strip().split("."):
        match = _LEADING_DIGITS.match(piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() < len(piece):  # "0rc1": a pre-release tag ends the release
            break
    return tuple(parts)


def sort_key(text: str) -> tuple[tuple[int, ...], bool, str]:
    """Orders versions as releases: "3.11.10" after "3.11.9", a final release after its "rc1" / "a2" / "-dev"."""
    return release(text), _FINAL.fullmatch(text.strip()) is not None, text


def python_version(text: str | None) -> tuple[int, ...] | None:
    """(major, minor[, micro]) of a Python version ("3.11.2" -> (3, 11, 2)); None without major.minor."""
    parts = release(text)[:_MICRO]
    return parts if len(parts) >= _MAJOR_MINOR else None


def python_minor(version: str | tuple[int, ...] | None) -> tuple[int, int] | None:
    """(major, minor) from "2.7.18", "3.6" or a version tuple; None when unreadable."""
    parts = version if isinstance(version, tuple) else python_version(version)
    if parts is None or len(parts) < _MAJOR_MINOR:
        return None
    return int(parts[0]), int(parts[1])
