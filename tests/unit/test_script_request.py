"""`infra.script_request.environ_only_request`: the quick paths' interpreter request, or None if a file may say.

A None costs the full path's time; a wrong answer would run a script in an env made for another Python or index.
So every file that could state the `python`, `index-url` or `extra-index-urls` setting, or a `.python-version`,
sends it the full way, however the file spells or hides it.
"""

from __future__ import annotations

import os
import sys
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


def test_the_nearest_python_version_is_the_request_unless_the_setting_ranks_above(tree: tuple[Path, Path]) -> None:
    work = tree[0]
    (work.parent.parent / ".python-version").write_text("# pinned\n\n 3.10 \n3.9\n", encoding="utf-8")
    assert ask(tree) == "3.10", "its first request, as pyenv and uv read it"
    assert ask(tree, CORRAL_PYTHON="3.12") == "3.12"
    (work / ".python-version").write_text("# nothing here\n", encoding="utf-8")
    assert ask(tree) == "3.10", "a file without a request: the next one above"
    (work / ".python-version").unlink()
    (work / ".python-version").symlink_to("nowhere")  # dangling: the full path says what it makes of it
    assert ask(tree) is None
    (work / ".python-version").unlink()
    (work / ".python-version").symlink_to(work.parent.parent / ".python-version")  # out of its folder: refused
    assert ask(tree) is None
    (work / ".python-version").unlink()
    (work / ".python-version").write_text("./venv/bin/python\n", encoding="utf-8")
    assert ask(tree) is None, "a relative path: the full path makes it absolute from the file's folder"


def test_in_a_project_the_pins_below_its_folder_are_not_read(tree: tuple[Path, Path]) -> None:
    """`services.python.read_python_version` starts at the project's folder."""
    work = tree[0]
    (work.parent / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    (work / ".python-version").write_text("3.9\n", encoding="utf-8")
    assert ask(tree) == ""
    (work.parent.parent / ".python-version").write_text("3.10\n", encoding="utf-8")
    assert ask(tree) == "3.10"
    (work.parent / ".python-version").write_text("3.11\n", encoding="utf-8")
    assert ask(tree) == "3.11"


@pytest.mark.parametrize(
    "layout",
    [
        {},
        {"a/.python-version": "3.10\n"},
        {"a/b/.python-version": "3.9\n", "a/.python-version": "3.11\n"},
        {"a/pyproject.toml": '[project]\nname = "p"\n', "a/b/.python-version": "3.9\n"},
        {"a/pyproject.toml": '[project]\nname = "p"\n', ".python-version": "#x\n3.12  # comment\n"},
        {"a/b/pyproject.toml": '[project]\nname = "p"\n', "a/.python-version": "pypy3.10\n"},
        {"a/.python-version": "\n\n", ".python-version": "cpython@3.11\n"},
    ],
)
def test_the_quick_request_is_the_full_paths(tmp_path: Path, layout: dict[str, str]) -> None:
    """Where the quick path answers, `services.scripts.env_request` gives the same request (the same env key)."""
    from corral.services.context import Context
    from corral.services.scripts import env_request

    root = tmp_path / "top"
    work = root / "a" / "b"
    work.mkdir(parents=True)
    for name, text in layout.items():
        (root / name).write_text(text, encoding="utf-8")
    config = tmp_path / "config" / "config.toml"
    environ = {"CORRAL_HOME": str(tmp_path / "home")}
    quick = environ_only_request(environ, str(work), str(config))
    assert quick is not None
    assert (root.parent / ".python-version").exists() is False
    assert env_request(Context(cwd=work, environ=environ), None)[0] == quick


def test_the_pin_size_bound_is_the_full_paths() -> None:
    from corral.infra import script_request
    from corral.services import python

    assert script_request._PIN_BYTES == python._PIN_BYTES  # noqa: SLF001 - two readers of one file


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


def test_the_checked_variables_with_the_keyed_ones_are_every_settings_variable() -> None:
    from corral.core.script_key import KEY_ENV_VARS
    from corral.infra.script_request import CHECKED_VARS
    from corral.services.config import SETTINGS

    every = {setting.env_var for setting in SETTINGS}
    keyed = every & set(KEY_ENV_VARS) | {"CORRAL_PYTHON"}
    assert keyed == {"CORRAL_PYTHON", "CORRAL_INDEX_URL", "CORRAL_EXTRA_INDEX_URLS"}
    assert set(CHECKED_VARS) == every - keyed, "a setting's variable neither in the key nor checked"
    assert len(CHECKED_VARS) == len(set(CHECKED_VARS))


def test_a_settings_variable_is_asked_about_and_without_a_check_goes_the_full_way(tree: tuple[Path, Path]) -> None:
    work, config = tree
    asked: list[dict[str, str]] = []

    def check(answer: bool) -> object:
        def asks(settings: dict[str, str]) -> bool:
            asked.append(settings)
            return answer

        return asks

    environ = {"CORRAL_SEED": "0", "CORRAL_PYTHON": "3.11", "CORRAL_SHELL": "bash"}
    assert environ_only_request(environ, str(work), str(config)) is None, "no check: the full path checks them"
    assert environ_only_request(environ, str(work), str(config), settings_check=check(False)) is None  # type: ignore[arg-type]
    assert environ_only_request(environ, str(work), str(config), settings_check=check(True)) == "3.11"  # type: ignore[arg-type]
    assert asked == [{"CORRAL_SEED": "0"}, {"CORRAL_SEED": "0"}], "only the settings' variables not in the key"
    assert environ_only_request({"CORRAL_SHELL": "bash"}, str(work), str(config)) == "", "nothing to check"


def test_a_valid_setting_is_remembered_by_its_digest_and_an_invalid_one_is_not(tmp_path: Path) -> None:
    from corral.infra.script_request import PROJECTS_FOLDER, remembered_settings
    from corral.services.script_project import settings_valid

    calls: list[dict[str, str]] = []

    def check(settings: dict[str, str]) -> bool:
        calls.append(settings)
        return settings_valid(settings)

    cache = str(tmp_path)
    good = {"CORRAL_SEED": "0", "CORRAL_PROMPT": "my env"}
    assert remembered_settings(cache, good, check)
    assert remembered_settings(cache, dict(reversed(good.items())), check), "the order does not matter"
    assert len(calls) == 1, "the second answer came from the record"
    (record,) = (tmp_path / PROJECTS_FOLDER).iterdir()
    assert "my env" not in record.read_text(encoding="utf-8"), "the record holds a digest, not the values"
    assert sys.version in record.read_text(encoding="utf-8"), "another Python's Unicode tables may judge a prompt apart"
    for bad in ({"CORRAL_SEED": "maybe"}, {"CORRAL_ENGINE": "bogus"}, {"CORRAL_PROMPT": "a$(id)"}):
        assert not remembered_settings(cache, bad, check)
        assert not remembered_settings(cache, bad, check)
    assert len(calls) == 7, "a False is asked again each time"
    assert len(list((tmp_path / PROJECTS_FOLDER).iterdir())) == 1
    record.write_text(record.read_text(encoding="utf-8").replace("\nsettings\n", "\nsettings \n"), encoding="utf-8")
    assert remembered_settings(cache, good, check)
    assert len(calls) == 8, "a record that is not the one written is not trusted"
