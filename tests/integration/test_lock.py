"""`corral lock` against the local index with real uv: multi-use pylock, pins kept, --check, credentials."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from packaging.markers import Marker
from packaging.pylock import Pylock

from conftest import Corral, pyenv_python
from corral.infra.uvbin import uv_binary
from support.toml import tomllib

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1.0", "beta"]

[project.optional-dependencies]
fast = ["gamma[fast]"]

[dependency-groups]
dev = ["cowsay-lite", {include-group = "test"}]
test = ["delta<1.2"]
win = ["winonly; sys_platform == 'win32'"]
"""


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex) -> str:
    url = local_index.simple_url
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)
    return url


def make_project(tmp_path: Path, text: str = PYPROJECT, python: str = "3.12") -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python(python)) + "\n", encoding="utf-8")
    return root


def packages(root: Path) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p for p in data["packages"]}


def test_lock_writes_one_selectable_pylock_for_groups_and_extras(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path)
    result = corral("lock", cwd=root)
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    Pylock.from_dict(data)  # valid PEP 751
    assert data["created-by"] == "corral"
    assert data["extras"] == ["fast"]
    assert data["dependency-groups"] == ["dev", "test", "win"]
    assert data["default-groups"] == ["dev"]
    assert data["tool"]["corral"]["inputs-hash"].startswith("sha256:")
    pkgs = packages(root)
    assert "demo" not in pkgs
    assert "marker" not in pkgs["alpha"] and "marker" not in pkgs["beta"]
    assert pkgs["cowsay-lite"]["marker"] == "'dev' in dependency_groups"
    delta = Marker(pkgs["delta"]["marker"])  # via include-group (dev, test) and via the extra
    env: dict[str, str | frozenset[str]] = {"extras": frozenset(), "dependency_groups": frozenset()}
    assert not delta.evaluate(env)
    assert delta.evaluate({**env, "extras": frozenset({"fast"})})
    assert delta.evaluate({**env, "dependency_groups": frozenset({"dev"})})
    assert delta.evaluate({**env, "dependency_groups": frozenset({"test"})})
    assert pkgs["gamma"]["marker"] == "'fast' in extras"
    assert "'win' in dependency_groups" in pkgs["winonly"]["marker"]
    assert "sys_platform == 'win32'" in pkgs["winonly"]["marker"]
    for package in pkgs.values():
        for wheel in package.get("wheels", []):
            assert wheel["hashes"]["sha256"] and wheel["name"].endswith(".whl")


