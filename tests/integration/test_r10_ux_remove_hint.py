"""`corral remove NAME` for a NAME recorded elsewhere (a dependency group, an extra) names where, and the command.

A real-user tryout: `corral add --dev pytest` then `corral remove pytest` said only "pytest not recorded in
project; nothing to remove there", and the user had to search pyproject.toml for where it went.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.errors import UsageError
from corral.services.add_remove import edit_pyproject

if TYPE_CHECKING:
    from support.index import LocalIndex

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["alpha>=1.0"]

[project.optional-dependencies]
fast = ["Gamma[fast]"]

[dependency-groups]
dev = ["cowsay-lite", { include-group = "docs" }]
docs = ["delta<1.2"]

[tool.corral]
seed = false
"""


@pytest.mark.parametrize(
    ("names", "target", "expected"),
    [
        (["cowsay_lite"], "project", "it is in [dependency-groups].dev: use `corral remove --group dev cowsay_lite`"),
        (
            ["gamma"],
            "project",
            "it is in [project.optional-dependencies].fast: use `corral remove --optional fast gamma`",
        ),
        (["alpha"], "group:dev", "it is in [project].dependencies: use `corral remove alpha`"),
        (["alpha"], "group:nope", "no dependency group 'nope' in [dependency-groups]; it is in [project].dependencies"),
        (
            ["delta", "zeta"],
            "project",
            "delta, zeta not recorded in project; delta is in [dependency-groups].docs: use",
        ),
    ],
)
def test_the_refusal_names_where_the_package_is(names: list[str], target: str, expected: str) -> None:
    with pytest.raises(UsageError) as refused:
        edit_pyproject(PYPROJECT, names, target=target, remove=True)
    assert expected in str(refused.value)


def test_a_package_recorded_nowhere_keeps_the_plain_refusal() -> None:
    with pytest.raises(UsageError) as refused:
        edit_pyproject(PYPROJECT, ["zeta"], target="project", remove=True)
    assert str(refused.value) == "zeta not recorded in project; nothing to remove there"


def test_a_group_key_is_quoted_for_the_shell() -> None:
    text = PYPROJECT.replace("docs = [", '"my docs" = [').replace('"docs" }', '"my docs" }')
    with pytest.raises(UsageError) as refused:
        edit_pyproject(text, ["delta"], target="project", remove=True)
    assert "use `corral remove --group 'my docs' delta`" in str(refused.value)


@pytest.mark.integration
def test_cli_remove_of_a_dev_package_names_the_group_and_writes_nothing(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.replace('"Gamma[fast]"', "").replace('"delta<1.2"', ""))
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    assert corral("lock", cwd=root).exit_code == 0
    before = (root / "pyproject.toml").read_bytes(), (root / "pylock.toml").read_bytes()
    refused = corral("--json", "remove", "cowsay-lite", cwd=root)
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert error["message"] == "cowsay-lite not recorded in project"
    assert error["fix"] == "it is in [dependency-groups].dev: use `corral remove --group dev cowsay-lite`"
    assert ((root / "pyproject.toml").read_bytes(), (root / "pylock.toml").read_bytes()) == before
