"""The add head start's plan: the upcoming plan's temporary project with the requirements appended, as the full path
writes it (`resolvers.uv_project.uv_project` rendered by `core.pylock_write.toml_document`), or None."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corral.cli.lock_quick import _name_key, _with_requirements
from corral.core.pylock_write import toml_document
from corral.resolvers.uv_project import uv_project

ROOT = Path("/p")


def _text(data: dict[str, Any]) -> str:
    return toml_document(uv_project(data, ROOT, "0.1.0"))


@pytest.mark.parametrize(
    "project",
    [
        {"name": "d", "dependencies": []},
        {"name": "d", "dependencies": ["pandas", "dask[complete]", "scikit-learn>=1"]},
        {"name": "d", "requires-python": ">=3.12", "dependencies": ["a"], "optional-dependencies": {"x": ["y"]}},
        {"name": "d"},
    ],
)
@pytest.mark.parametrize("added", [["humanize"], ["b_c.d>=1.0,<2", "e[f,g]~=1.2"]])
def test_the_appended_text_is_the_full_paths(project: dict[str, Any], added: list[str]) -> None:
    data: dict[str, Any] = {"project": project, "dependency-groups": {"dependencies": ["z"]}}
    wanted = {**data, "project": {**project, "dependencies": [*project.get("dependencies", []), *added]}}
    assert _with_requirements(_text(data), added) == _text(wanted)


@pytest.mark.parametrize(
    ("listed", "added"),
    [
        (["Dask[complete]>=1"], ["dask"]),  # add replaces a declared name in place
        (["foo.bar"], ["Foo_Bar"]),
        (["a"], ["b", "B"]),  # the same name twice: add refuses
        (['c; python_version >= "3.9"'], ["d"]),  # an escaped string in the line
    ],
)
def test_what_is_not_a_plain_append_is_none(listed: list[str], added: list[str]) -> None:
    assert _with_requirements(_text({"project": {"name": "d", "dependencies": listed}}), added) is None


def test_another_layout_is_none() -> None:
    assert _with_requirements('[tool]\ndependencies = ["a"]\n', ["b"]) is None
    assert _with_requirements('[project]\nname = "d"\ndependencies = [\n"a"]\n', ["b"]) is None


def test_names_are_normalized_as_pep_503_does() -> None:
    assert [_name_key(t) for t in ("Foo__Bar.baz>=1", "a[x]", " b ; c", "x-._y")] == ["foo-bar-baz", "a", "b", "x-y"]


@pytest.mark.parametrize(
    "argv",
    [
        ["lock"],
        ["add", "--dev", "x"],
        ["add", "-C", "d", "x"],
        ["add", "x y"],
        ["add", "./pkg"],
        ["add"],
        ["add", "-q"],
    ],
)
def test_a_command_line_that_is_no_plain_add_starts_nothing(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from corral.cli import lock_quick

    def fail(*_: object) -> bool:
        raise AssertionError("looked for a plan")

    monkeypatch.setattr(lock_quick, "_add_head_start", fail)
    assert lock_quick.add_argv_head_start(argv, {}) is False
