"""`corral add` answers a typo with what was meant: `==` for a single `=`, the closest name the index lists."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from support.indexed import indexed_project

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral
    from support.index import LocalIndex

pytestmark = pytest.mark.integration


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> Path:
    return indexed_project(tmp_path, monkeypatch, local_index)


def test_single_equals_suggests_double(corral: Corral, root: Path) -> None:
    before = (root / "pyproject.toml").read_bytes()
    done = corral("add", "alpha=1.0", cwd=root)
    assert done.exit_code == 2
    assert "did you mean 'alpha==1.0'?" in done.stderr
    assert "Expected semicolon" not in done.stderr
    assert (root / "pyproject.toml").read_bytes() == before


def test_unknown_project_names_the_closest_one_the_index_lists(
    corral: Corral, root: Path, local_index: LocalIndex
) -> None:
    done = corral("add", "alphaa", "--json", cwd=root)
    assert done.exit_code == 1
    error = json.loads(done.stdout)["error"]
    assert error["message"] == f"cannot add 'alphaa': no project named 'alphaa' on {local_index.simple_url}"
    assert error["fix"] == "did you mean 'alpha'?"
    assert error["code"] == "lock-error"
    assert "Because alphaa was not found" not in done.stderr  # uv's raw text is not passed on


def test_unknown_project_without_a_close_name(corral: Corral, root: Path) -> None:
    done = corral("add", "zzzqqq", cwd=root)
    assert done.exit_code == 1
    assert "no project named 'zzzqqq'" in done.stderr
    assert "check the name's spelling" in done.stderr
