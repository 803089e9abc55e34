from __future__ import annotations

from pathlib import Path

from corral.discovery.places import uv_python_dir
from corral.discovery.sources import iter_candidates
from corral.discovery.windows import RegistryEntry, iter_windows_candidates, parse_py_list_paths

PY_LIST_NEW = """\
 -V:3.13 *        C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe
 -V:3.12          C:\\Python312\\python.exe
 -V:ContinuumAnalytics/Anaconda39-64 C:\\Anaconda3\\python.exe
"""
PY_LIST_OLD = """\
Installed Pythons found by py Launcher for Windows
 -3.9-64        C:\\Python39\\python.exe *
 -2.7-32        C:\\Python27\\python.exe
"""


def test_py_launcher_output_both_formats() -> None:
    new = [str(c.path) for c in parse_py_list_paths(PY_LIST_NEW)]
    assert new[0].endswith("Python313\\python.exe")
    assert "C:\\Python312\\python.exe" in new
    assert "C:\\Anaconda3\\python.exe" in new
    old = [str(c.path) for c in parse_py_list_paths(PY_LIST_OLD.replace(" *", ""))]
    assert old == ["C:\\Python39\\python.exe", "C:\\Python27\\python.exe"]


def test_pep514_registry_entries_skip_pylauncher_and_prefer_executable_path() -> None:
    entries = [
        RegistryEntry("HKLM", "PythonCore", "3.12", "C:\\Python312\\", "C:\\Python312\\python.exe"),
        RegistryEntry("HKCU", "PythonCore", "3.11", "C:\\Py311", None),
        RegistryEntry("HKCU", "PyLauncher", "x", "C:\\launcher", None),
        RegistryEntry("HKCU", "Company", "broken", None, None),
    ]
    found = list(iter_windows_candidates(lambda: entries, run_py=lambda: ""))
    assert [(str(c.path), c.source) for c in found] == [
        ("C:\\Python312\\python.exe", "registry:PythonCore"),
        (str(Path("C:\\Py311") / "python.exe"), "registry:PythonCore"),
    ]


def test_pyenv_versions_are_candidates_and_shims_are_not(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    for version in ("3.12.1", "3.11.7"):
        exe = root / "versions" / version / "bin" / "python3"
        exe.parent.mkdir(parents=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    venv_like = root / "versions" / "myenv"
    (venv_like / "bin").mkdir(parents=True)
    (venv_like / "pyvenv.cfg").write_text("home = /x\n")
    shim = root / "shims" / "python3"
    shim.parent.mkdir(parents=True)
    shim.write_text("#!/bin/sh\n")
    shim.chmod(0o755)
    env = {"PYENV_ROOT": str(root), "PATH": str(root / "shims"), "XDG_DATA_HOME": str(tmp_path / "none")}
    found = [c for c in iter_candidates(env, windows=False) if c.source != "system"]
    assert sorted(str(c.path) for c in found) == sorted(
        str(root / "versions" / v / "bin" / "python3") for v in ("3.11.7", "3.12.1")
    )


def test_uv_managed_dir_follows_uv_conventions(tmp_path: Path) -> None:
    assert uv_python_dir({"UV_PYTHON_INSTALL_DIR": "/opt/uvpy"}) == Path("/opt/uvpy")
    assert uv_python_dir({"XDG_DATA_HOME": "/d"}) == Path("/d/uv/python")
    managed = tmp_path / "uv" / "python" / "cpython-3.12.7-linux-x86_64-gnu" / "bin" / "python3.12"
    managed.parent.mkdir(parents=True)
    managed.write_text("")
    managed.chmod(0o755)
    minor_link = tmp_path / "uv" / "python" / "cpython-3.12-linux-x86_64-gnu"
    minor_link.symlink_to(managed.parent.parent)
    env = {"XDG_DATA_HOME": str(tmp_path), "PATH": "", "PYENV_ROOT": str(tmp_path / "nopyenv")}
    uv_found = [c for c in iter_candidates(env, windows=False) if c.source == "uv"]
    assert [c.path for c in uv_found] == [managed]
