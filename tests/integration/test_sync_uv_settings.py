"""`corral sync` locks again when a `[tool.uv]` resolver setting changes, and only then (not for formatting).

The lock's inputs-hash (core.lock_fingerprint) covers the settings resolvers.uv passes to uv, so sync's freshness
check sees a changed one. Whether uv resolved is read from infra.faults' checkpoint log (CORRAL_FAULT_LOG lists
every external program run through infra.proc), with real uv against the local index and real venvs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.core.lock_fingerprint import UV_RESOLVER_SETTINGS, stored_inputs_hash
from support.projects import demo_pyproject
from support.toml import tomllib

if TYPE_CHECKING:
    from pathlib import Path

    from support.index import LocalIndex

pytestmark = pytest.mark.integration

BASE = (
    demo_pyproject("alpha>=1.0", requires_python=">=3.11")
    + '\n[project.optional-dependencies]\nx = ["beta"]\ny = ["gamma"]\nz = ["delta"]\n'
)

# setting -> (a value, the same value written another way, another value), each a [tool.uv] body
SETTINGS: dict[str, tuple[str, str, str]] = {
    "exclude-newer": (
        'exclude-newer = "2099-01-01T00:00:00Z"\n',
        "exclude-newer = '2099-01-01T00:00:00Z'   # far ahead\n",
        'exclude-newer = "2098-01-01T00:00:00Z"\n',
    ),
    "exclude-newer-package": (
        'exclude-newer-package = { alpha = "2099-01-01T00:00:00Z", beta = "2099-01-01T00:00:00Z" }\n',
        '[tool.uv.exclude-newer-package]\nbeta = "2099-01-01T00:00:00Z"\nalpha = "2099-01-01T00:00:00Z"\n',
        'exclude-newer-package = { alpha = "2099-01-01T00:00:00Z" }\n',
    ),
    "prerelease": ('prerelease = "allow"\n', "prerelease='allow'\n", 'prerelease = "disallow"\n'),
    "resolution": ('resolution = "lowest-direct"\n', "resolution   =   'lowest-direct'\n", 'resolution = "lowest"\n'),
    "override-dependencies": (
        'override-dependencies = ["alpha<2"]\n',
        "override-dependencies = [\n  'alpha<2',\n]\n",
        'override-dependencies = ["alpha<1.1"]\n',
    ),
    "constraint-dependencies": (
        'constraint-dependencies = ["alpha<2"]\n',
        'constraint-dependencies = [ "alpha<2" ]  # pinned down\n',
        'constraint-dependencies = ["alpha<2", "delta<1.2"]\n',
    ),
    "conflicts": (
        'conflicts = [[{ extra = "x" }, { extra = "y" }]]\n',
        'conflicts = [\n  [{extra = "x"}, {extra = "y"}],\n]\n',
        'conflicts = [[{ extra = "x" }, { extra = "z" }]]\n',
    ),
    # the suite's UV_NO_CONFIG keeps uv from reading these (and corral's index choice from the project's): what is
    # checked here is that a change locks again, and formatting does not
    "index": (
        'index = [{ name = "o", url = "https://o.example/simple", explicit = true }]\n',
        "[[tool.uv.index]]\nexplicit = true\nurl = 'https://o.example/simple'\nname = 'o'\n",
        'index = [{ name = "o", url = "https://p.example/simple", explicit = true }]\n',
    ),
    "index-url": (
        'index-url = "https://o.example/simple"\n',
        "index-url='https://o.example/simple'\n",
        'index-url = "https://p.example/simple"\n',
    ),
    "extra-index-url": (
        'extra-index-url = ["https://o.example"]\n',
        "extra-index-url = [ 'https://o.example', ]\n",
        'extra-index-url = ["https://p.example"]\n',
    ),
    "find-links": (
        'find-links = ["https://f.example"]\n',
        "find-links = ['https://f.example']\n",
        'find-links = ["https://g.example"]\n',
    ),
    "no-index": ("no-index = false\n", "no-index=false  # the index\n", "no-index = true\n"),
    "index-strategy": (
        'index-strategy = "first-index"\n',
        "index-strategy = 'first-index'\n",
        'index-strategy = "unsafe-best-match"\n',
    ),
    "environments": (
        "environments = [\"python_version >= '3.11'\"]\n",
        "environments = [\n  \"python_version >= '3.11'\",\n]\n",
        "environments = [\"python_version >= '3.10'\"]\n",
    ),
    "required-environments": (
        "required-environments = [\"sys_platform == 'linux'\"]\n",
        "required-environments = [\"sys_platform == 'linux'\"] # here\n",
        "required-environments = [\"sys_platform == 'darwin'\"]\n",
    ),
    "fork-strategy": ('fork-strategy = "fewest"\n', "fork-strategy='fewest'\n", 'fork-strategy = "requires-python"\n'),
    "dependency-metadata": (
        'dependency-metadata = [{ name = "zeta", version = "1.0", requires-dist = [] }]\n',
        "[[tool.uv.dependency-metadata]]\nrequires-dist = []\nversion = '1.0'\nname = 'zeta'\n",
        'dependency-metadata = [{ name = "zeta", version = "1.1", requires-dist = [] }]\n',
    ),
    "no-build": ("no-build = false\n", "no-build   = false\n", "no-build = true\n"),
    "no-build-package": (
        'no-build-package = ["zeta"]\n',
        "no-build-package = [ 'zeta' ]\n",
        'no-build-package = ["eta"]\n',
    ),
    "no-binary": ("no-binary = false\n", "no-binary = false # wheels\n", "no-binary = true\n"),
    "no-binary-package": (
        'no-binary-package = ["zeta"]\n',
        "no-binary-package = ['zeta']\n",
        'no-binary-package = ["eta"]\n',
    ),
    "allow-insecure-host": (
        'allow-insecure-host = ["corp.example"]\n',
        "allow-insecure-host = ['corp.example']\n",
        'allow-insecure-host = ["other.example"]\n',
    ),
    "keyring-provider": (
        'keyring-provider = "disabled"\n',
        "keyring-provider='disabled'\n",
        'keyring-provider = "subprocess"\n',
    ),
    "native-tls": ("native-tls = false\n", "native-tls=false\n", "native-tls = true\n"),
}


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: LocalIndex, corral: Corral) -> Path:
    """The demo project, locked and synced (unseeded) with CPython 3.12 against the local index."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(BASE, encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    first = corral("sync", cwd=root)
    assert first.exit_code == 0, first.stderr
    return root


