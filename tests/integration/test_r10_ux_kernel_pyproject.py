"""A table corral adds to pyproject.toml is set apart by blank lines, as tomlkit keeps the tables it reads.

Found by a real-user tryout: `corral kernel add` in a project with a [tool.ruff] table wrote
`[tool.corral]\\ndefault-groups = ["dev", "jupyter"]\\n[dependency-groups]`, the new [dependency-groups] header
touching the line above it. tomlkit puts no blank line between a table it adds and the table after it, nor before
a table it adds after a last line with no newline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.services.add_remove import edit_pyproject

if TYPE_CHECKING:
    from support.index import LocalIndex

PROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n'
GROUP = '[dependency-groups]\njupyter = ["ipykernel"]\n'


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        (PROJECT[:-1], "group:jupyter", PROJECT + "\n" + GROUP),  # a last line with no newline
        (PROJECT[:-1], "extra:fast", PROJECT + '\n[project.optional-dependencies]\nfast = ["ipykernel"]\n'),
        (
            PROJECT + "\n[tool.corral]\nseed = false\n",  # [project.optional-dependencies] goes above [tool.corral]
            "extra:fast",
            PROJECT + '\n[project.optional-dependencies]\nfast = ["ipykernel"]\n\n[tool.corral]\nseed = false\n',
        ),
        (
            PROJECT + "\n[tool.corral]\nseed = false",
            "group:jupyter",
            PROJECT + "\n[tool.corral]\nseed = false\n\n" + GROUP,
        ),
    ],
)
def test_a_new_table_has_a_blank_line_before_and_after_it(text: str, target: str, expected: str) -> None:
    assert edit_pyproject(text, ["ipykernel"], target=target) == expected


def test_an_existing_table_keeps_its_layout() -> None:
    compact = PROJECT + '[dependency-groups]\ndev = ["a"]\n[tool.corral]\nseed = false'
    assert edit_pyproject(compact, ["ipykernel"], target="group:dev") == compact.replace('["a"]', '["a", "ipykernel"]')


@pytest.mark.integration
def test_kernel_add_sets_its_new_tables_apart(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    from support.wheelhouse import require_wheelhouse

    require_wheelhouse("ipykernel-*.whl", "jupyter_client-*.whl", "pyzmq-*.whl", "appnope-*.whl", "colorama-*.whl")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PROJECT + "\n[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    done = corral("kernel", "add", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == (
        PROJECT + '\n[tool.ruff]\nline-length = 100\n\n[tool.corral]\ndefault-groups = ["dev", "jupyter"]\n\n' + GROUP
    )
