"""core.pylock_read against tomllib on generated texts: where the fast reader answers, it answers tomllib's data.

A pylock.toml is untrusted input. `read_canonical` reads corral's own layout and must answer None at any deviation
(tomllib then reads or refuses the text); it must never return other data than tomllib, nor data for a text tomllib
refuses. The texts come from a small grammar of lock lines, near corral's layout, with the deviations a hostile
or hand-edited lock could hold: escapes, literal and multi-line strings, control characters, a BOM, CRLF, tabs,
comments after values, dotted and quoted keys, spacing, duplicate keys and tables, any header, integers TOML
refuses or that are huge, date-times out of range or in another spelling, inline tables and arrays spelled
otherwise. Seeded: the same texts on every run.
"""

from __future__ import annotations

import random

import pytest

from corral.core.pylock_read import read_canonical
from support.toml import tomllib

_KEYS = (
    # keys corral writes, then deviations
    "name", "version", "url", "hashes", "wheels", "sdist", "packages", "tool", "corral", "a", "A-b_9", "index",
    "upload-time", "size", "marker", "lock-version", "created-by",
    "é", "a.b", '"q"', "a b", "", "1", "-", "a\tb",
)  # fmt: skip
_CANONICAL_KEYS = 17
_STRINGS = (
    '"x"', '""', '"é"', '"a\\"b"', '"a\\nb"', '"\t"', '"a # b"', '"{ sha256 = 1 }"', '"x, y = 1"', "'lit'",
    '"""m"""', '"\x7f"', '"\u2028"', '"\ufeff"', '"a]b"', '"a"b"', '"\x85"', '"\\u00e9"', '"a\x00b"', '"\x1f"',
)  # fmt: skip
_INTS = ("0", "1", "01", "-1", "+1", "1_000", "9" * 30, "9" * 5000, "1e3", "1.0", "0x10", "inf", "nan", "-0")
_TIMES = (
    "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.1234567Z", "2024-13-02T03:04:05Z",
    "2024-02-30T03:04:05Z", "2024-01-02t03:04:05Z", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05z",
    "2024-01-02T03:04:60Z", "2024-01-02T03:04:05+00:00", "2024-01-02", "0000-01-01T00:00:00Z", "2024-01-02T24:00:00Z",
    "2024-01-02T03:04:05.Z", "2024-01-02T03:04Z",
)  # fmt: skip
_BOOLS = ("true", "false", "True", "TRUE")
_HEADERS = (
    "[[packages]]", "[[packages.wheels]]", "[packages.sdist]", "[packages.archive]", "[packages.directory]",
    "[packages.vcs]", "[tool.corral]", "[tool]", "[[packages]] ", "[ packages ]", "[packages]", "[[packages.sdist]]",
    "[packages.wheels]", "[tool.corral.x]", "[[ packages ]]", "[[packages]] # c", "[[packages.wheels]]\r",
)  # fmt: skip
_ODD_LINES = ("# c", "#", "# é", "#\t", "# \x7f", "", " ", "\r", "\t", "\ufeff# c")


class _Texts:
    """Lock-like texts; `bad` is how often each place deviates from corral's layout."""

    def __init__(self, seed: int, bad: float) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - seeded test data
        self.bad = bad

    def odd(self) -> bool:
        return self.rng.random() < self.bad

    def inline(self) -> str:
        rng = self.rng
        count = rng.randint(0, 3)
        if count == 0:
            return "{ }" if self.odd() else "{}"
        pairs = [f"{rng.choice(_KEYS)} = {rng.choice(_STRINGS + _INTS + _BOOLS)}" for _ in range(count)]
        sep = rng.choice([",", " ,", ",  "]) if self.odd() else ", "
        return "{ " + sep.join(pairs) + (rng.choice(["}", ", }", " } "]) if self.odd() else " }")

    def value(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.4:
            return rng.choice(_STRINGS + _INTS + _TIMES + _BOOLS)
        if kind < 0.6:
            digest = rng.choice(["a" * 64, "A" * 64, "a" * 63, "g" * 64, "0" * 65])
            return f'{{ sha256 = "{digest}" }}'
        if kind < 0.8:
            return self.inline()
        items = [rng.choice([rng.choice(_STRINGS), self.inline(), rng.choice(_INTS), "[]"]) for _ in range(3)]
        sep = rng.choice([",", " , "]) if self.odd() else ", "
        return "[" + sep.join(items[: rng.randint(0, 3)]) + (rng.choice([",]", ", ]", " ]"]) if self.odd() else "]")

    def line(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            return rng.choice(_HEADERS)
        if kind < 0.2:
            return rng.choice(_ODD_LINES)
        key = rng.choice(_KEYS) if self.odd() else rng.choice(_KEYS[:_CANONICAL_KEYS])
        sep = rng.choice(["=", " =  ", "  = ", " =\t"]) if self.odd() else " = "
        tail = rng.choice([" ", " # c", "\r", "\t"]) if self.odd() else ""
        return key + sep + self.value() + tail

    def text(self) -> str:
        lines = [self.line() for _ in range(self.rng.randint(1, 12))]
        text = ("\r\n" if self.odd() else "\n").join(lines)
        return ("\ufeff" + text) if self.odd() else text


def _tomllib(text: str) -> object:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as err:  # ValueError: an integer of too many digits
        return err


@pytest.mark.parametrize(("seed", "bad"), [(1, 0.05), (2, 0.01), (3, 0.002)])
def test_generated_texts_read_to_tomllibs_data_or_none(seed: int, bad: float) -> None:
    texts = _Texts(seed, bad)
    answered = 0
    for _ in range(20000):
        text = texts.text()
        got = read_canonical(text)
        if got is None:
            continue
        answered += 1
        want = _tomllib(text)
        assert isinstance(want, dict), f"tomllib refuses {text!r} ({want}); the fast reader read {got!r}"
        assert repr(got) == repr(want), f"{text!r}: {got!r} != tomllib's {want!r}"  # types and order too
    assert answered > 200, "the grammar reaches the fast reader's layout"


@pytest.mark.parametrize(
    "text",
    [
        'a = "x"\r\nb = "y"\r\n',  # CRLF
        '\ufeffa = "x"\n',  # a BOM
        'a = "x"\na = "y"\n',  # a duplicate key
        '[[packages]]\nname = "x"\nsdist = { url = "u" }\n[packages.sdist]\nurl = "v"\n',  # a table defined twice
        'a = "x\\u0041"\n',  # an escape
        "a = 'x'\n",  # a literal string
        'a = """x"""\n',  # a multi-line string
        "a = " + "9" * 5000 + "\n",  # past int's digit limit
        "a = 2024-02-30T00:00:00Z\n",  # no such day
        'a = { b = "c, d = 1" }\n',  # a pair inside a string
        'a = ["x", { b = "]" }]\n',  # a bracket inside a string
        'a = "x" # c\n',  # a comment after a value
        "a.b = 1\n",  # a dotted key
        '[tool.corral]\nx = 1\n[[packages]]\nname = "y"\n',  # a header after [tool.corral]
        '[[packages]]\nname = "x"\n[[packages.wheels]]\nname = "w"\nname = "v"\n',  # a key twice in a wheel
    ],
)
def test_deviations_read_to_tomllibs_data_or_none(text: str) -> None:
    got = read_canonical(text)
    if got is not None:
        assert repr(got) == repr(_tomllib(text))
