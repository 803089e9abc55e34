"""Merging per-selection exports into one multi-use pylock, and deterministic rendering."""

from __future__ import annotations

from typing import Any

from packaging.markers import Marker
from packaging.pylock import Pylock

from corral.core.lock_fingerprint import inputs_hash, stored_inputs_hash
from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
from corral.core.urls import strip_credentials
from support.toml import tomllib

WHEEL = {"url": "https://u:pw@files.example/alpha-1.0-py3-none-any.whl", "hashes": {"sha256": "ab" * 32}}


def pkg(name: str, marker: str | None = None, version: str = "1.0") -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "version": version,
        "index": "https://u:pw@idx.example/simple",
        "wheels": [{**WHEEL, "url": str(WHEEL["url"]).replace("alpha-1.0", f"{name}-{version}")}],
    }
    if marker:
        out["marker"] = marker
    return out


def test_markers_or_selection_terms_with_environment_markers() -> None:
    merged = merge_exports(
        [
            (("default", ""), [pkg("alpha"), pkg("foo", "sys_platform == 'win32'")]),
            (("group", "dev"), [pkg("foo"), pkg("bar", "python_version < '3.10'")]),
            (("extra", "fast"), [pkg("alpha"), pkg("bar")]),
        ]
    )
    by_name = {p["name"]: p for p in merged}
    assert [p["name"] for p in merged] == ["alpha", "bar", "foo"]
    assert "marker" not in by_name["alpha"]
    foo = Marker(by_name["foo"]["marker"])
    base: dict[str, str | frozenset[str]] = {
        "extras": frozenset(),
        "dependency_groups": frozenset(),
        "sys_platform": "linux",
    }
    assert not foo.evaluate(base)
    assert foo.evaluate({**base, "sys_platform": "win32"})
    assert foo.evaluate({**base, "dependency_groups": frozenset({"dev"})})
    bar = Marker(by_name["bar"]["marker"])
    assert bar.evaluate({**base, "extras": frozenset({"fast"}), "python_version": "3.12"})
    assert bar.evaluate({**base, "dependency_groups": frozenset({"dev"}), "python_version": "3.9"})
    assert not bar.evaluate({**base, "dependency_groups": frozenset({"dev"}), "python_version": "3.12"})


def test_credentials_are_stripped_everywhere() -> None:
    merged = merge_exports([(("default", ""), [pkg("alpha")])])
    text = render_pylock(
        LockDocument(
            requires_python=">=3.9",
            extras=[],
            dependency_groups=[],
            default_groups=[],
            packages=merged,
            inputs_hash="sha256:" + "0" * 64,
        )
    )
    assert "pw" not in text and "u:" not in text
    assert strip_credentials("https://tok@host/simple") == "https://host/simple"
    assert strip_credentials("https://host/simple") == "https://host/simple"


def test_rendering_is_valid_pep751_deterministic_and_carries_the_hash() -> None:
    exports = [
        (("default", ""), [pkg("beta"), pkg("alpha", version="2.0"), pkg("alpha", "python_version < '3.10'")]),
        (("group", "dev"), [pkg("gamma")]),
    ]

    def render() -> str:
        return render_pylock(
            LockDocument(
                requires_python=">=3.9",
                extras=["fast"],
                dependency_groups=["dev"],
                default_groups=["dev"],
                packages=merge_exports(exports, {"beta": ["alpha"]}),
                inputs_hash="sha256:" + "1" * 64,
            )
        )

    text = render()
    assert text == render()
    data = tomllib.loads(text)
    Pylock.from_dict(data)
    assert [(p["name"], p["version"]) for p in data["packages"]] == [
        ("alpha", "1.0"),
        ("alpha", "2.0"),
        ("beta", "1.0"),
        ("gamma", "1.0"),
    ]
    assert data["packages"][2]["dependencies"] == [{"name": "alpha"}]
    assert data["packages"][0]["wheels"][0]["name"] == "alpha-1.0-py3-none-any.whl"
    assert data["default-groups"] == ["dev"] and data["tool"]["corral"]["inputs-hash"] == "sha256:" + "1" * 64


def test_inputs_hash_tracks_inputs_not_formatting() -> None:
    base = {"project": {"dependencies": ["alpha"], "requires-python": ">=3.9", "name": "x"}}
    h = inputs_hash(base, default_groups=["dev"], index_urls=["https://i/simple"])
    assert h == inputs_hash(
        {**base, "tool": {"other": 1}}, default_groups=["Dev"], index_urls=["https://tok@i/simple/"]
    )
    assert h != inputs_hash(base, default_groups=[], index_urls=["https://i/simple"])
    assert h != inputs_hash(
        {"project": {"dependencies": ["alpha>1"]}}, default_groups=["dev"], index_urls=["https://i/simple"]
    )
    assert stored_inputs_hash(f'lock-version = "1.0"\n\n[tool.corral]\ninputs-hash = "{h}"\n') == h
    assert stored_inputs_hash('lock-version = "1.0"\n') is None


def test_a_project_without_dependencies_gets_a_valid_empty_lock() -> None:
    from packaging.pylock import Pylock

    from support.toml import tomllib

    text = render_pylock(
        LockDocument(
            requires_python=">=3.9",
            extras=(),
            dependency_groups=(),
            default_groups=(),
            packages=(),
            inputs_hash="sha256:0",
        )
    )
    data = tomllib.loads(text)
    assert data["packages"] == []
    Pylock.from_dict(data)
