"""The one env model (core/env.py), the one Python-version reader and the one name normaliser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from corral.core.env import Env
from corral.core.names import normalize_name
from corral.core.pyvenv_cfg import PyvenvCfg
from corral.core.pyversion import python_minor, python_version, release, sort_key
from corral.infra.envfiles import read_env
from corral.infra.safe_read import UnreadableFile


def _tree(root: Path, files: list[str], cfg: str) -> Path:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (root / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    return root


def test_env_model_reads_a_real_venv(tmp_path: Path) -> None:
    # given a venv made by the running interpreter
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    # when
    env = read_env(root)
    # then
    assert env.is_env()
    assert env.python.is_file()
    assert env.version is not None
    assert env.version[:2] == sys.version_info[:2]
    assert env.home is not None
    assert Path(env.home).is_dir()
    completed = subprocess.run(
        [str(env.python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert env.site_packages() == [Path(completed.stdout.strip())]
    assert env.expected_site_packages() == Path(completed.stdout.strip())


def test_windows_env_uses_scripts_python_exe_and_lib_site_packages(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "win",
        ["Scripts/python.exe", "Scripts/pip.exe", "Lib/site-packages/x.py"],
        "home = C:\\Python312\r\nversion = 3.12.1\r\ninclude-system-site-packages = false\r\n",
    )
    env = Env.from_cfg(root, (root / "pyvenv.cfg").read_bytes(), windows=True)
    assert env.bin_name == "Scripts"
    assert env.python == root / "Scripts" / "python.exe"
    assert env.python.is_file()
    assert env.executable("pip") == root / "Scripts" / "pip.exe"
    assert env.executable("pip.exe") == root / "Scripts" / "pip.exe"
    assert env.site_packages() == [root / "Lib" / "site-packages"]
    assert env.expected_site_packages() == root / "Lib" / "site-packages"
    assert env.home == "C:\\Python312"
    assert env.version == (3, 12, 1)


def test_macos_framework_env_has_the_posix_layout(tmp_path: Path) -> None:
    framework = "/Library/Frameworks/Python.framework/Versions/3.13/bin"
    root = _tree(
        tmp_path / "mac",
        ["bin/python", "bin/python3.13", "lib/python3.13/site-packages/x.py"],
        f"home = {framework}\nimplementation = CPython\nversion_info = 3.13.0rc1\n",
    )
    env = Env.from_cfg(root, (root / "pyvenv.cfg").read_bytes(), windows=False)
    assert env.bin_dir == root / "bin"
    assert env.python == root / "bin" / "python"
    assert env.executable("pip") == root / "bin" / "pip"
    assert env.home == framework
    assert env.version == (3, 13, 0)
    assert env.site_packages() == [root / "lib" / "python3.13" / "site-packages"]


def test_pypy_and_free_threaded_site_packages_are_found(tmp_path: Path) -> None:
    pypy = _tree(tmp_path / "pypy", ["lib/pypy3.10/site-packages/x.py"], "home = /pypy/bin\nversion = 3.10.14\n")
    env = Env.from_cfg(pypy, "home = /pypy/bin\nversion = 3.10.14\n", windows=False)
    assert env.site_packages() == [pypy / "lib" / "pypy3.10" / "site-packages"]
    assert env.expected_site_packages(implementation="PyPy") == pypy / "lib" / "pypy3.10" / "site-packages"
    ft = _tree(tmp_path / "ft", ["lib/python3.13t/site-packages/x.py"], "version_info = 3.13.1\n")
    assert Env.at(ft, windows=False).site_packages() == [ft / "lib" / "python3.13t" / "site-packages"]


def test_env_at_reads_nothing_and_knows_no_version(tmp_path: Path) -> None:
    env = Env.at(tmp_path / "missing", windows=False)
    assert not env.is_env()
    assert env.version is None
    assert env.home is None
    assert env.site_packages() == []
    assert env.expected_site_packages() is None


def test_read_env_refuses_what_is_not_a_small_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "pyvenv.cfg").mkdir()
    with pytest.raises(UnreadableFile):
        read_env(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyvenv.cfg").write_bytes(b"home = /usr/bin\nversion = 3.\xff12\n")
    assert read_env(other).version_text == "3.\ufffd12"
    with pytest.raises(UnicodeDecodeError):
        read_env(other, strict=True)
    (other / "pyvenv.cfg").write_bytes(b"home = /usr/bin\n" + b"x" * 100)
    with pytest.raises(UnreadableFile):
        read_env(other, limit=50)
    with pytest.raises(FileNotFoundError):
        read_env(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.11.2", (3, 11, 2)),
        ("3.12.1.final.0", (3, 12, 1)),
        ("2.7.18.final.0", (2, 7, 18)),
        ("3.13.0rc1", (3, 13, 0)),
        ("3.14.0a3", (3, 14, 0)),
        ("3.12", (3, 12)),
        ("3.13t", (3, 13)),
        ("3", None),
        ("", None),
        (None, None),
        ("x.y", None),
        (" 3.8.10 ", (3, 8, 10)),
        ("3.10.4.5", (3, 10, 4)),
    ],
)
def test_python_version_reads_every_recorded_form(text: str | None, expected: tuple[int, ...] | None) -> None:
    assert python_version(text) == expected


def test_release_and_minor() -> None:
    assert release("24.0") == (24, 0)
    assert release("26.1b1") == (26, 1)
    assert release("9") == (9,)
    assert release("dev") == ()
    assert python_minor("2.7.18") == (2, 7)
    assert python_minor((3, 6, 15)) == (3, 6)
    assert python_minor((3,)) is None
    assert python_minor("three") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Foo.Bar_baz", "foo-bar-baz"),
        ("zope.interface", "zope-interface"),
        ("A--B__C..D", "a-b-c-d"),
        ("requests", "requests"),
        ("Dev_Tools", "dev-tools"),
    ],
)
def test_normalize_name_agrees_with_packaging(name: str, expected: str) -> None:
    from packaging.utils import canonicalize_name

    assert normalize_name(name) == expected == canonicalize_name(name)


def test_env_is_immutable_and_compares_by_value(tmp_path: Path) -> None:
    env = Env.from_cfg(tmp_path, "home = /usr/bin\nversion = 3.12.1\n", windows=False)
    with pytest.raises(AttributeError):
        env.root = tmp_path / "other"
    assert env == Env.from_cfg(tmp_path, "home = /usr/bin\nversion = 3.12.1\n", windows=False)
    assert env != Env.at(tmp_path, windows=False)
    assert hash(env) == hash(Env.at(tmp_path, windows=False))
    assert str(env.layout.python) == str(env.python)


def test_env_model_import_is_cheap_for_the_fast_paths() -> None:
    # the no-op `sync`, warm `run` and cd-hook build an Env: no dataclasses, no packaging at import
    code = (
        "import sys, corral.core.env, corral.services.sync.stamp; "
        "print(sorted(m for m in ('dataclasses', 'packaging', 'corral.core.pyvenv_cfg') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_sort_key_puts_a_final_release_after_its_pre_releases() -> None:
    names = ["3.11.9", "3.13.0", "3.11.10", "3.13.0rc1", "3.13.0a2", "3.12-dev", "3.12.1.final.0"]
    assert sorted(names, key=sort_key) == [
        "3.11.9",
        "3.11.10",
        "3.12-dev",
        "3.12.1.final.0",
        "3.13.0a2",
        "3.13.0rc1",
        "3.13.0",
    ]


def test_pyvenv_cfg_odd_lines_are_what_parse_skips() -> None:
    text = "home = /usr/bin\n\n# a comment\nno equals sign\n = value without key\r\nversion = 3.12.1\n"
    assert PyvenvCfg.odd_lines(text) == [(4, "no equals sign"), (5, "= value without key")]
    assert PyvenvCfg.parse(text).values == {"home": "/usr/bin", "version": "3.12.1"}
