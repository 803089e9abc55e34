from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from inventory_fakes import fake_env

import corral.inventory.scan as scan_module
from corral.inventory.scan import ScanRoot, default_roots, scan

if TYPE_CHECKING:
    import pytest


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_mtime_ns, st.st_size)
    return out


def test_scan_finds_venvs_and_conda_envs_without_descending_or_following_links(tmp_path: Path) -> None:
    # given a tree with a project env, a conda base holding named envs, and things that must be skipped
    project = tmp_path / "code" / "app"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='app'\n", encoding="utf-8")
    venv = fake_env(project / ".venv")
    fake_env(venv / "nested-env-inside-env")
    base = tmp_path / "miniconda3"
    (base / "conda-meta").mkdir(parents=True)
    (base / "envs" / "ds" / "conda-meta").mkdir(parents=True)
    (base / "envs" / "ds" / "conda-meta" / "python-3.11.5-h1_0.json").write_text("{}", encoding="utf-8")
    fake_env(tmp_path / "web" / "node_modules" / "pkg" / "env")
    fake_env(tmp_path / "repo" / ".git" / "env")
    os.symlink(venv, tmp_path / "link-to-env")
    fake_env(tmp_path / "a" / "b" / "c" / "d" / "e" / "f" / "too-deep")
    before = _snapshot(tmp_path)
    # when
    found = {f.path: f for f in scan([ScanRoot(tmp_path, 5)])}
    # then
    assert set(found) == {venv, base, base / "envs" / "ds"}
    assert (found[venv].kind, found[venv].project) == ("project", str(project))
    assert (found[base / "envs" / "ds"].kind, found[base / "envs" / "ds"].version) == ("conda", "3.11.5")
    assert _snapshot(tmp_path) == before  # read-only


def test_scan_reads_corral_provenance(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "cache" / "env-1", provenance=True, kind="script")
    (found,) = scan([ScanRoot(tmp_path, 3)])
    assert (found.path, found.kind, found.by_corral) == (env, "script", True)


def test_same_env_under_two_roots_is_reported_once(tmp_path: Path) -> None:
    fake_env(tmp_path / "envs" / "x")
    assert len(scan([ScanRoot(tmp_path, 3), ScanRoot(tmp_path / "envs", 1)])) == 1


def test_a_long_scan_reports_its_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for a in range(3):
        for b in range(4):
            (tmp_path / f"a{a}" / f"b{b}").mkdir(parents=True)
    fake_env(tmp_path / "a1" / "b2" / "env")
    fake_env(tmp_path / "a2" / "env")
    heard: list[tuple[int, int]] = []
    monkeypatch.setattr(scan_module, "_REPORT_EVERY", 0.0)  # every folder counts as a long wait
    found = scan([ScanRoot(tmp_path, 5)], lambda folders, envs: heard.append((folders, envs)))
    assert len(found) == 2
    assert [f for f, _ in heard] == list(range(1, len(heard) + 1)), "one report per folder looked into"
    assert len(heard) == 1 + 3 + 12, "the root, its 3 folders and their 12 (an env is not looked into)"
    assert [e for _, e in heard] == sorted(e for _, e in heard)
    assert heard[-1][1] <= 2
    assert len(scan([ScanRoot(tmp_path, 5)])) == 2, "without a listener too"


def test_default_roots_cover_the_usual_tool_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wanted = [
        home / ".cache" / "pypoetry" / "virtualenvs",
        home / ".local" / "share" / "virtualenvs",
        home / ".pyenv" / "versions" / "3.12.1" / "envs",
        home / ".cache" / "uv" / "environments-v2",
        home / ".cache" / "uv" / "archive-v0",
        home / "miniconda3" / "envs",
        home / ".conda" / "envs",
        tmp_path / "workon",
    ]
    for folder in wanted:
        folder.mkdir(parents=True)
    roots = default_roots({"HOME": str(home), "WORKON_HOME": str(tmp_path / "workon")}, home=home)
    paths = [r.path for r in roots]
    assert paths[0] == home
    assert set(wanted) <= set(paths)
    assert all(r.depth == 1 for r in roots[1:])


def test_default_roots_follow_uv_cache_dir(tmp_path: Path) -> None:
    cache = tmp_path / "uvcache"
    (cache / "environments-v2").mkdir(parents=True)
    roots = default_roots({"HOME": str(tmp_path), "UV_CACHE_DIR": str(cache)}, home=tmp_path)
    assert cache / "environments-v2" in [r.path for r in roots]
