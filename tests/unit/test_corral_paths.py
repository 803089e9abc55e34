"""corral's own folders: on Linux found without platformdirs, and always where platformdirs places them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from corral.infra.paths import CorralPaths, xdg_dirs

LINUX = pytest.mark.skipif(sys.platform != "linux", reason="the stdlib rule is Linux's")
_NAMES = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


def _platformdirs() -> tuple[Path, Path, Path]:
    return (
        Path(platformdirs.user_data_dir("corral", appauthor=False)),
        Path(platformdirs.user_cache_dir("corral", appauthor=False)),
        Path(platformdirs.user_config_dir("corral", appauthor=False)),
    )


@LINUX
@pytest.mark.parametrize(
    "setting",
    [
        {"HOME": "/home/someone"},
        {"HOME": "/home/someone/"},
        {"HOME": "/"},
        {"HOME": "//srv//u"},
        {"HOME": "/h", "XDG_DATA_HOME": "/srv/data", "XDG_CACHE_HOME": "/srv/cache/", "XDG_CONFIG_HOME": "/srv/c"},
        {"HOME": "/h", "XDG_CACHE_HOME": ""},
        {"HOME": "/h", "XDG_CACHE_HOME": "/a b/ü"},
    ],
)
def test_the_linux_rule_is_platformdirs_answer(setting: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.delenv("CORRAL_HOME", raising=False)
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    # when
    found = xdg_dirs(os.environ)
    # then
    assert found is not None
    assert tuple(Path(p) for p in found) == _platformdirs()
    paths = CorralPaths.from_environment()
    assert (paths.data, paths.cache, paths.config) == _platformdirs()


@pytest.mark.parametrize(
    ("environ", "platform"),
    [
        ({"HOME": "/h", "XDG_CACHE_HOME": "relative/cache"}, "linux"),  # platformdirs versions differ on these
        ({"HOME": "/h", "XDG_DATA_HOME": " "}, "linux"),
        ({"HOME": "relative"}, "linux"),
        ({"HOME": ""}, "linux"),
        ({}, "linux"),
        ({"HOME": "/Users/u"}, "darwin"),
        ({"HOME": "/h"}, "win32"),
        ({"HOME": "/h"}, "freebsd14"),
    ],
)
def test_whatever_the_rule_does_not_cover_is_left_to_platformdirs(environ: dict[str, str], platform: str) -> None:
    assert xdg_dirs(environ, platform) is None


@LINUX
def test_a_relative_xdg_variable_gets_platformdirs_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORRAL_HOME", raising=False)
    monkeypatch.setenv("HOME", "/h")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    paths = CorralPaths.from_environment()
    assert (paths.data, paths.cache, paths.config) == _platformdirs()


@LINUX
def test_finding_the_folders_imports_no_platformdirs() -> None:
    code = (
        "import sys; from corral.infra.paths import CorralPaths; p = CorralPaths.from_environment(); "
        "print('platformdirs' in sys.modules, p.cache)"
    )
    environ = {k: v for k, v in os.environ.items() if k != "CORRAL_HOME" and not k.startswith("XDG_")}
    environ["HOME"] = "/home/someone"
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "/home/someone/.cache/corral"]
