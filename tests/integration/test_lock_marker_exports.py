"""Many selections: each exported from uv.lock without its files, every package's tables from one full export.

The lock must be the one the full export of each selection gives, byte for byte; anything the cut-down way does
not expect (another source than the registry, another layout) is exported the full way.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_lock import indexed, make_project  # the five-selection demo project against the local index

from corral.infra import uvbin
from corral.resolvers import uv_exports as uv_resolver
from corral.resolvers.uv_lock_read import uv_lock_without_files
from support.uv_wrapper import logging_uv

if TYPE_CHECKING:
    from conftest import Corral

pytestmark = pytest.mark.integration
__all__ = ["indexed"]  # a fixture: imported to be used


def test_marker_only_exports_give_the_lock_full_exports_give(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts, logs = [], []
    for least in (1, 10**6):  # the cut-down way for the demo's five selections, then the full way
        monkeypatch.setattr(uv_resolver, "MARKERS_ONLY_FROM", least)
        folder = tmp_path / f"from-{least}"
        folder.mkdir()
        log = folder / "exports.log"
        wrapper = logging_uv(folder, log)
        monkeypatch.setattr(uvbin, "uv_binary", lambda wrapper=wrapper: wrapper)
        root = make_project(folder)
        result = corral("lock", cwd=root)
        assert result.exit_code == 0, result.stderr
        texts.append((root / "pylock.toml").read_text(encoding="utf-8"))
        logs.append(log.read_text(encoding="utf-8").splitlines())
    assert texts[0] == texts[1]
    assert [run for run in logs[0] if "--all-groups" in run], logs[0]  # the cut-down way was taken
    projects = {run.split("--project ")[1].split()[0] for run in logs[0]}
    assert len(projects) == 2  # the selections from the copy without files, the full export from uv's own
    assert not [run for run in logs[1] if "--all-groups" in run]
    assert "'test' in dependency_groups" in texts[0] and "'fast' in extras" in texts[0]


LOCK = """\
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://example.invalid/simple" }
dependencies = [
    { name = "beta", marker = "sys_platform == 'win32'" },
]
sdist = { url = "https://example.invalid/alpha-1.0.tar.gz", hash = "sha256:00", size = 1 }
wheels = [
    { url = "https://example.invalid/alpha-1.0-py3-none-any.whl", hash = "sha256:11", size = 2 },
    { url = "https://example.invalid/alpha-1.0-cp312-none-any.whl", hash = "sha256:22", size = 3 },
]

[package.optional-dependencies]
fast = [
    { name = "beta" },
]

[[package]]
name = "beta"
version = "2.0"
source = { registry = "https://example.invalid/simple" }
wheels = [
    { url = "https://example.invalid/beta-2.0-py3-none-any.whl", hash = "sha256:33", size = 4 },
]

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "alpha" },
]
"""


def test_the_copy_keeps_everything_but_the_files_after_the_first() -> None:
    """Text only: the example's URLs are never contacted."""
    cut = uv_lock_without_files(LOCK)
    assert cut is not None
    assert cut == LOCK.replace(
        '    { url = "https://example.invalid/alpha-1.0-cp312-none-any.whl", hash = "sha256:22", size = 3 },\n', ""
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('source = { virtual = "." }', 'source = { directory = "../other" }'),  # a path: relative to its project
        (
            'source = { registry = "https://example.invalid/simple" }\nwheels',
            'source = { url = "https://x/b.whl" }\nwheels',
        ),
        (
            'wheels = [\n    { url = "https://example.invalid/beta',
            'wheels = [\n  { url = "https://example.invalid/beta',
        ),
        ("\n]\n\n[package.optional", "\n\n[package.optional"),  # an array left open
        ('[[package]]\nname = "beta"', '[[package]]\nversion = "2.0"\nname = "beta"'),
    ],
)
def test_anything_else_is_exported_the_full_way(old: str, new: str) -> None:
    """Text only: the example's URLs are never contacted."""
    assert old in LOCK
    assert uv_lock_without_files(LOCK.replace(old, new, 1)) is None


def test_a_failing_full_export_sends_the_selections_the_full_way(
    tmp_path: Path, corral: Corral, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv refusing the export of every selection at once (as with conflicting groups): each is exported whole."""
    real = uvbin.uv_binary()
    log = tmp_path / "exports.log"
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "export" ]; then echo "$@" >> "{log}"; fi\n'
        'for arg in "$@"; do\n'
        '  if [ "$arg" = "--all-groups" ]; then echo "error: conflicting groups" >&2; exit 2; fi\n'
        "done\n"
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(wrapper))
    monkeypatch.setattr(uv_resolver, "MARKERS_ONLY_FROM", 1)
    root = make_project(tmp_path)
    result = corral("lock", cwd=root)
    assert result.exit_code == 0, result.stderr
    runs = log.read_text(encoding="utf-8").splitlines()
    projects = {run.split("--project ")[1].split()[0] for run in runs}
    assert len(projects) == 2 and any("--all-groups" in run for run in runs)  # tried, then the full way
    monkeypatch.setattr(uv_resolver, "MARKERS_ONLY_FROM", 10**6)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: real)
    (root / "pylock.toml").rename(root / "first.toml")
    assert corral("lock", cwd=root).exit_code == 0
    assert (root / "first.toml").read_text(encoding="utf-8") == (root / "pylock.toml").read_text(encoding="utf-8")
