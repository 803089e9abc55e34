"""core.pylock_read: corral's own lock layout read fast, to exactly what tomllib reads; anything else is None.

Compared with tomllib on locks corral writes (every kind of entry, escapes, notes, empty locks), on hand-made
deviations and on thousands of seeded random edits of a real lock: the reader answers tomllib's data (same keys,
order, values and types) or None, never something else, and None wherever tomllib refuses the text. Text only: the
index URLs in these locks are never contacted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from corral.core.pylock_read import read_canonical
from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
from support.edits import random_edits
from support.toml import tomllib

UTC = dt.timezone.utc


def uploaded(when: dt.datetime) -> dict[str, Any]:
    """An `upload-time` entry (a TOML key that is no Python name)."""
    return {"upload-time": when}


def wheel(name: str, version: str, tag: str = "py3-none-any", **extra: Any) -> dict[str, Any]:
    filename = f"{name}-{version}-{tag}.whl"
    return {"url": f"https://files.example/{filename}", "hashes": {"sha256": "ab" * 32}, **extra}


def documents() -> list[LockDocument]:
    alpha = {
        "name": "alpha",
        "version": "1.0",
        "index": "https://pypi.org/simple",
        "wheels": [
            wheel("alpha", "1.0", size=123, **uploaded(dt.datetime(2024, 5, 1, 12, 30, 1, tzinfo=UTC))),
            wheel("alpha", "1.0", "cp312-cp312-manylinux_2_17_x86_64", size=0),
            wheel("alpha", "1.0", "cp312-cp312-win_amd64", **uploaded(dt.datetime(2024, 5, 1, 1, 2, 3, 4500, UTC))),
        ],
        "sdist": {
            "url": "https://files.example/alpha-1.0.tar.gz",
            "size": 99,
            "upload-time": dt.datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            "hashes": {"sha256": "cd" * 32, "md5": "ef" * 16},
        },
    }
    odd = {
        "name": "beta",
        "version": "2.0",
        "requires-python": '>=3.9, !="3.9.1"',  # a quote: an escape, so tomllib reads it
        "wheels": [wheel("beta", "2.0")],
    }
    tree = {"name": "proj", "directory": {"path": ".", "editable": True}}
    vcs = {
        "name": "gamma",
        "version": "0.1",
        "vcs": {"type": "git", "url": "https://git.example/gamma.git", "commit-id": "a" * 40, "subdirectory": "sub"},
    }
    archive = {
        "name": "delta",
        "version": "3",
        "archive": {"path": "vendor/delta-3.tar.gz", "hashes": {"sha256": "12" * 32}},
    }
    unicode = {
        "name": "epsilon",
        "version": "1",
        "wheels": [wheel("epsilon", "1", url="https://x/é中/e-1-py3-none-any.whl")],
    }
    exports: list[tuple[tuple[str, str], list[dict[str, Any]]]] = [
        (("default", ""), [alpha, tree, vcs, archive, unicode]),
        (("group", "dev"), [{**alpha, "marker": "sys_platform == 'linux'"}]),
        (("extra", "fast"), [odd]),
    ]
    plain = LockDocument(
        requires_python=">=3.9",
        extras=["fast"],
        dependency_groups=["dev"],
        default_groups=["dev"],
        packages=merge_exports(exports[:2], {"proj": ["alpha", "gamma"]}),
        inputs_hash="sha256:" + "1" * 64,
    )
    escaped = LockDocument(
        requires_python=None,
        extras=["fast"],
        dependency_groups=[],
        default_groups=[],
        packages=merge_exports(exports),
        inputs_hash="sha256:" + "2" * 64,
        environments=["python_version == '2.7'"],
        notes=["a note\nover lines", "\u00e9 and tabs\tin it"],
    )
    empty = LockDocument(
        requires_python=None, extras=[], dependency_groups=[], default_groups=[], packages=[], inputs_hash="h"
    )
    return [plain, escaped, empty]


def same(text: str) -> dict[str, Any] | None:
    """read_canonical(text) checked against tomllib: equal data and types, or None (None wherever tomllib fails)."""
    found = read_canonical(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert found is None, f"tomllib refuses it, the fast reader read it: {text[:200]!r}"
        return None
    if found is not None:
        assert found == expected
        assert repr(found) == repr(expected)  # types too (int vs bool, tz-aware date-times, list vs dict)
    return found


@pytest.mark.parametrize("index", range(3))
def test_what_corral_writes_is_read_to_tomllibs_data(index: int) -> None:
    text = render_pylock(documents()[index])
    found = same(text)
    if index == 1:
        assert found is None  # escapes (a quote in requires-python, a tab in a note): tomllib reads those
    else:
        assert found is not None


HOSTILE = [
    '\ufefflock-version = "1.0"\n',  # a byte-order mark
    'lock-version = "1.0"\r\n',
    'lock-version = "1.0" # comment\n',
    'lock-version =  "1.0"\n',
    'lock-version="1.0"\n',
    ' lock-version = "1.0"\n',
    '"lock-version" = "1.0"\n',
    'a.b = "1.0"\n',
    'a = "1"\na = "2"\n',
    'a = "x\\u0041"\n',
    "a = 'literal'\n",
    'a = """multi"""\n',
    'a = "tab\there"\n',
    "a = 01\n",
    "a = -1\n",
    "a = +1\n",
    "a = 1_000\n",
    "a = 0x10\n",
    "a = 1.5\n",
    "a = inf\n",
    "a = True\n",
    "a = 2024-01-01\n",
    "a = 2024-01-01T00:00:00\n",
    "a = 2024-01-01 00:00:00Z\n",
    "a = 2024-01-01T00:00:00z\n",
    "a = 2024-01-01T00:00:00+00:00\n",
    "a = 2024-02-30T00:00:00Z\n",
    "a = 2024-01-01T24:00:00Z\n",
    "a = 2024-01-01T00:00:60Z\n",
    "a = 2024-01-01T00:00:00.1234567Z\n",
    "a = 2024-01-01T00:00:00.Z\n",
    'a = ["x",]\n',
    'a = [ "x" ]\n',
    'a = ["x","y"]\n',
    "a = [1, 2]\n",
    'a = [["x"]]\n',
    'a = {sha256 = "x"}\n',
    'a = { sha256 = "x", }\n',
    'a = { sha256 = "x", sha256 = "y" }\n',
    'a = { b = { c = "x" } }\n',
    'a = { b.c = "x" }\n',
    "a = {  }\n",
    'a = "unterminated\n',
    'a = "x""y"\n',
    "a =\n",
    "a = \n",
    "= 1\n",
    "[[packages]]\n[[packages]]\nname = 1\nname = 2\n",
    'packages = []\n[[packages]]\nname = "x"\n',
    '[[packages.wheels]]\nname = "x"\n',
    '[packages.sdist]\nurl = "x"\n',
    '[[packages]]\n[packages.sdist]\nurl = "x"\n[packages.sdist]\nurl = "y"\n',
    '[[packages]]\nsdist = { url = "x" }\n[packages.sdist]\nurl = "y"\n',
    '[[packages]]\nwheels = [{ name = "x" }]\n[[packages.wheels]]\nname = "y"\n',
    '[[packages]]\n[packages.wheels]\nname = "y"\n',
    '[tool.corral]\na = "1"\n[tool.corral]\nb = "2"\n',
    '[tool.corral]\na = "1"\n[[packages]]\nname = "x"\n',
    'tool = "x"\n[tool.corral]\na = "1"\n',
    "[tool]\n",
    "[ tool.corral ]\n",
    "[[packages]] \n",
    '# a comment\x00\nlock-version = "1.0"\n',
    '# a comment\x7f\nlock-version = "1.0"\n',
    '# a comment\tand a tab\nlock-version = "1.0"\n',
    'lock-version = "1.0"\n# a comment after a key\n',
    'lock-version = "1.0"\n   \n',
    'lock-version = "1.0"\n\t\n',
    'a = "\x00"\n',
    'a = "\x7f"\n',
    'a = "\x1b[31m"\n',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_else_is_none_or_exactly_tomllibs_data(text: str) -> None:
    same(text)
    assert read_canonical(text) is None


def test_random_edits_of_a_lock_never_read_to_other_data_than_tomllibs() -> None:
    base = render_pylock(documents()[0])
    assert same(base) is not None
    pieces = [*'"\\\t\r\n []{}=,#.01ZT-:a\x00\u00e9', "\n[[packages]]\n", ' = "x"', "\n[tool.corral]\n"]
    read = sum(same(text) is not None for text in random_edits(base, pieces))
    assert read > 100  # many edits stay in the layout (a changed value): those are compared, not only refused