def test_lock_again_is_byte_identical_and_reports_unchanged(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    first = (root / "pylock.toml").read_bytes()
    again = corral("lock", "--json", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert (root / "pylock.toml").read_bytes() == first
    report = json.loads(again.stdout)["data"]
    assert report["written"] is False and report["added"] == [] and report["updated"] == []


def test_relock_keeps_pins_until_upgrade_is_asked(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT.replace('"alpha>=1.0"', '"alpha<2"'))
    assert corral("lock", cwd=root).exit_code == 0
    assert packages(root)["alpha"]["version"] == "1.1"
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"alpha<2"', '"alpha>=1.0"'), encoding="utf-8")
    assert corral("lock", cwd=root).exit_code == 0
    assert packages(root)["alpha"]["version"] == "1.1", "an existing pin must survive a re-lock"
    kept = (root / "pylock.toml").read_bytes()
    (root / "pylock.toml").write_bytes(kept)  # a fresh clone: only pyproject + lock
    assert corral("lock", cwd=root).exit_code == 0
    assert (root / "pylock.toml").read_bytes() == kept
    result = corral("lock", "--upgrade-package", "alpha", "--json", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert packages(root)["alpha"]["version"] == "2.0"
    assert json.loads(result.stdout)["data"]["updated"] == [{"name": "alpha", "old": "1.1", "new": "2.0"}]


def test_upgrade_drops_every_pin(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT.replace('"delta<1.2"', '"delta"').replace('"alpha>=1.0"', '"alpha<2"'))
    assert corral("lock", cwd=root).exit_code == 0
    text = (root / "pyproject.toml").read_text().replace('"alpha<2"', '"alpha"')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    assert corral("lock", cwd=root).exit_code == 0
    assert packages(root)["alpha"]["version"] == "1.1"
    assert corral("lock", "--upgrade", cwd=root).exit_code == 0
    assert packages(root)["alpha"]["version"] == "2.0"


def test_upgrade_package_that_is_not_locked_is_named_and_changes_nothing(
    tmp_path: Path, corral: Corral, indexed: str
) -> None:
    root = make_project(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    before = (root / "pylock.toml").read_bytes()
    result = corral("lock", "--upgrade-package", "nothere", "--upgrade-package", "alpha", cwd=root)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "'nothere'" in result.stderr and "'alpha'" not in result.stderr
    assert (root / "pylock.toml").read_bytes() == before
    assert corral("lock", "-P", "Delta", cwd=root).exit_code == 0  # a transitive or declared name, any spelling


def test_check_fails_on_stale_lock_and_changes_nothing(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path)
    missing = corral("lock", "--check", cwd=root)
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert not (root / "pylock.toml").exists()
    assert corral("lock", cwd=root).exit_code == 0
    assert corral("lock", "--check", cwd=root).exit_code == 0
    before = (root / "pylock.toml").read_bytes()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"beta"]', '"beta", "sdistonly"]'), encoding="utf-8")
    stale = corral("lock", "--check", cwd=root)
    assert stale.exit_code == 1
    assert "not in the lock: sdistonly" in stale.stderr and "corral lock" in stale.stderr
    assert (root / "pylock.toml").read_bytes() == before


def test_unknown_include_group_and_cycles_are_clear_errors(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT.replace('{include-group = "test"}', '{include-group = "tset"}'))
    result = corral("lock", cwd=root)
    assert result.exit_code == 2
    assert "unknown dependency group 'tset'" in result.stderr and "included from 'dev'" in result.stderr
    assert "Traceback" not in result.stderr and not (root / "pylock.toml").exists()
    cyclic = PYPROJECT.replace('test = ["delta<1.2"]', 'test = ["delta<1.2", {include-group = "dev"}]')
    (root / "pyproject.toml").write_text(cyclic, encoding="utf-8")
    result = corral("lock", cwd=root)
    assert result.exit_code == 2 and "cycle: dev -> test -> dev" in result.stderr


def test_invalid_requirement_names_file_table_and_entry(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT.replace('"beta"]', '"beta >>> 2"]'))
    result = corral("lock", cwd=root)
    assert result.exit_code == 2
    assert "[project].dependencies entry 2" in result.stderr and "pyproject.toml" in result.stderr


def test_credentials_never_enter_the_lock(
    tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex
) -> None:
    secret_url = local_index.simple_url.replace("http://", "http://someone:s3cret@")
    monkeypatch.setenv("UV_INDEX_URL", secret_url)
    root = make_project(
        tmp_path, '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = ["alpha"]\n'
    )
    assert corral("lock", cwd=root).exit_code == 0
    text = (root / "pylock.toml").read_text()
    assert "s3cret" not in text and "someone" not in text
    assert local_index.simple_url in text


def test_unknown_package_names_it(tmp_path: Path, corral: Corral, indexed: str) -> None:
    root = make_project(tmp_path, PYPROJECT.replace('"beta"]', '"no-such-thing"]'))
    result = corral("lock", cwd=root)
    assert result.exit_code == 1 and "no-such-thing" in result.stderr
    assert not (root / "pylock.toml").exists()


def test_lock_for_python_39_keeps_environment_markers(tmp_path: Path, corral: Corral, indexed: str) -> None:
    text = (
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["alpha; python_version < \'3.10\'", "delta"]\n'
        "[dependency-groups]\ndev = [\"cowsay-lite; python_version >= '3.11'\"]\n"
    )
    root = make_project(tmp_path, text, python="3.9")
    result = corral("lock", cwd=root)
    assert result.exit_code == 0, result.stderr
    pkgs = packages(root)
    data = tomllib.loads((root / "pylock.toml").read_text())
    assert data["requires-python"] == ">=3.9"
    alpha = Marker(pkgs["alpha"]["marker"])
    base: dict[str, str | frozenset[str]] = {"extras": frozenset(), "dependency_groups": frozenset()}
    assert alpha.evaluate({**base, "python_full_version": "3.9.18", "python_version": "3.9"})
    assert not alpha.evaluate({**base, "python_full_version": "3.12.1", "python_version": "3.12"})
    cowsay = Marker(pkgs["cowsay-lite"]["marker"])
    dev = {"extras": frozenset(), "dependency_groups": frozenset({"dev"})}
    assert cowsay.evaluate({**dev, "python_full_version": "3.12.1", "python_version": "3.12"})
    assert not cowsay.evaluate({**dev, "python_full_version": "3.9.18", "python_version": "3.9"})
    assert not cowsay.evaluate({**base, "python_full_version": "3.12.1", "python_version": "3.12"})
    assert "marker" not in pkgs["delta"]


def test_uv_pip_sync_of_corral_lock_installs_the_default_selection(
    tmp_path: Path, corral: Corral, indexed: str, clean_env: dict[str, str]
) -> None:
    root = make_project(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    env = tmp_path / "venv"
    python = pyenv_python("3.12")
    subprocess.run([uv_binary(), "venv", "-q", "--python", str(python), str(env)], check=True, env=clean_env)
    subprocess.run(
        [
            uv_binary(),
            "pip",
            "sync",
            "-q",
            "--preview-features",
            "pylock",
            "--python",
            str(env / "bin" / "python"),
            str(root / "pylock.toml"),
        ],
        check=True,
        env=clean_env,
    )
    listed = subprocess.run(
        [uv_binary(), "pip", "list", "--format", "json", "--python", str(env / "bin" / "python")],
        check=True,
        env=clean_env,
        capture_output=True,
        text=True,
    )
    names = {p["name"] for p in json.loads(listed.stdout)}
    assert names == {"alpha", "beta", "cowsay-lite", "delta"}, names


def test_check_resolves_so_edits_the_fingerprint_misses_are_stale(tmp_path: Path, corral: Corral, indexed: str) -> None:
    # given a fresh lock whose alpha is 2.0
    root = make_project(tmp_path)
    assert corral("lock", cwd=root).exit_code == 0
    lock = root / "pylock.toml"
    good = lock.read_text(encoding="utf-8")
    assert packages(root)["alpha"]["version"] == "2.0"
    # when the lock is hand-edited to another version (its fingerprint untouched), --check calls it stale
    lock.write_text(good.replace('version = "2.0"', 'version = "1.1"', 1), encoding="utf-8")
    edited = lock.read_bytes()
    hand = corral("lock", "--check", cwd=root)
    assert hand.exit_code == 1 and "stale" in hand.stderr, hand.stderr
    assert lock.read_bytes() == edited
    # and a [tool.uv] resolver setting the fingerprint does not cover is stale too, changing nothing
    lock.write_text(good, encoding="utf-8")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.uv]\nconstraint-dependencies = ["alpha<2"]\n', encoding="utf-8"
    )
    constrained = corral("lock", "--check", cwd=root)
    assert constrained.exit_code == 1 and "stale" in constrained.stderr, constrained.stderr
    assert lock.read_text(encoding="utf-8") == good
    # then `corral lock` follows the setting, and --check agrees afterwards
    assert corral("lock", cwd=root).exit_code == 0
    assert packages(root)["alpha"]["version"] == "1.1"
    assert corral("lock", "--check", cwd=root).exit_code == 0
