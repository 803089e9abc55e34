from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import ConfigError
from corral.services.config import Settings


def test_precedence_flag_env_project_user_default(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('engine = "pip"\nseed = false\nprompt = "from-user"\n')
    settings = Settings(
        flags={"prompt": "from-flag"},
        environ={"CORRAL_SEED": "yes"},
        project_table={"engine": "uv"},
        project_file=tmp_path / "pyproject.toml",
        user_file=user,
    )
    assert settings.get("prompt").source == "command line"
    assert settings.get("seed").value is True
    assert settings.get("seed").source == "env CORRAL_SEED"
    assert settings.get("engine").value == "uv"
    assert settings.get("engine").source.endswith("pyproject.toml")
    assert settings.get("default-groups").value == ["dev"]
    assert settings.get("default-groups").source == "default"


def test_wrong_types_name_the_file_and_key(tmp_path: Path) -> None:
    settings = Settings(environ={}, project_table={"seed": "yes"}, project_file=tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.corral\] seed must be true or false"):
        settings.get("seed")
    with pytest.raises(ConfigError, match="CORRAL_SEED='maybe' is not a boolean"):
        Settings(environ={"CORRAL_SEED": "maybe"}).get("seed")


def test_unknown_keys_are_reported(tmp_path: Path) -> None:
    settings = Settings(environ={}, project_table={"enigne": "uv"}, project_file=tmp_path / "p")
    assert settings.unknown_keys() == ["enigne"]


def test_list_settings_from_env_split_on_commas_and_spaces() -> None:
    settings = Settings(environ={"CORRAL_EXTRA_INDEX_URLS": "http://a/simple, http://b/simple"})
    assert settings.value("extra-index-urls") == ["http://a/simple", "http://b/simple"]


def test_the_typed_names_of_settings_value_match_the_table() -> None:
    """`Settings.value` is typed by the Literal groups in services.config: each setting in exactly the right one."""
    from typing import get_args

    from corral.services.config import SETTINGS, BoolSetting, ListSetting, OptionalStrSetting, StrSetting

    groups = {bool: set(get_args(BoolSetting)), list: set(get_args(ListSetting))}
    strs, optional = set(get_args(StrSetting)), set(get_args(OptionalStrSetting))
    for setting in SETTINGS:
        if setting.kind is str:
            assert setting.name in (optional if setting.default is None else strs), setting.name
        else:
            assert setting.name in groups[setting.kind], setting.name
    named = set().union(*groups.values(), strs, optional)
    assert named == {s.name for s in SETTINGS}
    assert sum(len(g) for g in (*groups.values(), strs, optional)) == len(SETTINGS)  # none in two groups


def test_a_callers_own_value_ranks_as_the_command_line() -> None:
    settings = Settings(environ={"CORRAL_ENGINE": "pip", "CORRAL_SEED": "0"})
    assert settings.get("engine", "uv") == settings.get("engine", "uv")
    assert (settings.get("engine", "uv").value, settings.get("engine", "uv").source) == ("uv", "command line")
    assert settings.get("engine").source == "env CORRAL_ENGINE"  # None: not given
    assert settings.value("seed", True) is True
    assert settings.value("seed") is False
    with pytest.raises(ConfigError, match="--python: python is empty"):
        settings.get("python", " ")  # checked as a flag is


def test_the_cli_puts_a_commands_setting_options_in_the_command_line_layer(tmp_path: Path) -> None:
    from corral.cli.main import _setting_flags, command_parser
    from corral.services.context import Context

    module, parser = command_parser("venv")
    args = parser.parse_args(["--no-seed", "--prompt", "p", "--creator", "venv"])
    flags = _setting_flags(module, args)
    assert flags == {"python": None, "system-site-packages": None, "prompt": "p", "seed": False, "creator": "venv"}
    ctx = Context(cwd=tmp_path, environ={"CORRAL_SEED": "1", "CORRAL_PYTHON": "3.12"}, flags=flags)
    assert (ctx.settings.value("seed"), ctx.settings.get("seed").source) == (False, "command line")
    assert ctx.settings.get("python").source == "env CORRAL_PYTHON"  # not given on the command line
    module, parser = command_parser("run")
    assert _setting_flags(module, parser.parse_args(["--python", "3.11", "x"])) == {"engine": None}  # a script's


def test_a_derived_context_shares_the_command_and_sees_its_own_folder_or_project(tmp_path: Path) -> None:
    from corral.services.context import Context
    from corral.services.project import Project

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "a"\nversion = "0"\n')
    ctx = Context(cwd=tmp_path / "a", environ={"CORRAL_HOME": str(tmp_path / "home")}, flags={"engine": "pip"})
    finder, project = ctx.finder, ctx.project  # what was found already is not looked up again
    same = ctx.derive(flags={"seed": False, "prompt": None})
    assert same.environ is ctx.environ
    assert same.paths is ctx.paths
    assert same.finder is finder
    assert same.project is project
    assert same.flags == {"engine": "pip", "seed": False}
    assert ctx.flags == {"engine": "pip"}
    (tmp_path / "b").mkdir()
    elsewhere = ctx.derive(cwd=tmp_path / "b")
    assert elsewhere.cwd == tmp_path / "b"
    assert elsewhere.project is None
    edited = ctx.derive(
        project=Project(root=tmp_path / "a", data={"project": {"name": "a"}, "tool": {"corral": {"seed": False}}})
    )
    assert edited.settings.get("seed").value is False
    assert ctx.settings.get("seed").value is True


def test_an_engine_from_the_command_line_is_refused_where_the_settings_one_falls_back(tmp_path: Path) -> None:
    from corral.errors import EnvError, UsageError
    from corral.services.context import Context
    from corral.services.sync.apply import pick_engine

    env = tmp_path / "env"  # no pip in it: the pip engine cannot serve
    env.mkdir()
    environ = {"CORRAL_ENGINE": "pip", "PATH": "/usr/bin", "CORRAL_HOME": str(tmp_path / "home")}
    with pytest.raises(UsageError, match="--engine pip cannot serve"):
        pick_engine(Context(cwd=tmp_path, environ=environ, flags={"engine": "pip"}), None, env, None)
    with pytest.raises(UsageError, match="--engine pip cannot serve"):
        pick_engine(Context(cwd=tmp_path, environ=environ), "pip", env, None)  # a library caller's own choice
    with pytest.raises(EnvError, match="no installer engine can serve"):  # the setting's: the rows after it
        pick_engine(Context(cwd=tmp_path, environ=environ), None, env, None)
