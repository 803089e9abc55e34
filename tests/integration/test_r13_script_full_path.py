"""A warm `corral run s.py` in a project with a `[tool.corral]` table is quick, or at least light (round 13).

The quick path (`cli.script_quick`) declined every project whose pyproject.toml holds the word `corral`: its table
may state the interpreter or an index, which the env's key holds. It now parses such a file
(`services.script_project`) and answers when the table is valid and states neither. Where it still declines (the
table names an index), the full path no longer checks the script block again (`packaging`, ~60 ms) nor imports
`dataclasses` with `inspect` (`services.run.Prepared`): before, ~270 ms against uv's ~95 ms. The block's text is in
the env's key, so a ready env was made from a block that was checked then. Each test runs the real CLI with a real
interpreter and a script without dependencies.
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


def test_a_table_that_names_no_python_and_no_index_is_answered_quickly_in_the_same_env(project: Path) -> None:
    first = corral(project, "run", "s.py")
    assert first.returncode == 0, messages(first)
    again = corral(project, "run", "s.py")
    assert (again.returncode, again.stdout) == (0, first.stdout), messages(again)
    assert was_quick(again)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("false", '"maybe"'), encoding="utf-8")
    bad = corral(project, "run", "s.py")
    assert bad.returncode == 2, "a wrong value fails the command, as the full path says"
    assert "seed" in "\n".join(messages(bad)), messages(bad)


def test_a_warm_full_path_run_imports_neither_packaging_nor_dataclasses(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + 'extra-index-urls = ["http://127.0.0.1:9/simple"]\n', encoding="utf-8"
    )
    first = corral(project, "run", "s.py")
    assert first.returncode == 0, messages(first)
    again = corral(project, "run", "s.py")
    assert again.returncode == 0, messages(again)
    assert not was_quick(again), "an index named in [tool.corral]: the full path reads it"
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


def test_a_malformed_pyproject_or_user_config_fails_the_run_as_the_full_path_does(project: Path) -> None:
    """Before, a file without the word `corral` was not read on the quick path: a warm run hid the error."""
    first = corral(project, "run", "s.py")
    assert first.returncode == 0, messages(first)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project\nname = "p"\n', encoding="utf-8")
    bad = corral(project, "run", "s.py")
    assert bad.returncode == 2, messages(bad)
    assert "invalid TOML" in "\n".join(messages(bad)), messages(bad)
    pyproject.write_text('[project]\nname = "p"\nversion = "1"\n', encoding="utf-8")
    config = CorralPaths.from_environment().user_config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("seed = \n", encoding="utf-8")
    worse = corral(project, "run", "s.py")
    assert worse.returncode == 2, messages(worse)
    assert str(config) in "\n".join(messages(worse)), messages(worse)
    config.write_text("seed = false\n", encoding="utf-8")
    fine = corral(project, "run", "s.py")
    assert (fine.returncode, fine.stdout) == (0, first.stdout), messages(fine)


def test_a_bad_settings_variable_fails_a_warm_run_as_it_fails_the_full_path(project: Path) -> None:
    first = corral(project, "run", "s.py")
    assert first.returncode == 0, messages(first)
    for name, value, said in (
        ("CORRAL_SEED", "maybe", "not a boolean"),
        ("CORRAL_ENGINE", "bogus", "use one of"),
        ("CORRAL_PROMPT", "a$(id)", "prompt"),
    ):
        bad = corral(project, "run", "s.py", **{name: value})
        assert bad.returncode == 2, (name, messages(bad))
        assert said in "\n".join(messages(bad)) and name in "\n".join(messages(bad)), messages(bad)
    fine = corral(project, "run", "s.py", CORRAL_SEED="0")
    assert (fine.returncode, fine.stdout) == (0, first.stdout), messages(fine)
    again = corral(project, "run", "s.py", CORRAL_SEED="0")
    assert (again.returncode, again.stdout) == (0, first.stdout), messages(again)
    assert was_quick(again), "a valid value is remembered: the quick path answers"
    assert "corral.services.config" not in imported(again)