def sync_locks(corral: Corral, root: Path, monkeypatch: pytest.MonkeyPatch, tool_uv: str) -> bool:
    """Write `tool_uv` as the project's [tool.uv] table, run `corral sync`; whether it ran `uv lock`."""
    (root / "pyproject.toml").write_text(BASE + "\n[tool.uv]\n" + tool_uv, encoding="utf-8")
    log = root.parent / "faults.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    result = corral("sync", cwd=root)
    monkeypatch.delenv("CORRAL_FAULT_LOG")
    assert result.exit_code == 0, result.stderr
    ran = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return "engine:uv lock" in ran


def alpha(root: Path) -> str:
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return str(next(p["version"] for p in data["packages"] if p["name"] == "alpha"))


def test_every_resolver_setting_is_exercised() -> None:
    assert set(SETTINGS) == set(UV_RESOLVER_SETTINGS)


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_a_changed_resolver_setting_makes_sync_lock_again(
    synced: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    value, reformatted, other = SETTINGS[setting]
    before = stored_inputs_hash((synced / "pylock.toml").read_text(encoding="utf-8"))
    # a [tool.uv] table without resolver settings changes nothing the lock comes from
    assert not sync_locks(corral, synced, monkeypatch, 'default-groups = ["dev"]\n')
    # when the setting appears, sync locks again and the lock carries a new fingerprint
    assert sync_locks(corral, synced, monkeypatch, value), f"adding {setting} must lock again"
    added = stored_inputs_hash((synced / "pylock.toml").read_text(encoding="utf-8"))
    assert added not in {None, before}
    if setting in {"override-dependencies", "constraint-dependencies"}:
        assert alpha(synced) == "1.1"  # (resolution changes nothing here: the locked pins are kept as preferences)
    # the same value written another way (quotes, spacing, comments, table form, key order) is no change
    assert not sync_locks(corral, synced, monkeypatch, reformatted), f"reformatting {setting} must not lock again"
    assert stored_inputs_hash((synced / "pylock.toml").read_text(encoding="utf-8")) == added
    # another value locks again, and dropping the setting returns to the first fingerprint
    assert sync_locks(corral, synced, monkeypatch, other), f"changing {setting} must lock again"
    if setting == "override-dependencies":
        assert alpha(synced) == "1.0"
    assert sync_locks(corral, synced, monkeypatch, "")
    assert stored_inputs_hash((synced / "pylock.toml").read_text(encoding="utf-8")) == before
