from __future__ import annotations

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
