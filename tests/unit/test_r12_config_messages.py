"""A bad value in the user config is named where it is: its top level or its `[corral]` table, never `[tool.corral]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import ConfigError
from corral.services.config import Settings


@pytest.mark.parametrize(
    ("text", "where"),
    [('index-url = "idx"\n', ": index-url"), ('[corral]\nindex-url = "idx"\n', ": [corral] index-url")],
)
def test_the_user_configs_bad_value_is_named_in_its_own_table(tmp_path: Path, text: str, where: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Settings(environ={}, user_file=config).get("index-url")
    assert f"{config}{where}: 'idx' is not a package index URL" in str(raised.value)
    assert "[tool.corral]" not in str(raised.value)


def test_the_projects_bad_value_is_named_in_tool_corral(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError) as raised:
        Settings(environ={}, project_table={"index-url": "idx"}, project_file=pyproject).get("index-url")
    assert f"{pyproject}: [tool.corral] index-url" in str(raised.value)
