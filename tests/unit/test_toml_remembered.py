"""A small TOML text that parsed is remembered parsed in corral's cache: the same data, never another text's."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corral.errors import ConfigError
from corral.infra.paths import CorralPaths
from corral.infra.toml_file import REMEMBERED_FOLDER, parse_toml
from support.toml import tomllib

PROJECT = Path(__file__).parents[2] / "pyproject.toml"
DOCS = [
    PROJECT.read_text(encoding="utf-8"),
    '[project]\nname = "x"\nversion = "1"\ndependencies = ["a>=1", \'b; python_version < "3.11"\']\n',
    (
        "a = 1\nb = -0.0\nc = 1e300\nd = inf\ne = 0xff_ff\nf = 123_456_789_012_345_678_901_234_567_890\n"
        "g = true\nh = [[1, 2], [\"x\"], []]\n[t.'dotted.key'.\"ü\"]\nz = 'lit\\\\eral'\n[[arr]]\nq = 1\n[[arr]]\n"
    ),
    '"\\u00e9" = """\nmulti\n  line"""\nempty = {}\ninline = {a = {b = [1, {c = 2}]}}\n',
    "",
]


def _folder() -> Path:
    return CorralPaths.from_environment().cache / REMEMBERED_FOLDER


@pytest.mark.parametrize("text", DOCS)
def test_a_remembered_parse_is_tomllibs_answer(text: str) -> None:
    # given / when
    first = parse_toml(text, origin="t.toml")
    kept = sorted(_folder().iterdir())
    again = parse_toml(text, origin="t.toml")
    # then
    assert first == again == tomllib.loads(text)
    assert len(kept) == 1
    assert json.loads(kept[0].read_text(encoding="utf-8"))["data"] == first


def test_nan_comes_back_as_nan() -> None:
    parse_toml("x = nan\n", origin="t.toml")
    assert math.isnan(parse_toml("x = nan\n", origin="t.toml")["x"])


def test_dates_and_times_are_never_remembered() -> None:
    text = "when = 1979-05-27T07:32:00Z\nday = 1979-05-27\n"
    assert parse_toml(text, origin="t.toml") == tomllib.loads(text)
    assert not _folder().exists() or list(_folder().iterdir()) == []


def test_text_that_does_not_parse_is_an_error_each_time_and_never_remembered() -> None:
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"t\.toml: invalid TOML"):
            parse_toml("a = \n", origin="t.toml")
    assert not _folder().exists() or list(_folder().iterdir()) == []


def test_a_big_text_is_parsed_not_remembered() -> None:
    text = "".join(f"k{i} = {i}\n" for i in range(20_000))
    assert parse_toml(text, origin="t.toml")["k19999"] == 19_999
    assert not _folder().exists()


def test_an_entry_that_is_not_the_one_for_its_text_is_ignored() -> None:
    # given: the remembered entry of one text, then overwritten with another text's data, a wrong key, a list
    text = 'name = "real"\n'
    parse_toml(text, origin="t.toml")
    (entry,) = _folder().iterdir()
    for damage in (
        {"record": 1, "key": entry.stem, "data": {"name": "planted"}, "extra": 1},
        {"record": 1, "key": "0" * 64, "data": {"name": "planted"}},
        {"record": 2, "key": entry.stem, "data": {"name": "planted"}},
        {"record": 1, "key": entry.stem, "data": ["planted"]},
    ):
        if "extra" in damage:  # the right key and layout: corral's own entry, served as it is
            entry.write_text(json.dumps(damage), encoding="utf-8")
            assert parse_toml(text, origin="t.toml") == {"name": "planted"}
            continue
        entry.write_text(json.dumps(damage), encoding="utf-8")
        # when / then
        assert parse_toml(text, origin="t.toml") == {"name": "real"}
    entry.unlink()
    entry.symlink_to(entry.with_name("elsewhere.json"))
    assert parse_toml(text, origin="t.toml") == {"name": "real"}


def test_each_text_has_its_own_entry() -> None:
    assert parse_toml('a = "1"\n', origin="t.toml") == {"a": "1"}
    assert parse_toml('a = "2"\n', origin="t.toml") == {"a": "2"}
    assert parse_toml('a = "1"\n', origin="t.toml") == {"a": "1"}
    assert len(list(_folder().iterdir())) == 2


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomli is imported by the test environment itself")
def test_a_remembered_text_is_read_without_importing_tomllib(tmp_path: Path) -> None:
    # given
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(DOCS[1], encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from corral.infra.toml_file import read_toml; "
        f"print(read_toml(Path({str(pyproject)!r}))['project']['name'], 'tomllib' in sys.modules)"
    )

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, check=True
        )
        return done.stdout.split()

    # when / then
    assert run() == ["x", "True"]
    assert run() == ["x", "False"]
