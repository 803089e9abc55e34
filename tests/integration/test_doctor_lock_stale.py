"""`lock-stale` names its cause: the package index the lock was made from, or the project's own inputs.

A real project locked and synced from the local index; then either the index variable or pyproject.toml changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> tuple[Path, str]:
    url = local_index.simple_url  # type: ignore[attr-defined]
    monkeypatch.setenv("UV_INDEX_URL", url)
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    return root, url


def stale(root: Path) -> str:
    report, _ = diagnose(Context(cwd=root))
    (finding,) = (f for f in report.findings if f.code == "lock-stale")
    assert finding.fix == "corral lock"
    return finding.message


def test_only_the_index_variable_changed(locked: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    root, url = locked
    other = url.replace("127.0.0.1", "localhost")  # the same server, another index as far as a lock is concerned
    assert other != url
    monkeypatch.setenv("UV_INDEX_URL", other)
    assert stale(root) == (
        f"pylock.toml was locked from the package index {url.rstrip('/')}; the index is now {other} (UV_INDEX_URL): "
        "lock again, or set the index back"
    )


def test_the_index_setting_changed(locked: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    root, url = locked
    other = url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv("CORRAL_INDEX_URL", other)
    assert f"the index is now {other} (index-url from env CORRAL_INDEX_URL)" in stale(root)


def test_an_edited_pyproject_is_named_as_the_cause(locked: tuple[Path, str]) -> None:
    root, _ = locked
    text = (root / "pyproject.toml").read_text(encoding="utf-8").replace('"alpha"', '"alpha", "delta"')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    message = stale(root)
    assert message.startswith("pylock.toml is older than the project's inputs (pyproject.toml's dependencies")
    assert "index" not in message


def test_an_edit_and_another_index_is_not_called_an_index_change(
    locked: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, url = locked
    text = (root / "pyproject.toml").read_text(encoding="utf-8").replace('"alpha"', '"alpha", "delta"')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("UV_INDEX_URL", url.replace("127.0.0.1", "localhost"))
    assert stale(root).startswith("pylock.toml is older than the project's inputs")
