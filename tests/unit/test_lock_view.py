"""core.lock_view: which edits of a parsed pyproject.toml can change a lock (the no-op `corral lock` compares it)."""

from __future__ import annotations

from typing import Any

import pytest

from corral.core.lock_view import UNREAD_TOOLS, view_digest
from support.toml import tomllib

BASE = """
[project]
name = "demo"
version = "1.0"
description = "a demo"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[project.optional-dependencies]
fast = ["gamma"]

[dependency-groups]
dev = ["delta"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.uv]
resolution = "highest"

[tool.corral]
seed = false

[tool.ruff]
line-length = 100
"""


def digest(text: str, *, reaches: bool = False) -> str:
    return view_digest(tomllib.loads(text), version_reaches_lock=reaches)


def edited(old: str, new: str) -> str:
    assert BASE.count(old) == 1
    return BASE.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("[project]\n", "# comment\n[project]   # trailing\n"),
        ('name = "demo"\nversion = "1.0"\n', 'version="1.0"\nname = "demo"\n'),
        ('description = "a demo"\n', 'description = "another"\nreadme = "README.md"\nauthors = [{name = "A"}]\n'),
        ("line-length = 100\n", "line-length = 120\n[tool.mypy]\nstrict = true\n[tool.pytest.ini_options]\nx = 1\n"),
        ('dependencies = ["alpha>=1"]\n', 'dependencies = [\n  "alpha>=1",\n]\n'),
    ],
)
def test_an_edit_no_lock_reads_keeps_the_view(old: str, new: str) -> None:
    assert digest(edited(old, new)) == digest(BASE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('name = "demo"', 'name = "demo2"'),
        ('version = "1.0"', 'version = "1.1"'),
        ('version = "1.0"', 'dynamic = ["version"]'),
        ('requires-python = ">=3.9"', 'requires-python = ">=3.10"'),
        ('dependencies = ["alpha>=1"]', 'dependencies = ["alpha>=1.1"]'),
        ('fast = ["gamma"]', 'fast = ["gamma", "delta"]'),
        ('dev = ["delta"]', 'dev = ["delta", {include-group = "x"}]'),
        ('requires = ["hatchling"]', 'requires = ["hatchling>=1"]'),
        ('resolution = "highest"', 'resolution = "lowest"'),
        ('resolution = "highest"', 'resolution = "highest"\nsome-future-setting = true'),
        ("seed = false", "seed = true"),
        ("[tool.ruff]", '[tool.setuptools_scm]\nversion_scheme = "x"\n[tool.ruff]'),
        ("[tool.ruff]", '[tool.poetry.dependencies]\nbeta = "*"\n[tool.ruff]'),
        ("[tool.ruff]", "[tool.unknown-tool]\nx = 1\n[tool.ruff]"),
        ("[tool.ruff]", "unknown-top-level = 1\n[tool.ruff]"),
    ],
)
def test_an_edit_of_what_a_lock_reads_changes_the_view(old: str, new: str) -> None:
    assert digest(edited(old, new)) != digest(BASE)


def test_descriptive_fields_count_when_the_dynamic_version_reaches_the_lock() -> None:
    """The build backend's metadata hook states the version and reads (and may refuse) every [project] field."""
    text = edited('description = "a demo"', 'description = "another"')
    assert digest(text) == digest(BASE)
    assert digest(text, reaches=True) != digest(BASE, reaches=True)
    tools = edited("line-length = 100", "line-length = 1")
    assert digest(tools, reaches=True) == digest(BASE, reaches=True)  # no build backend reads a linter's table


def test_an_in_tree_backend_may_read_any_table() -> None:
    in_tree = edited('build-backend = "hatchling.build"', 'build-backend = "mine"\nbackend-path = ["."]')
    assert digest(in_tree.replace("line-length = 100", "line-length = 1")) != digest(in_tree)


def test_dates_keep_their_type() -> None:
    data: dict[str, Any] = {"tool": {"uv": {"exclude-newer": "2024-01-01"}}}
    as_date = tomllib.loads("[tool.uv]\nexclude-newer = 2024-01-01\n")
    assert view_digest(data, version_reaches_lock=False) != view_digest(as_date, version_reaches_lock=False)


def test_no_table_a_lock_reads_is_called_unread() -> None:
    assert not UNREAD_TOOLS & {"uv", "corral", "poetry", "pdm", "flit", "hatch", "setuptools", "setuptools_scm"}
