"""services.add_remove.edit_pyproject keeps an array's layout: `add` then `remove` gives the file back to the byte.

A changed layout is a change git sees: after `corral add` and `corral remove` of the same package the tracked
pyproject.toml stayed modified (2-space items re-indented to 4), so `git describe --dirty` stayed dirty.
(An array whose last item has no trailing comma gets one from tomlkit's append, and keeps it after the remove.)
"""

from __future__ import annotations

import pytest

from corral.services.add_remove import edit_pyproject

HEAD = '[project]\nname = "demo"\nversion = "1.0"\ndependencies = []\n\n[dependency-groups]\n'
ARRAYS = {
    "two-space items": 'dev = [\n  { include-group = "test" },\n  "a",\n]\ntest = []\n',
    "tab items": 'dev = [\n\t"a",\n\t"b",\n]\n',
    "comment on an item": 'dev = [\n  "a",  # why a\n]\n',
    "comment after the bracket": 'dev = [ # tools\n  "a",\n]\n',
    "one line": 'dev = ["a", "b"]\n',
}


@pytest.mark.parametrize("shape", sorted(ARRAYS))
def test_add_then_remove_gives_the_file_back(shape: str) -> None:
    text = HEAD + ARRAYS[shape]
    added = edit_pyproject(text, ["attrs>=22"], target="group:dev")
    assert '"attrs>=22"' in added
    assert edit_pyproject(added, ["attrs"], target="group:dev", remove=True) == text


def test_an_added_item_takes_the_arrays_indent() -> None:
    added = edit_pyproject(HEAD + ARRAYS["two-space items"], ["attrs"], target="group:dev")
    assert '\n  "a",\n  "attrs",\n]' in added
    assert "    " not in added  # nothing re-indented to 4 spaces
