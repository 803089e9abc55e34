"""The lock's inputs-hash: `[tool.uv]` resolver settings count by value, and every lock written before they did
stays fresh (golden values computed by the fingerprint that ignored them). Text only: the index URLs are hashed as
words, never contacted."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import tomlkit

from corral.core.lock_fingerprint import UV_RESOLVER_SETTINGS, inputs_hash
from corral.core.names import normalize_name
from corral.core.urls import strip_credentials
from support.toml import tomllib

PROJECT = """
[project]
name = "demo"
version = "0.1"
requires-python = ">=3.9"
dependencies = ["alpha>=1.0", "beta; python_version < '3.12'"]
[project.optional-dependencies]
x = ["delta<1.2"]
[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
"""
# [tool.uv] keys that reach no lock (or reach it another way: sources were covered already)
OTHER_UV = """
[tool.uv]
package = false
default-groups = ["dev"]
dev-dependencies = ["gamma"]
[tool.uv.sources]
alpha = { path = "../alpha" }
"""
INDEXES = ["https://pypi.org/simple/", "https://user:pw@extra.example/simple"]

# what the fingerprint gave before it covered the resolver settings (locks in the wild carry these)
GOLDEN = {
    "plain": "sha256:f5f45583700d5a6075b5f5bbc2dab881747e22f382b8c06d66267dd78d507ae4",
    "other-uv": "sha256:d92b48f65f8d6687a0609ac5f82dc1ab548ddd4560504e67bbd5007756949d0b",
    "empty": "sha256:44b15189d0bddf749842922e2eda5ab3b50dd2aeafb85f0b66d84e61e1ced99d",
}

# (a [tool.uv] body, the same values written another way)
SETTINGS: dict[str, tuple[str, str]] = {
    "exclude-newer": ('exclude-newer = "2024-01-01T00:00:00Z"', "exclude-newer='2024-01-01T00:00:00Z' # pinned"),
    "exclude-newer-package": (
        'exclude-newer-package = { alpha = "2024-01-01", beta = "2024-02-01" }',
        '[tool.uv.exclude-newer-package]\nbeta = "2024-02-01"\nalpha = "2024-01-01"',
    ),
    "prerelease": ('prerelease = "allow"', "prerelease   =   'allow'"),
    "resolution": ('resolution = "lowest-direct"', "resolution = 'lowest-direct'"),
    "override-dependencies": (
        'override-dependencies = ["alpha<2", "beta"]',
        "override-dependencies = [\n 'alpha<2',\n 'beta',\n]",
    ),
    "constraint-dependencies": ('constraint-dependencies = ["delta<1.2"]', 'constraint-dependencies = ["delta<1.2",]'),
    "conflicts": (
        'conflicts = [[{ extra = "x" }, { group = "dev" }]]',
        'conflicts = [\n  [ {extra = "x"}, {group = "dev"} ],\n]',
    ),
    "index": (
        'index = [{ name = "co", url = "https://co.example/simple", default = true }]',
        "[[tool.uv.index]]\ndefault = true\nurl = 'https://co.example/simple'\nname = 'co'",
    ),
    "index-url": ('index-url = "https://co.example/simple"', "index-url = 'https://co.example/simple'"),
    "extra-index-url": ('extra-index-url = ["https://a.example"]', "extra-index-url = [\n'https://a.example',\n]"),
    "find-links": ('find-links = ["https://f.example"]', "find-links = [ 'https://f.example' ]"),
    "no-index": ("no-index = true", "no-index=true"),
    "index-strategy": ('index-strategy = "unsafe-best-match"', "index-strategy = 'unsafe-best-match'"),
    "environments": ("environments = [\"sys_platform == 'linux'\"]", "environments = [ \"sys_platform == 'linux'\" ]"),
    "required-environments": (
        "required-environments = [\"sys_platform == 'win32'\"]",
        "required-environments = [\"sys_platform == 'win32'\",]",
    ),
    "fork-strategy": ('fork-strategy = "fewest"', "fork-strategy='fewest'"),
    "dependency-metadata": (
        'dependency-metadata = [{ name = "alpha", version = "1.0", requires-dist = [] }]',
        "[[tool.uv.dependency-metadata]]\nrequires-dist = []\nversion = '1.0'\nname = 'alpha'",
    ),
    "no-build": ("no-build = true", "no-build   = true"),
    "no-build-package": ('no-build-package = ["alpha"]', "no-build-package = ['alpha']"),
    "no-binary": ("no-binary = true", "no-binary = true # sdists only"),
    "no-binary-package": ('no-binary-package = ["beta"]', "no-binary-package = [ 'beta' ]"),
    "allow-insecure-host": ('allow-insecure-host = ["corp.example"]', "allow-insecure-host = [ 'corp.example' ]"),
    "keyring-provider": ('keyring-provider = "subprocess"', "keyring-provider='subprocess'"),
    "native-tls": ("native-tls = true", "native-tls   = true"),
}
# another value of each
OTHER: dict[str, str] = {
    "exclude-newer": 'exclude-newer = "2024-01-02T00:00:00Z"',
    "exclude-newer-package": 'exclude-newer-package = { alpha = "2024-01-01" }',
    "prerelease": 'prerelease = "if-necessary"',
    "resolution": 'resolution = "lowest"',
    "override-dependencies": 'override-dependencies = ["beta", "alpha<2"]',
    "constraint-dependencies": 'constraint-dependencies = ["delta<1.3"]',
    "conflicts": 'conflicts = [[{ extra = "x" }, { group = "lint" }]]',
    "index": 'index = [{ name = "co", url = "https://co2.example/simple", default = true }]',
    "index-url": 'index-url = "https://co2.example/simple"',
    "extra-index-url": 'extra-index-url = ["https://b.example"]',
    "find-links": 'find-links = ["https://g.example"]',
    "no-index": "no-index = false",
    "index-strategy": 'index-strategy = "unsafe-first-match"',
    "environments": "environments = [\"sys_platform == 'darwin'\"]",
    "required-environments": "required-environments = [\"sys_platform == 'darwin'\"]",
    "fork-strategy": 'fork-strategy = "requires-python"',
    "dependency-metadata": 'dependency-metadata = [{ name = "alpha", version = "1.1", requires-dist = [] }]',
    "no-build": "no-build = false",
    "no-build-package": 'no-build-package = ["beta"]',
    "no-binary": "no-binary = false",
    "no-binary-package": 'no-binary-package = ["alpha"]',
    "allow-insecure-host": 'allow-insecure-host = ["other.example"]',
    "keyring-provider": 'keyring-provider = "disabled"',
    "native-tls": "native-tls = false",
}


def hashed(text: str, *, parser: str = "tomllib") -> str:
    data: dict[str, Any] = tomllib.loads(text) if parser == "tomllib" else tomlkit.parse(text)
    return inputs_hash(data, default_groups=["dev"], index_urls=INDEXES)


def before_settings(data: dict[str, Any], *, default_groups: list[str], index_urls: list[str]) -> str:
    """The fingerprint as it was before `[tool.uv]` resolver settings entered it (a verbatim copy)."""
    project = data.get("project")
    project = project if isinstance(project, dict) else {}
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    sources = uv.get("sources") if isinstance(uv, dict) else None
    payload = {
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "dependency-groups": data.get("dependency-groups", {}),
        "requires-python": project.get("requires-python"),
        "sources": sources or {},
        "default-groups": sorted({normalize_name(g) for g in default_groups}),
        "index-urls": [strip_credentials(u).rstrip("/") for u in index_urls],
        "format": 1,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def test_the_resolver_uses_exactly_the_settings_the_fingerprint_covers() -> None:
    from corral.resolvers import uv_project

    assert uv_project.UV_RESOLVER_SETTINGS == UV_RESOLVER_SETTINGS
    assert set(SETTINGS) == set(OTHER) == set(UV_RESOLVER_SETTINGS)


@pytest.mark.parametrize("parser", ["tomllib", "tomlkit"])
def test_a_project_without_resolver_settings_keeps_its_old_hash(parser: str) -> None:
    assert hashed(PROJECT, parser=parser) == GOLDEN["plain"]
    assert hashed(PROJECT + OTHER_UV, parser=parser) == GOLDEN["other-uv"]
    assert hashed(PROJECT + "\n[tool.uv]\n", parser=parser) == GOLDEN["plain"]
    assert inputs_hash({}, default_groups=[], index_urls=["https://pypi.org/simple"]) == GOLDEN["empty"]


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_each_setting_counts_by_value_not_by_formatting(setting: str) -> None:
    value, reformatted = SETTINGS[setting]
    base = hashed(PROJECT + OTHER_UV)
    stated = hashed(PROJECT + OTHER_UV.replace("[tool.uv]\n", f"[tool.uv]\n{value}\n"))
    assert stated != base
    # the same values written another way, or placed elsewhere in the table, or parsed by tomlkit (add/remove)
    moved = PROJECT + "\n[tool.uv]\n" + reformatted + "\n" + OTHER_UV.replace("[tool.uv]\n", "")
    if reformatted.startswith(("[tool.uv.", "[[tool.uv.")):  # a sub-table must come after the keys of [tool.uv]
        moved = PROJECT + OTHER_UV.replace("[tool.uv.sources]", reformatted + "\n[tool.uv.sources]")
    assert hashed(moved) == stated
    assert hashed(moved, parser="tomlkit") == stated
    # another value is another hash
    assert hashed(PROJECT + OTHER_UV.replace("[tool.uv]\n", f"[tool.uv]\n{OTHER[setting]}\n")) not in {base, stated}


def test_the_old_fingerprint_is_kept_for_every_project_without_them() -> None:
    for text in (PROJECT, PROJECT + OTHER_UV, '[project]\nname = "x"\n', "[tool.uv]\nsources = {}\n", ""):
        data = tomllib.loads(text)
        for groups, indexes in (([], ["https://pypi.org/simple"]), (["dev", "Lint"], INDEXES)):
            old = before_settings(data, default_groups=groups, index_urls=indexes)
            assert inputs_hash(data, default_groups=groups, index_urls=indexes) == old
    stated = tomllib.loads(PROJECT + '\n[tool.uv]\nprerelease = "allow"\n')
    assert inputs_hash(stated, default_groups=[], index_urls=INDEXES) != before_settings(
        stated, default_groups=[], index_urls=INDEXES
    )
