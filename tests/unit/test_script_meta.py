from __future__ import annotations

import random
import re

import pytest

from corral.core.script_meta import find_block, render_block
from corral.errors import ConfigError

SCRIPT = """#!/usr/bin/env python
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "alpha<2",
#   "beta",
# ]
# ///
import alpha
"""


def test_block_is_found_and_unprefixed() -> None:
    block = find_block(SCRIPT)
    assert block is not None
    assert block.toml.startswith('requires-python = ">=3.11"\n')
    assert '  "alpha<2",' in block.toml
    assert SCRIPT[block.start : block.end].endswith("# ///")


def test_no_block_and_other_block_types() -> None:
    assert find_block("print(1)\n") is None
    assert find_block("# /// pyproject\n# x = 1\n# ///\n") is None


def test_two_script_blocks_are_an_error() -> None:
    twice = "# /// script\n# a = 1\n# ///\nimport os\n# /// script\n# b = 1\n# ///\n"
    with pytest.raises(ConfigError, match="more than one"):
        find_block(twice, filename="s.py")


def test_render_round_trips() -> None:
    block = find_block(SCRIPT)
    assert block is not None
    rendered = render_block(block.toml)
    again = find_block(rendered + "\n")
    assert again is not None
    assert again.toml == block.toml


# PEP 723's reference expression and the reading its specification gives, as find_block read it before it
# became a line scanner (core.script_meta._blocks): the two must agree on every text.
_REFERENCE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def reference_block(source: str) -> tuple[str, int, int] | str | None:
    skip = 1 if source.startswith("\ufeff") else 0
    blocks = [m for m in _REFERENCE.finditer(source[skip:]) if m["type"] == "script"]
    if len(blocks) > 1:
        return "more than one"
    if not blocks:
        return None
    lines = blocks[0]["content"].splitlines(keepends=True)
    toml = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    return toml, blocks[0].start() + skip, blocks[0].end() + skip


def scanned_block(source: str) -> tuple[str, int, int] | str | None:
    try:
        block = find_block(source)
    except ConfigError:
        return "more than one"
    return None if block is None else (block.toml, block.start, block.end)


_PIECES = (
    "# /// script",
    "# /// pyproject",
    "# /// a-B9",
    "# /// ",
    "# ///",
    "# ////",
    "#  ///",
    "#",
    "# ",
    "# x = 1",
    '# dependencies = ["a"]',
    "#x",
    "x",
    "",
    " # /// script",
    "# /// script ",
    "# /// scr\u00e9pt",
    "\r",
    "\x0c",
    "\x0b",
    "\x1c",
    "\x85",
    "\u2028",
    "\t",
    "\ufeff",
    "# a\x0cb",
    "# /// script\r",
    "# ///\r",
)


@pytest.mark.parametrize("seed", range(8))
def test_the_line_scanner_finds_what_the_reference_expression_finds(seed: int) -> None:
    chooser = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    seen: dict[str, int] = {}
    for _ in range(4000):
        text = "".join(_block_like(chooser) if chooser.random() < 0.5 else _line(chooser) for _ in range(6))
        if chooser.random() < 0.2:
            text = "\ufeff" + text
        expected = reference_block(text)
        assert scanned_block(text) == expected, repr(text)
        kind = "none" if expected is None else "many" if isinstance(expected, str) else "one"
        seen[kind] = seen.get(kind, 0) + 1
    assert min(seen.get(kind, 0) for kind in ("none", "one", "many")) > 50, seen  # every answer, often


def _line(chooser: random.Random) -> str:
    return chooser.choice(_PIECES) + chooser.choice(("\n", "\n", "\n", "", "\r\n"))


def _block_like(chooser: random.Random) -> str:
    """An opening line, comment lines and closing lines, with a stray line now and then."""
    lines = [chooser.choice(("# /// script", "# /// script", "# /// other"))]
    middle = ("# a = 1", "#", "# ///", "# /// script", "#x", "x", "# \x0c")
    lines.extend(chooser.choice(middle) for _ in range(chooser.randint(0, 4)))
    lines.append(chooser.choice(("# ///", "# ///", "# ///", "# /// ", "")))
    return "".join(line + chooser.choice(("\n", "\n", "\n", "\n", "")) for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        "# /// script\n# ///\n# ///",
        "# /// script\n# a\n# ///\n# b\n# ///\nx\n# ///\n",
        "# /// script\n# a\n# ///",
        "# /// script\n# a\n# ///\n",
        "# /// script\n# ///\n",
        "# /// pyproject\n# /// script\n# a\n# ///\n",
        "# /// script\n# a\n# /// script\n# b\n# ///\n# /// script\n# c\n# ///\n",
        "\ufeff# /// script\n# a = 1\n# ///\n",
        "# /// script\n# a\x0cb = 1\n# ///\n",
    ],
)
def test_the_cases_the_specification_leaves_to_the_expression(text: str) -> None:
    assert scanned_block(text) == reference_block(text)
