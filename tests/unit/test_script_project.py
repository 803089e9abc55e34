"""`services.script_project.states_no_request`: a pyproject.toml naming corral, parsed as the full path parses it.

True lets the quick path make the script env's key without the project; so it must be False wherever the full
path would read an interpreter or an index from the file, or would fail on it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from corral.infra.script_request import PROJECTS_FOLDER, environ_only_request, remembered
from corral.services.script_project import states_no_request

_HEAD = '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.9"\n\n'


@pytest.mark.parametrize(
    ("table", "answer"),
    [
        ("[tool.corral]\nseed = false\n", True),
        ('[tool.corral]\nvenv-dir = ".env"\ndefault-groups = ["dev"]\n', True),
        ('[tool.uv]\ndefault-groups = ["dev"]\n[tool.corral]\nseed = true\n', True),
        ('[tool.corral]\npython = "3.11"\n', False),
        ('[tool.corral]\nindex-url = "http://x/simple"\n', False),
        ('[tool.corral]\nextra-index-urls = ["http://x/simple"]\n', False),
        ('[tool]\n"\\u0063orral" = {"\\u0070ython" = "3.11"}\n', False),
        ('[tool.corral]\nseed = "maybe"\n', False),
        ("[tool.corral]\nengine = 3\n", False),
        ('[tool]\ncorral = "a string"\n', False),
        ("[tool.uv]\ndefault-groups = 7\n[tool.corral]\nseed = true\n", False),
        ("[tool.corral\nseed = true\n", False),
    ],
)
def test_only_a_valid_table_without_python_or_index_states_no_request(tmp_path: Path, table: str, answer: bool) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(_HEAD + table, encoding="utf-8")
    assert states_no_request(str(pyproject)) is answer


def test_the_quick_request_asks_only_about_a_pyproject_naming_corral(tmp_path: Path) -> None:
    asked: list[str] = []

    def check(path: str) -> bool:
        asked.append(path)
        return states_no_request(path)

    work = tmp_path / "proj"
    work.mkdir()
    pyproject = work / "pyproject.toml"
    pyproject.write_text(_HEAD, encoding="utf-8")
    config = str(tmp_path / "config.toml")
    assert environ_only_request({}, str(work), config, check) == ""
    assert asked == []
    pyproject.write_text(_HEAD + "[tool.corral]\nseed = false\n", encoding="utf-8")
    (work / ".python-version").write_text("3.11\n", encoding="utf-8")
    assert environ_only_request({}, str(work), config, check) == "3.11"
    assert asked == [str(pyproject)]
    pyproject.write_text(_HEAD + '[tool.corral]\npython = "3.12"\n', encoding="utf-8")
    assert environ_only_request({}, str(work), config, check) is None
    assert environ_only_request({}, str(work), config) is None, "no check: every such file goes the full way"


class _Counting:
    """A project check that says `answer` and counts how often it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked = 0

    def __call__(self, _path: str) -> bool:
        self.asked += 1
        return self.answer


def _settled_project(tmp_path: Path) -> Path:
    pyproject = tmp_path / "proj" / "pyproject.toml"
    pyproject.parent.mkdir()
    pyproject.write_text(_HEAD + "[tool.corral]\nseed = false\n", encoding="utf-8")
    time.sleep(0.1)  # older than the settling margin (50 ms)
    return pyproject


def test_a_yes_is_remembered_while_the_file_stays_the_same(tmp_path: Path) -> None:
    pyproject = _settled_project(tmp_path)
    cache = str(tmp_path / "cache")
    check = _Counting(answer=True)
    assert remembered(cache, str(pyproject), check)
    assert remembered(cache, str(pyproject), check)
    assert check.asked == 1, "the second answer came from the record"
    [record] = (tmp_path / "cache" / PROJECTS_FOLDER).iterdir()
    assert str(pyproject) in record.read_text(encoding="utf-8")
    with pyproject.open("a", encoding="utf-8") as handle:  # an edit, even one that gives the mtime back
        handle.write("\n")
    assert remembered(cache, str(pyproject), check)
    assert check.asked == 2


def test_a_no_a_young_file_and_a_foreign_record_are_not_trusted(tmp_path: Path) -> None:
    pyproject = _settled_project(tmp_path)
    cache = str(tmp_path / "cache")
    no = _Counting(answer=False)
    assert not remembered(cache, str(pyproject), no)
    assert not remembered(cache, str(pyproject), no)
    assert no.asked == 2, "a no is never recorded"
    assert not (tmp_path / "cache" / PROJECTS_FOLDER).exists()
    young = tmp_path / "young" / "pyproject.toml"
    young.parent.mkdir()
    young.write_text(_HEAD, encoding="utf-8")
    yes = _Counting(answer=True)
    assert remembered(cache, str(young), yes)
    assert not (tmp_path / "cache" / PROJECTS_FOLDER).exists(), "not settled: its stat may hide the next write"
    assert remembered(cache, str(pyproject), yes)
    [record] = (tmp_path / "cache" / PROJECTS_FOLDER).iterdir()
    text = record.read_text(encoding="utf-8")
    for change in (
        lambda: record.write_text("0.0.0" + text[text.index("\n") :], encoding="utf-8"),
        lambda: record.chmod(0o666),
    ):
        change()
        asked = yes.asked
        assert remembered(cache, str(pyproject), yes)
        assert yes.asked == asked + 1, "another corral's record, or one others may write, vouches for nothing"
