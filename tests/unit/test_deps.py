"""ProjectDeps: validation with precise messages, PEP 735 include-group expansion and cycles."""

from __future__ import annotations

import pytest

from corral.core.deps import ProjectDeps
from corral.errors import ConfigError, InvalidRequirement


def test_reads_dependencies_extras_and_groups_with_normalized_names() -> None:
    deps = ProjectDeps.from_pyproject(
        {
            "project": {
                "dependencies": ["alpha>=1"],
                "optional-dependencies": {"Fast_IO": ["gamma[fast]"]},
                "requires-python": ">=3.9",
            },
            "dependency-groups": {"Dev": ["cowsay-lite", {"include-group": "test"}], "test": ["delta<2"]},
        }
    )
    assert deps.extra_names == ["fast-io"]
    assert deps.group_names == ["dev", "test"]
    assert deps.expand_group("dev") == ["cowsay-lite", "delta<2"]
    assert deps.requires_python == ">=3.9"
    assert ("group:test", "delta<2") in deps.all_requirements()


def test_nested_include_groups_expand_in_order() -> None:
    deps = ProjectDeps.from_pyproject(
        {
            "dependency-groups": {
                "a": ["one", {"include-group": "b"}, "four"],
                "b": ["two", {"include-group": "c"}],
                "c": ["three"],
            }
        }
    )
    assert deps.expand_group("a") == ["one", "two", "three", "four"]


def test_cycle_is_an_error_naming_the_chain() -> None:
    with pytest.raises(ConfigError, match="cycle: a -> b -> a"):
        ProjectDeps.from_pyproject(
            {"dependency-groups": {"a": [{"include-group": "b"}], "b": [{"include-group": "a"}]}}
        )


def test_unknown_include_group_lists_the_valid_ones() -> None:
    expected = r"unknown dependency group 'tset' \(included from 'dev'\); valid groups: dev"
    with pytest.raises(ConfigError, match=expected):
        ProjectDeps.from_pyproject({"dependency-groups": {"dev": [{"include-group": "tset"}]}})


def test_bad_requirement_names_file_table_and_entry() -> None:
    with pytest.raises(InvalidRequirement, match=r"x/pyproject.toml: \[project.optional-dependencies\].fast entry 2"):
        ProjectDeps.from_pyproject(
            {"project": {"optional-dependencies": {"fast": ["ok", "bad >>> 1"]}}}, source="x/pyproject.toml"
        )
    with pytest.raises(ConfigError, match=r"\[dependency-groups\].dev entry 1 must be a requirement string"):
        ProjectDeps.from_pyproject({"dependency-groups": {"dev": [{"include": "x"}]}})
    with pytest.raises(ConfigError, match=r"\[project\].dependencies must be a list"):
        ProjectDeps.from_pyproject({"project": {"dependencies": "alpha"}})


def test_group_names_colliding_after_normalization_are_refused() -> None:
    with pytest.raises(ConfigError, match="twice"):
        ProjectDeps.from_pyproject({"dependency-groups": {"Dev": [], "dev": []}})
