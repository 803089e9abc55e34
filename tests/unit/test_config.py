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
