"""`services.script_project.states_no_request`: a pyproject.toml naming corral, parsed as the full path parses it.

True lets the quick path make the script env's key without the project; so it must be False wherever the full
path would read an interpreter or an index from the file, or would fail on it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from corral.infra.script_request import PROJECTS_FOLDER, environ_only_request, remembered
from corral.services.script_project import config_states_no_request, states_no_request

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


def test_the_quick_request_asks_the_checks_about_the_project_and_the_user_config(tmp_path: Path) -> None:
    """Every pyproject.toml and user config is checked (a malformed one fails the full path), not only those naming
    corral; without the checks, the words decide."""
    asked: list[str] = []

    def check(path: str) -> bool:
        asked.append(path)
        return states_no_request(path)

    def config_check(path: str) -> bool:
        asked.append(path)
        return config_states_no_request(path)

    work = tmp_path / "proj"
    work.mkdir()
    pyproject = work / "pyproject.toml"
    pyproject.write_text(_HEAD, encoding="utf-8")
    config = tmp_path / "config.toml"
    assert environ_only_request({}, str(work), str(config), check, config_check) == ""
    assert asked == [str(pyproject)], "no user config: nothing to ask about it"
    pyproject.write_text(_HEAD + "[tool.corral]\nseed = false\n", encoding="utf-8")
    (work / ".python-version").write_text("3.11\n", encoding="utf-8")
    config.write_text("seed = false\n", encoding="utf-8")
    assert environ_only_request({}, str(work), str(config), check, config_check) == "3.11"
    assert asked[1:] == [str(config), str(pyproject)]
    pyproject.write_text(_HEAD + '[tool.corral]\npython = "3.12"\n', encoding="utf-8")
    assert environ_only_request({}, str(work), str(config), check, config_check) is None
    assert environ_only_request({}, str(work), str(config)) is None, "no check: a file naming corral goes the full way"
    pyproject.write_text("[project\n", encoding="utf-8")
    assert environ_only_request({}, str(work), str(config), check, config_check) is None, "malformed: the full path"
    assert environ_only_request({}, str(work), str(config)) == "3.11", "the words alone cannot tell"
    pyproject.write_text(_HEAD, encoding="utf-8")
    for text in ("x = \n", 'python = "3.12"\n', '[corral]\nindex-url = "http://x/simple"\n', "seed = 7\n"):
        config.write_text(text, encoding="utf-8")
        assert environ_only_request({}, str(work), str(config), check, config_check) is None, text
    config.write_text('[corral]\nseed = false\nvenv-dir = ".env"\n', encoding="utf-8")
    assert environ_only_request({}, str(work), str(config), check, config_check) == "3.11"


def test_a_project_folder_whose_name_is_no_utf8_is_the_full_paths_to_refuse(tmp_path: Path) -> None:
    folder = os.fsdecode(os.fsencode(tmp_path) + b"/bad\xff")
    os.mkdir(folder)
    pyproject = os.path.join(folder, "pyproject.toml")
    with open(pyproject, "w", encoding="utf-8") as handle:
        handle.write(_HEAD + "[tool.corral]\nseed = false\n")
    time.sleep(0.1)
    assert not states_no_request(pyproject)
    assert not remembered(str(tmp_path / "cache"), pyproject, lambda _path: True), "never recorded, never a crash"


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
