"""uv's own environment variables reach `corral lock`'s resolution, and a changed one resolves again.

infra.environ.engine_environ passes every UV_* variable to uv but UV_PYTHON and UV_PROJECT_ENVIRONMENT (corral
chooses the interpreter and the env); the lock stamp keys on every UV_* value and on the file UV_CONFIG_FILE names.
Real uv against the local index (alpha 1.0, 1.1, 2.0): `lowest` picks 1.0, `highest` 2.0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_lock_noop import alpha, lock_resolves

from conftest import Corral, pyenv_python
from support.projects import demo_pyproject

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0"), encoding="utf-8")
    (folder / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    return folder


def test_uv_resolution_reaches_uv_and_a_changed_value_resolves_again(
    root: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a lock made with UV_RESOLUTION=lowest
    monkeypatch.setenv("UV_RESOLUTION", "lowest")
    assert lock_resolves(corral, root, monkeypatch)[0]
    assert alpha(root) == "1.0", "UV_RESOLUTION reached uv"
    assert not lock_resolves(corral, root, monkeypatch)[0], "the same value: unchanged"
    # when: the value changes
    monkeypatch.setenv("UV_RESOLUTION", "highest")
    # then: uv resolves again (keeping the pin, as any re-lock does), and --upgrade takes the new mode's choice
    assert lock_resolves(corral, root, monkeypatch)[0]
    assert alpha(root) == "1.0", "the previous pin is a preference"
    assert lock_resolves(corral, root, monkeypatch, "--upgrade")[0]
    assert alpha(root) == "2.0"
    monkeypatch.delenv("UV_RESOLUTION")  # unset is a change too
    assert lock_resolves(corral, root, monkeypatch)[0]


def test_the_file_uv_config_file_names_reaches_uv_and_its_edit_resolves_again(
    root: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = tmp_path / "uv-settings.toml"
    settings.write_text('resolution = "lowest"\n', encoding="utf-8")
    monkeypatch.setenv("UV_CONFIG_FILE", str(settings))  # read although the suite sets UV_NO_CONFIG
    assert lock_resolves(corral, root, monkeypatch)[0]
    assert alpha(root) == "1.0", "UV_CONFIG_FILE's settings reached uv"
    assert not lock_resolves(corral, root, monkeypatch)[0]
    settings.write_text('resolution = "highest"\n', encoding="utf-8")  # same variable, another file content
    assert lock_resolves(corral, root, monkeypatch)[0]


def test_uv_python_is_not_passed_corral_chooses_the_interpreter(
    root: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UV_PYTHON", str(tmp_path / "no-such-python"))  # uv would fail on it
    resolved, report = lock_resolves(corral, root, monkeypatch)
    assert resolved and report["written"] is True
    assert alpha(root) == "2.0"


@pytest.mark.parametrize("name", ["UV_NO_DEV", "UV_FROZEN", "UV_LOCKED", "UV_NO_SOURCES", "UV_NO_DEFAULT_GROUPS"])
def test_a_workflow_switch_is_not_taken_and_the_lock_says_so(
    root: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """uv's switches for its own project workflow would drop a group, or fail on corral's temporary project."""
    from support.toml import tomllib

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + '\n[dependency-groups]\ndev = ["delta<1.2"]\n')
    assert corral("lock", cwd=root).exit_code == 0
    expected = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").unlink()
    monkeypatch.setenv(name, "1")
    result = corral("lock", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert f"note: {name} is not used for the lock" in result.stderr
    assert (root / "pylock.toml").read_bytes() == expected
    data = tomllib.loads(expected.decode())
    assert data["dependency-groups"] == ["dev"] and "delta" in {p["name"] for p in data["packages"]}
