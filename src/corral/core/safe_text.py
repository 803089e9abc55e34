"""The one check for text that corral copies into a generated file or a command line.

A value from an untrusted file (pyproject.toml, pylock.toml, pyvenv.cfg, corral-env.json...) or from the user
ends up in line-based formats: a requirements file (`-r FILE` on its own line is an instruction to pip/uv),
pyvenv.cfg (one `key = value` per line), kernel.json, activation code for a shell. A newline, a carriage
return or any other control character lets such a value add lines of its own, so every writer of those formats
passes the value through `reject_control_chars` first. Stdlib only (the no-op sync path may import it).
"""

from __future__ import annotations

import re

from corral.errors import UnsafeText

__all__ = ["NAME_RE", "control_char", "describe_char", "reject_control_chars"]

# PEP 508 distribution names (also PEP 735 group names and extras): never start with `-`, so never an option.
NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")

# Unicode line and paragraph separators split lines for str.splitlines() (which corral's own readers use).
_SEPARATORS = frozenset({"\u2028", "\u2029"})
_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte", "\x1b": "an escape"}


# Unicode category Cc (C0, DEL, C1) and the line separators above; one search instead of a loop over characters
# (a requirements file of a big lock holds ~100 KB of hash-pinned lines).
_CONTROL = "[\x00-\x1f\x7f-\x9f" + "".join(sorted(_SEPARATORS)) + "]"


def control_char(value: str) -> tuple[int, str] | None:
    """(index, character) of the first control character or line separator in `value`, None when it has none."""
    if value.isascii() and value.isprintable():  # ASCII's unprintables are exactly C0 and DEL: none here
        return None
    found = re.search(_CONTROL, value)  # compiled on first use (~1 ms), then re's cache
    return (found.start(), found.group()) if found else None


def describe_char(char: str) -> str:
    """ "a newline", "U+001F"... for an error message."""
    return _NAMES.get(char, f"the control character U+{ord(char):04X}")


def reject_control_chars(value: str, what: str, where: str, *, fix: str = "") -> str:
    """`value` unchanged, or UnsafeText naming `what` (the value's role), `where` (file or option) and `fix`.

    Args:
        value: the text about to be written.
        what: what the value is, e.g. "prompt" or "package url".
        where: where it came from, e.g. "pyproject.toml [tool.corral] prompt" or "--prompt".
        fix: the next step for the user (default: remove the character).

    """
    found = control_char(value)
    if found is None:
        return value
    index, char = found
    shown = value if len(value) <= 80 else value[:77] + "..."  # noqa: PLR2004 - keep the error on one screen line
    msg = (
        f"{where}: the {what} {shown!r} contains {describe_char(char)} (at character {index + 1}), which would "
        f"inject text into a generated file or command; {fix or 'remove it and run the command again'}"
    )
    raise UnsafeText(msg)
