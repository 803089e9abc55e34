"""The native creator's plan (creators/native.py plan_layout), by name: the Windows layout `uv venv` writes (not
served until compared with uv on Windows, so it is checked here on every platform), the POSIX one's version
rules and the escaping of prompts and paths into the scripts. The real POSIX envs are compared with `uv venv`
byte for byte in tests/integration/test_native_creator.py."""

from __future__ import annotations

import os

import pytest

from corral.core.interpreter import InterpreterInfo
from corral.creators.native import Layout, NativeCreator, env_path_literal, plan_layout

WIN = InterpreterInfo(
    path="C:\\Python312\\python.exe",
    realpath="C:\\Python312\\python.exe",
    implementation="CPython",
    version="3.12.4",
    version_info=(3, 12, 4),
    machine="AMD64",
    pointer_bits=64,
    platform="win32",
    prefix="C:\\Python312",
    base_prefix="C:\\Python312",
    marker_env={
        "os_name": "nt",
        "sys_platform": "win32",
        "python_full_version": "3.12.4",
        "platform_python_implementation": "CPython",
    },
)
LINUX = WIN.replace(
    path="/opt/py/bin/python3.9",
    realpath="/opt/py/bin/python3.9",
    version="3.9.18",
    version_info=(3, 9, 18),
    machine="x86_64",
    platform="linux",
    prefix="/opt/py",
    base_prefix="/opt/py",
    marker_env={
        "os_name": "posix",
        "sys_platform": "linux",
        "python_full_version": "3.9.18",
        "platform_python_implementation": "CPython",
    },
)
ACTIVATORS = [
    "activate",
    "activate.csh",
    "activate.fish",
    "activate.nu",
    "activate.xsh",
    "activate.ps1",
    "activate.bat",
    "deactivate.bat",
    "pydoc.bat",
    "activate_this.py",
]


def _files(layout: Layout) -> dict[str, bytes]:
    return dict(layout.files)


def test_windows_layout_by_name() -> None:
    layout = plan_layout(
        WIN, "C:\\work\\.venv", prompt=None, system_site_packages=False, uv_version="0.13.9", windows=True
    )
    files = _files(layout)
    assert layout.dirs == ("Scripts", "Lib", "Lib/site-packages")
    assert list(files) == ["CACHEDIR.TAG", ".gitignore", *(f"Scripts/{name}" for name in ACTIVATORS)]
    assert layout.links == ()  # no links on Windows, and no lib64
    nt = "C:\\Python312\\Lib\\venv\\scripts\\nt"
    assert layout.copies == (
        ("Scripts/python.exe", (f"{nt}\\python.exe", f"{nt}\\venvlauncher.exe")),
        ("Scripts/pythonw.exe", (f"{nt}\\pythonw.exe", f"{nt}\\venvwlauncher.exe")),
    )
    assert layout.cfg == (
        b"home = C:\\Python312\n"
        b"implementation = CPython\n"
        b"uv = 0.13.9\n"
        b"version_info = 3.12.4\n"
        b"include-system-site-packages = false\n"
    )
    bat = files["Scripts/activate.bat"]
    assert b"\r\n" in bat
    assert b"\n" not in bat.replace(b"\r\n", b"")  # CRLF throughout, as uv writes its .bat files
    assert b'@for %%i in ("C:\\work\\.venv") do @set "VIRTUAL_ENV=%%~fi"' in bat
    assert b'@set "PATH=%VIRTUAL_ENV%\\Scripts;%PATH%"' in bat
    assert files["Scripts/deactivate.bat"].count(b"\r\n") == files["Scripts/deactivate.bat"].count(b"\n")
    assert b'for lib in "..\\\\Lib\\\\site-packages".split(os.pathsep):' in files["Scripts/activate_this.py"]
    assert b'$env:PATH = "$env:VIRTUAL_ENV/Scripts;" + $env:PATH' in files["Scripts/activate.ps1"]
    assert b'self.embedded_bin_name = "Scripts"' in files["Scripts/activate.xsh"]
    assert b"const virtual_env = 'C:\\work\\.venv'" in files["Scripts/activate.nu"]
    assert b"{{" not in b"".join(files.values())


def test_windows_layout_below_3_10_has_the_distutils_hook() -> None:
    old = WIN.replace(version="3.9.13", version_info=(3, 9, 13))
    files = _files(plan_layout(old, "C:\\e", prompt="p", system_site_packages=True, uv_version="0.13.9", windows=True))
    assert files["Lib/site-packages/_virtualenv.pth"] == b"import _virtualenv"
    assert files["Lib/site-packages/_virtualenv.py"].startswith(b'"""Patches that are applied at runtime')


