"""The temporary project uv resolves carries the project's own [tool.uv] resolver settings (attrs' exclude-newer)."""

from __future__ import annotations

from pathlib import Path

from corral.resolvers.uv_project import uv_project


def test_uv_resolver_settings_reach_the_resolution_and_nothing_else_does() -> None:
    data = {
        "project": {"name": "attrs", "dependencies": ["packaging"]},
        "tool": {
            "uv": {
                "exclude-newer": "1 week",
                "resolution": "lowest-direct",
                "dev-dependencies": ["x"],
                "index-url": "https://example.invalid/simple",
                "index": [{"name": "local", "url": "wheels", "format": "flat"}],
                "cache-keys": [{"file": "x"}],
            }
        },
    }
    uv = uv_project(data, Path("/p"), "1.0")["tool"]["uv"]
    assert uv["exclude-newer"] == "1 week" and uv["resolution"] == "lowest-direct"
    assert uv["package"] is False
    assert uv["index-url"] == "https://example.invalid/simple", "the project's own index, not PyPI"
    assert uv["index"] == [{"name": "local", "url": "/p/wheels", "format": "flat"}], "a relative path made absolute"
    assert "dev-dependencies" not in uv and "cache-keys" not in uv
