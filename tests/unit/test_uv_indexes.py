"""core.uv_indexes: the indexes a project names in `[tool.uv]`, in the order uv asks them."""

from __future__ import annotations

import pytest

from corral.core.uv_indexes import UvIndexes, uv_indexes
from corral.errors import ConfigError


def uv(table: dict[str, object]) -> dict[str, object]:
    return {"tool": {"uv": table}}


def test_the_default_index_and_the_others_in_uvs_order() -> None:
    data = uv(
        {
            "index": [
                {"name": "torch", "url": "https://download.example/cpu", "explicit": True},
                {"name": "one", "url": "https://one.example/simple"},
                {"name": "company", "url": "https://company.example/simple", "default": True},
                {"name": "two", "url": "https://two.example/simple"},
            ],
            "extra-index-url": ["https://three.example/simple", "https://one.example/simple"],
        }
    )
    found = uv_indexes(data)
    assert found == UvIndexes(
        "https://company.example/simple",
        ("https://one.example/simple", "https://two.example/simple", "https://three.example/simple"),
    )
    assert found.declared


def test_the_older_keys_and_none_at_all() -> None:
    assert uv_indexes(uv({"index-url": "https://c.example/simple"})) == UvIndexes("https://c.example/simple", ())
    assert not uv_indexes({"project": {"name": "x"}}).declared
    only_explicit = uv({"index": [{"name": "t", "url": "https://t.example", "explicit": True}]})
    assert not uv_indexes(only_explicit).declared, "an explicit index serves its sources only"


@pytest.mark.parametrize(
    "table",
    [
        {"index": {"url": "x"}},
        {"index": [{"name": "n"}]},
        {"index": ["https://x"]},
        {"index-url": 3},
        {"extra-index-url": "x"},
    ],
)
def test_a_malformed_index_table_is_a_config_error_naming_the_file(table: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=r"^/p/pyproject\.toml: "):
        uv_indexes(uv(table), source="/p/pyproject.toml")
