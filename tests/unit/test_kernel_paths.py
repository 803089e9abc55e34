"""Jupyter data folders for every OS, kernelspec names and specs, and the on-disk kernel registry."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from corral.errors import SafetyRefusal, UsageError
from corral.kernels.paths import search_dirs, sys_prefix_data_dir, system_data_dirs, user_data_dir
from corral.kernels.registry import list_kernels, points_at, remove_kernel_dir, write_kernel_dir
from corral.kernels.spec import KernelSpec, build_spec, default_name, kernel_argv, validate_name

# --- paths -------------------------------------------------------------------------------------------------------


def test_jupyter_data_dir_variable_wins_on_every_os() -> None:
    env = {"JUPYTER_DATA_DIR": "/data/j", "XDG_DATA_HOME": "/xdg", "APPDATA": r"C:\AppData"}
    assert user_data_dir(env, platform="linux", home="/home/u") == PurePosixPath("/data/j")
    assert user_data_dir(env, platform="darwin", home="/Users/u") == PurePosixPath("/data/j")
    win = user_data_dir({"JUPYTER_DATA_DIR": r"D:\j"}, platform="win32", home=r"C:\Users\u")
    assert win == PureWindowsPath(r"D:\j")


def test_linux_user_dir_follows_xdg_data_home_else_local_share() -> None:
    assert user_data_dir({"XDG_DATA_HOME": "/xdg"}, platform="linux", home="/home/u") == PurePosixPath("/xdg/jupyter")
    assert user_data_dir({}, platform="linux", home="/home/u") == PurePosixPath("/home/u/.local/share/jupyter")
    assert user_data_dir({"XDG_DATA_HOME": ""}, platform="linux", home="/home/u") == PurePosixPath(
        "/home/u/.local/share/jupyter"
    )


def test_macos_user_dir_is_library_jupyter_and_ignores_xdg() -> None:
    assert user_data_dir({"XDG_DATA_HOME": "/xdg"}, platform="darwin", home="/Users/u") == PurePosixPath(
        "/Users/u/Library/Jupyter"
    )


def test_windows_user_dir_is_appdata_jupyter_else_config_dir_data() -> None:
    assert user_data_dir(
        {"APPDATA": r"C:\Users\u\AppData\Roaming"}, platform="win32", home=r"C:\Users\u"
    ) == PureWindowsPath(r"C:\Users\u\AppData\Roaming\jupyter")
    assert user_data_dir({}, platform="win32", home=r"C:\Users\u") == PureWindowsPath(r"C:\Users\u\.jupyter\data")
    assert user_data_dir({"JUPYTER_CONFIG_DIR": r"E:\cfg"}, platform="win32", home=r"C:\Users\u") == PureWindowsPath(
        r"E:\cfg\data"
    )


def test_platform_dirs_opt_in_uses_platformdirs_locations() -> None:
    env = {"JUPYTER_PLATFORM_DIRS": "1"}
    assert user_data_dir(env, platform="darwin", home="/Users/u") == PurePosixPath(
        "/Users/u/Library/Application Support/Jupyter"
    )
    assert user_data_dir({**env, "LOCALAPPDATA": r"C:\L"}, platform="win32", home=r"C:\Users\u") == PureWindowsPath(
        r"C:\L\Jupyter"
    )
    assert user_data_dir({**env, "JUPYTER_PLATFORM_DIRS": "off"}, platform="darwin", home="/Users/u") == PurePosixPath(
        "/Users/u/Library/Jupyter"
    )


def test_system_dirs_per_os() -> None:
    assert system_data_dirs({}, platform="linux") == [
        PurePosixPath("/usr/local/share/jupyter"),
        PurePosixPath("/usr/share/jupyter"),
    ]
    assert system_data_dirs({}, platform="darwin") == [
        PurePosixPath("/usr/local/share/jupyter"),
        PurePosixPath("/usr/share/jupyter"),
    ]
    # jupyter_core >= 5.8 trusts %PROGRAMDATA% only on request
    assert system_data_dirs({"PROGRAMDATA": r"C:\ProgramData"}, platform="win32") == []
    assert system_data_dirs({"PROGRAMDATA": r"C:\ProgramData", "JUPYTER_USE_PROGRAMDATA": "1"}, platform="win32") == [
        PureWindowsPath(r"C:\ProgramData\jupyter")
    ]
    assert system_data_dirs({"PROGRAMDATA": r"C:\ProgramData", "JUPYTER_USE_PROGRAMDATA": "no"}, platform="win32") == []


def test_sys_prefix_dir_is_env_share_jupyter() -> None:
    assert sys_prefix_data_dir("/p/.venv", platform="linux") == PurePosixPath("/p/.venv/share/jupyter")
    assert sys_prefix_data_dir(r"C:\p\.venv", platform="win32") == PureWindowsPath(r"C:\p\.venv\share\jupyter")


def test_search_order_is_jupyter_path_user_env_system_without_duplicates() -> None:
    env = {"JUPYTER_PATH": "/extra/a:/extra/b/:", "XDG_DATA_HOME": "/home/u/.local/share"}
    dirs = search_dirs(env, platform="linux", home="/home/u", env_prefixes=["/p/.venv"])
    assert [(str(d.path), d.scope) for d in dirs] == [
        ("/extra/a", "JUPYTER_PATH"),
        ("/extra/b", "JUPYTER_PATH"),
        ("/home/u/.local/share/jupyter", "user"),  # the user base share dir is the same folder: listed once
        ("/p/.venv/share/jupyter", "env"),
        ("/usr/local/share/jupyter", "system"),
        ("/usr/share/jupyter", "system"),
    ]
    assert str(dirs[2].kernels) == "/home/u/.local/share/jupyter/kernels"


def test_windows_search_uses_semicolons_and_appdata() -> None:
    env = {"JUPYTER_PATH": r"D:\x;E:\y", "APPDATA": r"C:\R"}
    dirs = search_dirs(env, platform="win32", home=r"C:\Users\u")
    assert [str(d.path) for d in dirs] == [r"D:\x", r"E:\y", r"C:\R\jupyter", r"C:\R\Python\share\jupyter"]


# --- names and specs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "want"), [("myproj", "myproj"), ("MyEnv", "myenv"), ("a-b.c_d9", "a-b.c_d9")])
def test_valid_names_are_lower_cased(raw: str, want: str) -> None:
    assert validate_name(raw) == want


@pytest.mark.parametrize("raw", ["my env", "", "ü", "a/b", "x:y"])
def test_invalid_names_are_usage_errors_stating_the_rule(raw: str) -> None:
    with pytest.raises(UsageError, match=r"lower-case ASCII letters, digits and the separators - \. _"):
        validate_name(raw)


@pytest.mark.parametrize(
    ("project", "want"), [("My_Project", "my-project"), ("a..b__c", "a-b-c"), ("Données", "donn-es"), ("___", "python")]
)
def test_default_name_is_the_normalised_project_name(project: str, want: str) -> None:
    assert default_name(project) == want
    validate_name(default_name(project))


def test_argv_matches_ipykernel_and_adds_frozen_modules_off_on_311() -> None:
    assert kernel_argv("/e/bin/python", (3, 10)) == [
        "/e/bin/python",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    assert kernel_argv("/e/bin/python", (3, 12, 1))[1] == "-Xfrozen_modules=off"


def test_spec_round_trips_and_keeps_unknown_keys() -> None:
    spec = build_spec(
        python="/e/bin/python",
        version=(3, 12),
        display_name="Python 3.12 (demo)",
        env_path=Path("/e"),
        project_root=Path("/p"),
    )
    data = json.loads(spec.render())
    assert data["language"] == "python"
    assert data["metadata"] == {"debugger": True, "corral": {"env": "/e", "project": "/p"}}
    data["kernel_protocol_version"] = "5.5"
    again = KernelSpec.from_dict(data)
    assert again.to_dict() == data
    assert again.corral == {"env": "/e", "project": "/p"}


# --- registry ----------------------------------------------------------------------------------------------------


def _fake_env(root: Path) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n", encoding="utf-8")
    python = root / "bin" / "python"
    python.write_text("", encoding="utf-8")
    return python


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "JUPYTER_DATA_DIR": str(tmp_path / "jdata"),
        "HOME": str(tmp_path / "home"),
        "JUPYTER_PATH": str(tmp_path / "extra"),
    }


def _spec(python: Path, env: Path) -> KernelSpec:
    return build_spec(python=str(python), version=(3, 12), display_name="D", env_path=env, project_root=None)


def test_write_then_list_reports_env_and_status(tmp_path: Path) -> None:
    environ = _env(tmp_path)
    good = _fake_env(tmp_path / "good")
    kernels = tmp_path / "jdata" / "kernels"
    write_kernel_dir(kernels, "good", _spec(good, tmp_path / "good"))
    gone = tmp_path / "gone"
    write_kernel_dir(kernels, "gone", _spec(gone / "bin" / "python", gone))
    broken = _fake_env(tmp_path / "broken")
    broken.unlink()
    write_kernel_dir(kernels, "broken", _spec(broken, tmp_path / "broken"))
    (kernels / "bad").mkdir()
    (kernels / "bad" / "kernel.json").write_text("{not json", encoding="utf-8")
    (kernels / "Not Valid").mkdir()
    (kernels / "Not Valid" / "kernel.json").write_text("{}", encoding="utf-8")
    found = {e.name: e for e in list_kernels(environ, env_prefixes=()) if e.scope == "user"}
    assert set(found) == {"good", "gone", "broken", "bad"}
    assert (found["good"].status, found["good"].env, found["good"].scope) == ("ok", tmp_path / "good", "user")
    assert found["gone"].status == "env-missing"
    assert found["broken"].status == "env-broken"
    assert found["bad"].status == "unreadable"
    assert points_at(found["good"], tmp_path / "good")
    assert not points_at(found["good"], tmp_path / "gone")


def test_first_data_dir_wins_and_later_ones_are_shadowed(tmp_path: Path) -> None:
    environ = _env(tmp_path)
    py = _fake_env(tmp_path / "e")
    write_kernel_dir(tmp_path / "extra" / "kernels", "same", _spec(py, tmp_path / "e"))
    write_kernel_dir(tmp_path / "jdata" / "kernels", "same", _spec(py, tmp_path / "e"))
    entries = [e for e in list_kernels(environ) if e.name == "same"]
    assert [(e.scope, e.shadowed) for e in entries] == [("JUPYTER_PATH", False), ("user", True)]


def test_rewrite_replaces_the_folder_and_leaves_no_temp_dirs(tmp_path: Path) -> None:
    py = _fake_env(tmp_path / "e")
    kernels = tmp_path / "k"
    logo = tmp_path / "logo-64x64.png"
    logo.write_bytes(b"png")
    write_kernel_dir(kernels, "x", _spec(py, tmp_path / "e"), [logo])
    spec2 = _spec(py, tmp_path / "e").with_argv(["/other/python", "-m", "ipykernel_launcher"])
    write_kernel_dir(kernels, "x", spec2)
    assert sorted(p.name for p in kernels.iterdir()) == ["x"]
    assert json.loads((kernels / "x" / "kernel.json").read_text())["argv"][0] == "/other/python"
    assert not (kernels / "x" / "logo-64x64.png").exists()


def test_write_refuses_to_replace_a_non_kernel_folder(tmp_path: Path) -> None:
    (tmp_path / "k" / "x").mkdir(parents=True)
    (tmp_path / "k" / "x" / "precious.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(SafetyRefusal, match="not a kernelspec folder"):
        write_kernel_dir(tmp_path / "k", "x", _spec(tmp_path / "py", tmp_path))
    assert (tmp_path / "k" / "x" / "precious.txt").read_text() == "keep"


def test_remove_deletes_only_kernel_folders_inside_kernels_dirs(tmp_path: Path) -> None:
    py = _fake_env(tmp_path / "e")
    kernels = tmp_path / "k"
    target = write_kernel_dir(kernels, "x", _spec(py, tmp_path / "e"))
    outside = tmp_path / "elsewhere" / "x"
    outside.mkdir(parents=True)
    (outside / "kernel.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SafetyRefusal, match="not inside a Jupyter kernels folder"):
        remove_kernel_dir(outside, [kernels])
    plain = kernels / "plain"
    plain.mkdir()
    with pytest.raises(SafetyRefusal, match=r"holds no kernel\.json"):
        remove_kernel_dir(plain, [kernels])
    link = kernels / "link"
    os.symlink(outside, link)
    with pytest.raises(SafetyRefusal, match="symlink"):
        remove_kernel_dir(link, [kernels])
    assert (outside / "kernel.json").exists()
    remove_kernel_dir(target, [kernels])
    assert sorted(p.name for p in kernels.iterdir()) == ["link", "plain"]
