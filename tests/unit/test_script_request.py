"""`infra.script_request.environ_only_request`: the quick paths' interpreter request, or None if a file may say.

A None costs the full path's time; a wrong answer would run a script in an env made for another Python or index.
So every file that could state the `python`, `index-url` or `extra-index-urls` setting, or a `.python-version`,
sends it the full way, however the file spells or hides it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.infra.script_request import environ_only_request


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """(a working folder two levels below tmp_path, the user config file's path: absent)."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    return work, tmp_path / "config" / "config.toml"


def ask(tree: tuple[Path, Path], **environ: str) -> str | None:
    work, config = tree
    return environ_only_request(environ, str(work), str(config))


def test_no_file_and_no_setting_is_no_request_and_the_setting_is_its_value(tree: tuple[Path, Path]) -> None:
    assert ask(tree) == ""
    assert ask(tree, CORRAL_PYTHON="3.11") == "3.11"
    assert ask(tree, CORRAL_PYTHON=" ") is None, "a blank setting: the full path names the error"


@pytest.mark.parametrize(
    "text",
    [
        'python = "3.11"\n',
        '[corral]\nindex-url = "http://x/simple"\n',
        'extra-index-urls = ["http://x/simple"]\n',
        '"\\u0070ython" = "3.11"\n',
        '"\\U00000070ython" = "3.11"\n',
    ],
)
def test_a_user_config_that_may_name_a_python_or_an_index_goes_the_full_way(tree: tuple[Path, Path], text: str) -> None:
    config = tree[1]
    config.parent.mkdir()
    config.write_text(text, encoding="utf-8")
    assert ask(tree) is None
    assert ask(tree, CORRAL_PYTHON="3.11") is None, "the index may still come from the file"
    config.write_text("seed = false\n", encoding="utf-8")
    assert ask(tree) == ""


def test_the_projects_pyproject_may_state_settings_only_with_corral_in_it(tree: tuple[Path, Path]) -> None:
    work = tree[0]
    pyproject = work.parent / "pyproject.toml"
    pyproject.write_text('[project]\nname = "p"\n', encoding="utf-8")
    assert ask(tree) == ""
    for text in ('[tool.corral]\npython = "3.11"\n', '[tool]\n"\\u0063orral" = {python = "3.11"}\n'):
        pyproject.write_text(text, encoding="utf-8")
        assert ask(tree) is None
    (work / "pyproject.toml").write_text('[project]\nname = "q"\n', encoding="utf-8")
    assert ask(tree) == "", "the nearest pyproject.toml is the project: a parent's settings are not its"


def test_any_python_version_at_or_above_goes_the_full_way_unless_the_setting_ranks_above(
    tree: tuple[Path, Path],
) -> None:
    work = tree[0]
    (work.parent.parent / ".python-version").write_text("3.10\n", encoding="utf-8")
    assert ask(tree) is None
    assert ask(tree, CORRAL_PYTHON="3.12") == "3.12"
    (work.parent.parent / ".python-version").unlink()
    (work / ".python-version").symlink_to("nowhere")  # dangling: the full path says what it makes of it
    assert ask(tree) is None


def test_a_file_that_is_not_a_small_regular_one_goes_the_full_way(tree: tuple[Path, Path]) -> None:
    work, config = tree
    config.parent.mkdir()
    elsewhere = work / "elsewhere.toml"
    elsewhere.write_text("seed = false\n", encoding="utf-8")
    config.symlink_to(elsewhere)
    assert ask(tree) is None, "a link: the full path reads what it leads to"
    config.unlink()
    os.mkfifo(config)
    assert ask(tree) is None, "a fifo is never opened here (it would hang)"
    config.unlink()
    config.write_bytes(b"#" * (2 << 20))
    assert ask(tree) is None
    config.unlink()
    (work / "pyproject.toml").mkdir()
    assert ask(tree) is None
