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


def test_the_installer_is_given_each_index_by_name_or_with_its_credentials() -> None:
    from corral.core.uv_indexes import index_spellings

    data = uv(
        {
            "index": [
                {"name": "corp-pypi", "url": "https://corp.example/simple/", "default": True},
                {"url": "https://user:tok@other.example/simple"},
                {"name": "bad name", "url": "https://x.example/simple"},
            ],
            "extra-index-url": ["https://u:p@extra.example/simple"],
        }
    )
    assert index_spellings(data) == [
        "corp-pypi=https://corp.example/simple/",  # uv finds UV_INDEX_CORP_PYPI_USERNAME for it
        "https://user:tok@other.example/simple",
        "https://x.example/simple",
        "https://u:p@extra.example/simple",
    ]


def test_a_head_start_record_never_keeps_a_project_index_with_credentials() -> None:
    from corral.resolvers.uv_headstart import _with_credentials

    assert _with_credentials('[[tool.uv.index]]\nurl = "https://user:tok@corp.example/simple"\n')
    assert not _with_credentials('url = "https://corp.example/simple"\nemail = "a@b.example"\n')