def test_posix_layout_by_name() -> None:
    layout = plan_layout(LINUX, "/w/.venv", prompt=None, system_site_packages=False, uv_version="0.13.9")
    files = _files(layout)
    assert layout.dirs == ("bin", "lib", "lib/python3.9", "lib/python3.9/site-packages")
    assert layout.links == (
        ("bin/python", "/opt/py/bin/python3.9"),
        ("bin/python3", "python"),
        ("bin/python3.9", "python"),
        ("lib64", "lib"),
    )
    assert layout.copies == ()
    assert "lib/python3.9/site-packages/_virtualenv.pth" in files  # uv writes the hook below 3.10 ...
    newer = LINUX.replace(version_info=(3, 10, 13))
    newer_files = _files(plan_layout(newer, "/w", prompt=None, system_site_packages=False, uv_version="0.13.9"))
    assert not any("_virtualenv" in name for name in newer_files)  # ... and not from 3.10
    thirty_two = LINUX.replace(pointer_bits=32)
    assert ("lib64", "lib") not in plan_layout(
        thirty_two, "/w", prompt=None, system_site_packages=False, uv_version="0.13.9"
    ).links


def test_prompt_and_path_are_escaped_as_uv_does() -> None:
    prompt = 'it\'s "q" é\\'
    layout = plan_layout(LINUX, "/w/it's", prompt=prompt, system_site_packages=True, uv_version="0.13.9")
    files = _files(layout)
    assert layout.cfg.endswith(b"include-system-site-packages = true\nprompt = " + prompt.encode() + b"\n")
    assert b"VIRTUAL_ENV='/w/it'\"'\"'s'" in files["bin/activate"]
    assert b'const virtual_env = "/w/it\'s"' in files["bin/activate.nu"], "a nushell '...' cannot hold a quote"
    assert b'@for %%i in ("/w/it\'s") do @set "VIRTUAL_ENV=%%~fi"' in files["bin/activate.bat"], "uv: the path as it is"
    assert (
        b'self.embedded_virtual_prompt = b"it\\\'s \\"q\\" \\xc3\\xa9\\\\".decode("utf-8")' in files["bin/activate.xsh"]
    )
    assert b'self.embedded_bin_name = __import__("os").fsdecode(b"bin")' in files["bin/activate.xsh"]
    assert f'VIRTUAL_ENV_PROMPT="{prompt}"'.encode() in files["bin/activate"]


@pytest.mark.parametrize("where", ["C:\\Users\\o'b !c %PATH% ü^&\\proj\\.venv", "C:\\100%\\e"])
def test_activate_bat_holds_the_path_with_percent_signs_doubled(where: str) -> None:
    files = _files(plan_layout(WIN, where, prompt=None, system_site_packages=False, uv_version="0.13.9", windows=True))
    bat = files["Scripts/activate.bat"].decode("utf-8")
    doubled = where.replace("%", "%%")
    assert f'@for %%i in ("{doubled}") do @set "VIRTUAL_ENV=%%~fi"\r\n' in bat
    # `%NAME%` is the one expansion cmd makes between a script's double quotes (no delayed expansion here): every
    # `%` of the path is doubled, which cmd reads back as one
    assert "EnableDelayedExpansion".lower() not in bat.lower()
    # activate.ps1, activate.xsh and activate_this.py find the env from their own location: no path is written there
    for name in ("Scripts/activate.ps1", "Scripts/activate.xsh", "Scripts/activate_this.py"):
        text = files[name].decode("utf-8")
        assert where not in text
        assert env_path_literal("bat", where) not in text


def test_each_shell_reads_its_path_word_back_as_the_path() -> None:
    """The quoting rules of each shell's word, applied backwards, give the path (the real shells: tests/shells)."""
    where = "/w/a 'q !b \"d $x `t` \\s \\\\d \\' ü %P%"
    assert env_path_literal("sh", where) == "'" + where.replace("'", "'\"'\"'") + "'"  # uv's word, right in sh
    csh = env_path_literal("csh", where)
    assert "!" not in csh.replace("\\!", "")  # every `!` escaped, else csh reads a history event
    assert csh.replace("\\!", "!") == env_path_literal("sh", where)
    fish = env_path_literal("fish", where)
    assert fish[0] == fish[-1] == "'"
    assert fish[1:-1].replace("\\\\", "\0").replace("\\'", "'").replace("\0", "\\") == where
    nu = env_path_literal("nu", where)
    assert nu[0] == nu[-1] == '"'
    assert nu[1:-1].replace("\\\\", "\0").replace('\\"', '"').replace("\0", "\\") == where
    # where uv's word is right, it is kept: the scripts stay uv's byte for byte
    assert {env_path_literal(shell, "/w/it's") for shell in ("sh", "csh", "fish")} == {"'/w/it'\"'\"'s'"}
    assert env_path_literal("nu", "/w/plain") == "'/w/plain'"


@pytest.mark.skipif(os.name == "nt", reason="the refusal on other platforms")
def test_windows_and_unknown_uv_are_refused_today() -> None:
    from corral.creators.native import _refusal

    assert "Linux envs only" in (_refusal(WIN, "win32") or "")
    assert "Linux envs only" in (_refusal(LINUX, "darwin") or "")
    assert NativeCreator().name == "native"
