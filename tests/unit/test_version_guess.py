"""services.project_version.guessed_version: the version a project's version files state as text (a guess only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from corral.services.project_version import guessed_version

if TYPE_CHECKING:
    from pathlib import Path

SETUPTOOLS_ATTR: dict[str, Any] = {
    "project": {"name": "demo", "dynamic": ["version"]},
    "tool": {"setuptools": {"dynamic": {"version": {"attr": "demo.__version__.__version__"}}}},
}


def _module(root: Path, text: str) -> Path:
    folder = root / "src" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "__version__.py").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('__title__ = "demo"\n__version__ = "2.34.2"\n__build__ = 0x023402\n', "2.34.2"),
        ("__version__: str = '1.0-dev'  # normal form: 1.0.dev0\n", "1.0.dev0"),
        ('__version__ = "not a version"\n', None),
        ('__version__ = get_version()\nx = "1.0"\n', None),
        ('if True:\n    __version__ = "1.0"\n', None),  # not at a line's start: only what is plainly stated
        ('__version__ = "1.0" + SUFFIX\n', None),
    ],
)
def test_a_stated_version_is_read_in_its_normal_form(tmp_path: Path, text: str, expected: str | None) -> None:
    assert guessed_version(_module(tmp_path, text), SETUPTOOLS_ATTR) == expected


def test_a_version_file_holding_one_version(tmp_path: Path) -> None:
    data = {"project": {"name": "demo", "dynamic": ["version"]}}
    (tmp_path / "VERSION").write_text("3.1.4\n", encoding="utf-8")
    assert guessed_version(tmp_path, data) == "3.1.4"
    (tmp_path / "VERSION").write_text("3.1.4\nand more\n", encoding="utf-8")
    assert guessed_version(tmp_path, data) is None


def test_nothing_outside_the_project_or_not_a_file_is_read(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    (tmp_path / "outside.py").write_text('__version__ = "9.9"\n', encoding="utf-8")
    data = {
        "project": {"name": "demo", "dynamic": ["version"]},
        "tool": {"hatch": {"version": {"path": "../outside.py"}}},
    }
    assert guessed_version(root, data) is None
    (root / "VERSION").mkdir()
    assert guessed_version(root, data) is None
