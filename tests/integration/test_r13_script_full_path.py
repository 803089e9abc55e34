"""A warm `corral run s.py` that the quick path leaves to the full one stays light (round 13).

The quick path (`cli.script_quick`) declines where a file may state the interpreter or an index: a project whose
pyproject.toml has a `[tool.corral]` table, a user config naming `python`. Before, every such warm run checked the
script block again (`packaging`, ~60 ms) and imported `dataclasses` with `inspect` (`services.run.Prepared`),
~270 ms against uv's ~95 ms. The block's text is in the env's key, so a ready env was made from a block that was
checked then. Each test runs the real CLI with a real interpreter and a script without dependencies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_quick_path import corral, imported, messages, was_quick

from conftest import pyenv_python
from corral.infra.paths import CorralPaths

pytestmark = pytest.mark.integration

_BLOCK = "# /// script\n# dependencies = []\n# ///\nimport sys\nprint(sys.prefix)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    monkeypatch.setenv("CORRAL_PYTHON", str(pyenv_python("3.12")))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n\n[tool.corral]\nseed = false\n', encoding="utf-8"
    )
    (root / "s.py").write_text(_BLOCK, encoding="utf-8")
    return root


def test_a_warm_full_path_run_imports_neither_packaging_nor_dataclasses(project: Path) -> None:
    first = corral(project, "run", "s.py")
    assert first.returncode == 0, messages(first)
    again = corral(project, "run", "s.py")
    assert again.returncode == 0, messages(again)
    assert not was_quick(again), "a [tool.corral] table: the full path reads it"
    assert again.stdout == first.stdout, "the same env"
    modules = imported(again)
    assert not {"packaging", "packaging.requirements", "packaging.specifiers"} & modules
    assert "dataclasses" not in modules


def test_a_bad_block_is_still_refused_before_an_env_is_built(project: Path) -> None:
    (project / "s.py").write_text(_BLOCK.replace("[]", '["not a requirement!!"]'), encoding="utf-8")
    done = corral(project, "run", "s.py")
    assert done.returncode == 2, messages(done)
    assert "script dependency" in "\n".join(messages(done)), messages(done)
    (project / "s.py").write_text(
        _BLOCK.replace("# dependencies = []", '# requires-python = "=>three"\n# dependencies = []'), encoding="utf-8"
    )
    bad = corral(project, "run", "s.py")
    assert bad.returncode == 2, messages(bad)
    assert "requires-python" in "\n".join(messages(bad)), messages(bad)
    envs = CorralPaths.from_environment().cache / "envs"
    assert not list(envs.glob("script-*")), "no env was built from either block"
