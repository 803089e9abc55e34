"""`corral envs list` keeps sizes in corral's cache: right after pip changes an env, robust to a damaged cache file.

Real venvs made by CPython's venv, real pip installs from the offline wheelhouse, the CLI run in-process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import pyenv_python
from corral.infra.paths import CorralPaths
from corral.inventory.size import SizeCounter
from support.indexed import indexed_project

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

WHEELHOUSE = Path(__file__).resolve().parents[1] / ".wheelhouse"
ROW_KEYS = {"size_cached", "size_measured_at", "size_age", "size", "exclusive_size"}


def _cache_file() -> Path:
    return CorralPaths.from_environment().cache / "env-sizes.json"


def _venv(dest: Path, *, pip: bool = False) -> Path:
    command = [str(pyenv_python("3.12")), "-m", "venv", *([] if pip else ["--without-pip"]), str(dest)]
    subprocess.run(command, check=True)
    return dest


def _settled() -> None:
    # the cache trusts no stat identity newer than 2 s before its walk (file system clocks are coarse)
    time.sleep(2.1)


def _row(corral: Any, cwd: Path, env: Path, *extra: str) -> dict[str, Any]:
    result = corral("envs", "list", "--json", "--wait", *extra, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    rows: dict[str, dict[str, Any]] = {e["path"]: e for e in json.loads(result.stdout)["data"]["envs"]}
    return rows[str(env)]


def _scan(corral: Any, area: Path) -> None:
    result = corral("envs", "scan", str(area), "--json", cwd=area)
    assert result.exit_code == 0, result.stderr


def _pip(env: Path, *args: str) -> None:
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", *args, "--no-index", "--find-links", str(WHEELHOUSE)]
        if args[0] == "install"
        else [str(env / "bin" / "python"), "-m", "pip", *args],
        check=True,
        capture_output=True,
    )


def test_a_pip_install_or_uninstall_changes_the_listed_size_at_the_next_listing(corral: Any, tmp_path: Path) -> None:
    # given a venv with pip, known to the inventory, listed once (measured) and again (from the cache)
    env = _venv(tmp_path / "area" / "env", pip=True)
    _scan(corral, tmp_path / "area")
    _settled()
    first = _row(corral, tmp_path, env)
    again = _row(corral, tmp_path, env)
    assert first["size_cached"] is False
    assert again["size_cached"] is True
    assert again["size"] == first["size"] == SizeCounter().measure(env).bytes
    assert again["size_measured_at"] == first["size_measured_at"]
    # when pip installs a package into it, the next listing measures it again
    _pip(env, "install", "colorama")
    installed = _row(corral, tmp_path, env)
    assert installed["size_cached"] is False
    assert installed["size"] > first["size"]
    assert installed["size"] == SizeCounter().measure(env).bytes
    # and when pip uninstalls it, too
    _pip(env, "uninstall", "-y", "colorama")
    removed = _row(corral, tmp_path, env)
    assert removed["size_cached"] is False
    assert removed["size"] < installed["size"]
    assert removed["size"] == SizeCounter().measure(env).bytes
    # and --refresh measures even an unchanged env again
    _settled()
    _row(corral, tmp_path, env)
    assert _row(corral, tmp_path, env)["size_cached"] is True
    assert _row(corral, tmp_path, env, "--refresh")["size_cached"] is False


def _hostile_shapes(real: str) -> list[bytes]:
    entry = {"id": [], "measured_at": 1.0, "private": 1, "files": 1, "groups": []}
    return [
        b"not json at all \xff",
        b"[1, 2, 3]",
        b'{"schema": 1, "envs": [], "pool": {}}',
        json.dumps({"schema": 99, "envs": {}, "pool": {}}).encode(),
        json.dumps({"schema": 1, "envs": {real: {**entry, "private": "12"}}, "pool": {}}).encode(),
        json.dumps({"schema": 1, "envs": {real: {**entry, "groups": [["missing", 5]]}}, "pool": {}}).encode(),
        json.dumps({"schema": 1, "envs": {real: {**entry, "groups": [[["x"], 5]]}}, "pool": {}}).encode(),
        json.dumps({"schema": 1, "envs": {real: entry}, "pool": {"d": ["1", 2, 3], "e": [1, 2]}}).encode(),
        b'{"schema": 1, "envs": {"%s": {"id": [], "measured_at": NaN, "private": 1, "files": 1, "groups": []}}}'
        % real.encode(),
        b"[" * 100_000 + b"]" * 100_000,
    ]


def test_a_damaged_or_hostile_cache_file_is_ignored_and_replaced(corral: Any, tmp_path: Path) -> None:
    # given an env listed once, so its true size is known
    env = _venv(tmp_path / "area" / "env")
    _scan(corral, tmp_path / "area")
    truth = _row(corral, tmp_path, env)["size"]
    assert truth == SizeCounter().measure(env).bytes
    cache = _cache_file()
    assert json.loads(cache.read_bytes())["envs"][os.path.realpath(env)]["private"] > 0
    # when the cache file holds something corral did not write, each listing still gives the true size
    for damage in _hostile_shapes(os.path.realpath(env)):
        cache.write_bytes(damage)
        row = _row(corral, tmp_path, env)
        assert (row["size"], row["size_cached"]) == (truth, False), damage[:80]
        # and the file is written again, whole
        assert os.path.realpath(env) in json.loads(cache.read_bytes())["envs"]
    # a file too large to be a cache is not read at all (sparse: costs no disk)
    cache.unlink()
    with cache.open("wb") as handle:
        handle.truncate(65 << 20)
    assert (_row(corral, tmp_path, env)["size"], cache.stat().st_size < 1 << 20) == (truth, True)
    # not a regular file: a link to /dev/zero, a fifo, a folder (which cannot be replaced: sizes still right)
    cache.unlink()
    cache.symlink_to("/dev/zero")
    assert _row(corral, tmp_path, env)["size"] == truth
    assert not cache.is_symlink()
    assert json.loads(cache.read_bytes())["schema"] == 1
    cache.unlink()
    os.mkfifo(cache)
    assert _row(corral, tmp_path, env)["size"] == truth
    assert cache.is_file()
    cache.unlink()
    cache.mkdir()
    row = _row(corral, tmp_path, env)
    assert (row["size"], row["size_cached"]) == (truth, False)


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (os.path.relpath(os.path.join(folder, name), root), os.lstat(os.path.join(folder, name)).st_mtime_ns)
        for folder, dirs, files in os.walk(root)
        for name in dirs + files
    )


def test_the_cache_is_written_in_corrals_cache_only_and_the_json_fields_are_documented(
    corral: Any, project: Path, tmp_path: Path
) -> None:
    # given a project env made by corral and a plain venv, both listed (so both measured and cached)
    result = corral("venv", "--python", "3.12", "--no-seed", str(project / ".venv"), cwd=project)
    assert result.exit_code == 0, result.stderr
    plain = _venv(tmp_path / "area" / "plain")
    _scan(corral, tmp_path / "area")
    before = {p: _tree(p) for p in (project, plain)}
    rows = json.loads(corral("envs", "list", "--json", cwd=project).stdout)["data"]["envs"]
    corral("envs", "list", "--json", cwd=project)
    # then nothing was written in the project, its env or the plain env; the cache is in corral's cache folder
    assert {p: _tree(p) for p in (project, plain)} == before
    assert _cache_file().is_file()
    assert not _cache_file().is_relative_to(tmp_path)
    assert [n for _, _, names in os.walk(tmp_path) for n in names if n.startswith("env-sizes")] == []
    # and every field of a row is documented in the README
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Every env on the machine") :]
    section = section[: section.index("\n## ", 5)]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    assert rows
    for row in rows:
        assert row.keys() >= ROW_KEYS
        assert row.keys() <= documented, row.keys() - documented


def test_corral_add_and_remove_are_seen_at_the_next_listing(
    tmp_path: Path, corral: Any, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    # given a project synced by `corral add` from the local index, listed twice (the second from the cache)
    root = indexed_project(tmp_path, monkeypatch, local_index)
    assert corral("add", "beta", cwd=root).exit_code == 0
    env = root / ".venv"
    _settled()
    assert _row(corral, root, env)["size"] == SizeCounter().measure(env).bytes
    assert _row(corral, root, env)["size_cached"] is True
    # a sync with nothing to do keeps the cached size, which is still the true one
    assert corral("sync", cwd=root).exit_code == 0
    assert (_row(corral, root, env)["size"], _row(corral, root, env)["size_cached"]) == (
        SizeCounter().measure(env).bytes,
        True,
    )
    # each change corral makes is measured at the next listing
    for change in (["add", "cowsay-lite"], ["remove", "beta"]):
        before = _row(corral, root, env)["size"]
        assert corral(*change, cwd=root).exit_code == 0
        row = _row(corral, root, env)
        assert (row["size_cached"], row["size"]) == (False, SizeCounter().measure(env).bytes), change
        assert row["size"] != before
