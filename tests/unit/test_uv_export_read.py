"""core.uv_export_read: uv's pylock export layout read fast, to exactly what tomllib reads; anything else is None.

Compared with tomllib on exports in uv's layout (one-line and one-item-a-line file arrays, markers, empty exports),
on the hand-made deviations core.pylock_read is checked with plus uv-specific ones, and on thousands of seeded
random edits of an export: the reader answers tomllib's data (same keys, order, values and types) or None, never
something else, and None wherever tomllib refuses the text. Text only: the URLs in these exports are never
contacted. (Real exports of uv are compared in tests/integration/test_lock_export_reader.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from test_pylock_read import HOSTILE
from test_uv_exports import EXPORTS, entry, export

from corral.core.uv_export_read import read_export, read_package
from support.edits import random_edits
from support.toml import tomllib

HASH = "cd" * 32
FILE = (
    '{ url = "https://files.example/a-1.tar.gz", upload-time = 2024-01-02T03:04:05Z, size = 5, '
    f'hashes = {{ sha256 = "{HASH}" }} }}'
)


def same(text: str) -> dict[str, Any] | None:
    """read_export(text) checked against tomllib: equal data and types, or None (None wherever tomllib fails)."""
    found = read_export(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert found is None, f"tomllib refuses it, the fast reader read it: {text[:200]!r}"
        return None
    if found is not None:
        assert found == expected
        assert repr(found) == repr(expected)  # types too (int vs bool, tz-aware date-times, list vs dict)
    return found


@pytest.mark.parametrize("index", range(len(EXPORTS)))
def test_exports_in_uvs_layout_are_read_to_tomllibs_data(index: int) -> None:
    text = EXPORTS[index][1]
    found = same(text)
    if "[packages.directory]" in text:
        assert found is None  # a sub-table header: tomllib reads those
    else:
        assert found is not None


def test_an_empty_export_and_each_kind_of_value_are_read() -> None:
    empty = 'lock-version = "1.0"\ncreated-by = "uv"\nrequires-python = ">=3.10"\npackages = []\n'
    assert same(empty) == {"lock-version": "1.0", "created-by": "uv", "requires-python": ">=3.10", "packages": []}
    values = (
        'a = true\nb = false\nc = 0\nd = 12\ne = 2024-01-02T03:04:05.5Z\nf = ["x", { y = "z" }]\ng = []\n'
        'h = {}\ni = { path = "../p", editable = true }\n'
        f'j = [\n    {FILE},\n    "s",\n    {{ k = 1 }},\n]\nk = [\n]\n'
    )
    found = same(f"{values}\n[[packages]]\n{values}")
    assert found is not None
    assert found["packages"][0]["j"][0]["size"] == 5


UV_HOSTILE = [
    *HOSTILE,
    f"wheels = [\n    {FILE}\n]\n",  # no trailing comma: tomllib reads it, the reader leaves it to tomllib
    f"wheels = [\n  {FILE},\n]\n",
    f"wheels = [\n    {FILE},\n",  # an array left open
    f"wheels = [\n    {FILE},\n] \n",
    f"wheels = [\n    {FILE}, # c\n]\n",
    f"wheels = [\n\n    {FILE},\n]\n",
    f"wheels = [{FILE},]\n",
    'a = { url = "x", hashes = { sha256 = "y", sha256 = "z" } }\n',
    "a = { hashes = { sha256 = 1 } }\n",
    'a = { b = { c = { d = "x" } } }\n',
    'a = { url = "x", url = "y" }\n',
    "a = { t = 2024-13-02T03:04:05Z }\n",
    "a = { t = 2024-01-02T03:04:05Z, t = 2024-01-02T03:04:05Z }\n",
    'packages = []\n\n[[packages]]\nname = "x"\n',
    '[[packages]]\nname = "x"\n',  # no head line before the first header
    'a = "1"\n[[packages]]\nname = "x"\n[packages.sdist]\nurl = "y"\n',
    'a = "1"\n\n[[packages]]\nname = "x"\nname = "y"\n',
    'a = "1"\n\n[[packages]]\n\n[[packages]]\nname = "y"\n',
    'a = "1"\n\n[[packages]]\n[[packages]]\n',
]


@pytest.mark.parametrize("text", UV_HOSTILE)
def test_anything_else_is_none_or_exactly_tomllibs_data(text: str) -> None:
    same(text)


def test_the_layouts_uv_never_writes_are_left_to_tomllib() -> None:
    for text in UV_HOSTILE[len(HOSTILE) :]:
        if text.startswith("a = { b = {") or "sha256 = 1" in text or "[packages.sdist]" in text:
            assert read_export(text) is None
    assert read_package(f"wheels = [\n    {FILE}\n]") is None
    assert read_package("[[packages]]") is None


def test_random_edits_of_an_export_never_read_to_other_data_than_tomllibs() -> None:
    base = export(
        entry("alpha", "1.0", "python_full_version < '3.11'"),
        entry("beta", "2.0", multiline=True),
        entry("gamma", "3.0", "sys_platform == 'win32'", multiline=True),
    )
    assert same(base) is not None
    pieces = [*'"\\\t\r\n []{}=,#.01ZT-:a\x00\u00e9', "\n[[packages]]\n", ' = "x"', "\n]\n", "    ", "},"]
    read = sum(same(text) is not None for text in random_edits(base, pieces))
    assert read > 100
