"""`services.script_project.states_no_request`: a pyproject.toml naming corral, parsed as the full path parses it.

True lets the quick path make the script env's key without the project; so it must be False wherever the full
path would read an interpreter or an index from the file, or would fail on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.infra.script_request import environ_only_request
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
