from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import ConfigError
from corral.services.config import Settings


def test_precedence_flag_env_project_user_default(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('engine = "pip"\nseed = false\nprompt = "from-user"\n')
    settings = Settings(flags={"prompt": "from-flag"}, environ={"CORRAL_SEED": "yes"},
                        project_table={"engine": "uv"}, project_file=tmp_path / "pyproject.toml", user_file=user)
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
