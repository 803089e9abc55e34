from __future__ import annotations

from pathlib import PureWindowsPath

from corral.core.layout import EnvLayout
from corral.core.pyvenv_cfg import PyvenvCfg


def test_posix_layout() -> None:
    layout = EnvLayout.for_path("/p/.venv", windows=False)
    assert str(layout.python) == "/p/.venv/bin/python"
    assert str(layout.site_packages((3, 12))) == "/p/.venv/lib/python3.12/site-packages"
    assert str(layout.site_packages((3, 10), implementation="PyPy")) == "/p/.venv/lib/pypy3.10/site-packages"
    assert str(layout.executable("pip")) == "/p/.venv/bin/pip"
    assert str(layout.activation_scripts["fish"]) == "/p/.venv/bin/activate.fish"


def test_windows_layout_uses_scripts_and_exe_names() -> None:
    layout = EnvLayout.for_path("C:\\proj\\.venv", windows=True)
    assert isinstance(layout.root, PureWindowsPath)
    assert str(layout.python) == "C:\\proj\\.venv\\Scripts\\python.exe"
    assert str(layout.executable("pip")) == "C:\\proj\\.venv\\Scripts\\pip.exe"
    assert str(layout.site_packages((3, 12))) == "C:\\proj\\.venv\\Lib\\site-packages"
    assert str(layout.activation_scripts["cmd"]) == "C:\\proj\\.venv\\Scripts\\activate.bat"
    assert str(layout.activation_scripts["powershell"]) == "C:\\proj\\.venv\\Scripts\\Activate.ps1"


def test_pyvenv_cfg_parses_every_creator_format() -> None:
    uv = PyvenvCfg.parse(
        "home = /usr/bin\nimplementation = CPython\nuv = 0.13.9\nversion_info = 3.12.1\n"
        "include-system-site-packages = false\n"
    )
    assert uv.creator == "uv 0.13.9"
    assert uv.version == "3.12.1"
    assert not uv.system_site_packages
    venv = PyvenvCfg.parse(
        "home = C:\\Python312\ninclude-system-site-packages = true\nversion = 3.12.1\n"
        "executable = C:\\Python312\\python.exe\n"
    )
    assert venv.creator == "venv"
    assert venv.system_site_packages
    assert venv.home == "C:\\Python312"
    legacy = PyvenvCfg.parse("home = /py/bin\nvirtualenv = 20.21.1\nversion_info = 2.7.18.final.0\n")
    assert legacy.creator == "virtualenv 20.21.1"
    assert PyvenvCfg.parse(legacy.render()).values == legacy.values


def test_garbage_pyvenv_cfg_yields_no_values() -> None:
    cfg = PyvenvCfg.parse("\x00\x01 nonsense\n[section]\n")
    assert cfg.values == {}
    assert cfg.home is None
