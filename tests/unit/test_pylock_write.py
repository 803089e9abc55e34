"""Merging per-selection exports into one multi-use pylock, and deterministic rendering."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.pylock import Pylock

from corral.core.lock_fingerprint import inputs_hash, stored_inputs_hash
from corral.core.pylock_write import (
    LockDocument,
    document_data,
    merge_exports,
    render_pylock,
    toml_document,
    toml_string,
)
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


def test_document_data_is_what_parsing_the_rendered_lock_gives() -> None:
    """services.lock checks `document_data(doc)` instead of parsing the text it just rendered: they must agree."""
    import datetime as dt

    odd = pkg("beta", "sys_platform == 'win32'")
    odd["wheels"][0].update({"size": 123, "upload-time": dt.datetime(2024, 5, 1, 12, 30, 1, tzinfo=dt.timezone.utc)})
    odd["sdist"] = {"url": "https://files.example/beta-1.0.tar.gz", "hashes": {"sha256": "cd" * 32}}
    odd["requires-python"] = '>=3.9, !="3.9.1"'  # a quote and a comma: escaped
    tree = {"name": "proj", "directory": {"path": "sub dir/\u00e9\\x", "editable": True}}
    for environments, requires_python in (((), ">=3.9"), (("python_version == '2.7'",), None)):
        doc = LockDocument(
            requires_python=requires_python,
            extras=["fast", "a"],
            dependency_groups=["dev"],
            default_groups=["dev"],
            packages=[*merge_exports([(("default", ""), [pkg("alpha"), odd, tree])], {"beta": ["alpha"]})],
            inputs_hash="sha256:" + "2" * 64,
            environments=environments,
            notes=["a note\nover lines"],
        )
        assert tomllib.loads(render_pylock(doc)) == document_data(doc)
    empty = LockDocument(
        requires_python=None, extras=[], dependency_groups=[], default_groups=[], packages=[], inputs_hash="h"
    )
    assert tomllib.loads(render_pylock(empty)) == document_data(empty)


def test_toml_string_escapes_what_toml_needs_and_round_trips() -> None:
    samples = ["plain", "", 'q"uote', "back\\slash", "tab\there", "new\nline", "\x00\x1f\x7f", "\u00e9\u4e2d", "\r"]
    for text in samples:
        rendered = toml_string(text)
        assert tomllib.loads(f"x = {rendered}")["x"] == text
    assert toml_string('a"b\\c\n\t\x01') == '"a\\"b\\\\c\\n\\t\\u0001"'
    assert toml_string("https://files.example/a-1.0.whl") == '"https://files.example/a-1.0.whl"'


def test_toml_document_writes_what_tomllib_reads_back() -> None:
    """The resolver's temporary pyproject: every TOML type a pyproject can hold, nested tables, odd keys."""
    import datetime as dt

    doc: dict[str, Any] = {
        "project": {
            "name": "demo",
            "version": "1.0",
            "dependencies": ["alpha>=1; python_version < '3.12'", 'beta[x]; sys_platform == "win32"'],
            "optional-dependencies": {"fast": ["gamma"]},
        },
        "dependency-groups": {"dev": ["delta", {"include-group": "test"}], "test": []},
        "tool": {
            "uv": {
                "package": False,
                "exclude-newer": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                "sources": {"local": {"path": "/a dir/\u00e9", "editable": True}},
                "conflicts": [[{"extra": "a"}, {"group": "b"}]],
            },
            "odd key": {"a.b": 1.5, "big": -1e300, "day": dt.date(2024, 1, 2), "empty": {}},
        },
    }
    assert tomllib.loads(toml_document(doc)) == doc


def test_check_lock_refuses_every_unicode_space_in_urls_and_paths() -> None:
    """pylock_check matches whitespace with one regex: the same characters str.isspace() names, not only ' '.

    A path may hold ' ' (`../my lib`, a real folder name uv locks), never another space.
    """
    import pytest

    from corral.core.pylock_check import check_lock
    from corral.errors import LockError

    for space in (" ", "\u00a0", "\u2003", "\u3000", "\u1680", "\x85"):
        bad = pkg("alpha")
        bad["wheels"][0]["url"] = f"https://files.example/a{space}b-1.0-py3-none-any.whl"
        with pytest.raises(LockError):
            check_lock({"packages": [bad]}, origin="pylock.toml")
        if space != " ":
            with pytest.raises(LockError):
                check_lock({"packages": [{"name": "tree", "directory": {"path": f"a{space}b"}}]}, origin="pylock.toml")
    fine = [{"name": "tree", "directory": {"path": "a\u00e9b"}}, {"name": "mine", "directory": {"path": "../my lib"}}]
    check_lock({"packages": [pkg("alpha"), *fine]}, origin="pylock.toml")


UV_WHEEL: dict[str, Any] = {
    "name": "alpha-1.0-py3-none-any.whl",
    "url": "https://files.example/alpha-1.0-py3-none-any.whl",
    "size": 123,
    "upload-time": dt.datetime(2026, 11, 19, 17, 49, 9, tzinfo=dt.timezone.utc),
    "hashes": {"sha256": "ab" * 32},
}


@pytest.mark.parametrize(
    "wheel",
    [
        UV_WHEEL,  # uv's own shape: the direct lines
        {**UV_WHEEL, "upload-time": dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)},
        {**UV_WHEEL, "url": 'https://files.example/a"b\\c.whl'},  # escapes
        {**UV_WHEEL, "size": True},  # a bool is no size: the general path
        {**UV_WHEEL, "upload-time": "2026-11-19T17:49:09Z"},
        {**UV_WHEEL, "hashes": {"sha256": "ab" * 32, "sha512": "cd" * 64}},
        {**UV_WHEEL, "hashes": {"blake2b": "cd" * 32}},
        {**UV_WHEEL, "path": "dist/alpha.whl"},
        {k: v for k, v in UV_WHEEL.items() if k != "size"},
    ],
)
def test_uv_shaped_wheels_render_as_the_general_path_renders_them(
    wheel: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.core import pylock_write

    doc = LockDocument(
        requires_python=">=3.12",
        extras=[],
        dependency_groups=[],
        default_groups=[],
        packages=[{"name": "alpha", "version": "1.0", "wheels": [wheel]}],
        inputs_hash="sha256:" + "0" * 64,
    )
    fast = render_pylock(doc)
    monkeypatch.setattr(pylock_write, "_uv_file_lines", lambda _table: None)
    assert fast == render_pylock(doc)
    assert tomllib.loads(fast)["packages"][0]["wheels"] == [wheel]
