"""The quick record's pieces: corral's folders without platformdirs, the record file's checks, the shared rules."""
# ruff: noqa: SLF001 - the record's format and reader are checked through the module's own private names

from __future__ import annotations

import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from corral.cli import quick
from corral.cli.quick import corral_dirs, observe, record_path, remember
from corral.infra.environ import env_environ
from corral.infra.markers import maybe_partial_write
from corral.infra.paths import CorralPaths
from corral.services.sync import stamp

POSIX = pytest.mark.skipif(os.name == "nt", reason="owners, modes and execve are POSIX")


def _platformdirs_answer() -> tuple[str, str, str]:
    paths = CorralPaths.from_environment()
    return str(paths.data), str(paths.cache), str(paths.config)


@pytest.mark.parametrize(
    "setting",
    [
        {},
        {"XDG_CACHE_HOME": "/srv/cache", "XDG_DATA_HOME": "/srv/data", "XDG_CONFIG_HOME": "/srv/config"},
        {"XDG_CACHE_HOME": "relative/cache"},  # not absolute: platformdirs ignores it
        {"HOME": "/home/someone/"},
    ],
)
def test_the_folders_are_platformdirs_answer_on_this_machine(
    setting: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORRAL_HOME")
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    assert corral_dirs(os.environ) == _platformdirs_answer()


def test_corral_home_puts_all_three_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path))
    assert corral_dirs(os.environ) == _platformdirs_answer()
    monkeypatch.setenv("CORRAL_HOME", "~/corral-home")
    assert corral_dirs(os.environ) is None  # Path's expanduser decides: the full path


def test_no_absolute_home_is_left_to_platformdirs() -> None:
    assert corral_dirs({"HOME": ""}, platform="linux") is None
    assert corral_dirs({}, platform="linux") is None


def test_the_windows_branch() -> None:
    local = "C:\\Users\\me\\AppData\\Local"
    assert corral_dirs({"LOCALAPPDATA": local}, platform="win32") == (
        "C:\\Users\\me\\AppData\\Local\\corral",
        "C:\\Users\\me\\AppData\\Local\\corral\\Cache",
        "C:\\Users\\me\\AppData\\Local\\corral",
    )
    # a folder override, no LOCALAPPDATA, a CORRAL_HOME Path would respell: only platformdirs can tell
    assert corral_dirs({"LOCALAPPDATA": local, "WIN_PD_OVERRIDE_LOCAL_APPDATA": "D:\\x"}, platform="win32") is None
    assert corral_dirs({}, platform="win32") is None
    assert corral_dirs({"CORRAL_HOME": "C:/corral"}, platform="win32") is None


def test_the_macos_branch_is_platformdirs_macos_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs.macos import MacOS

    monkeypatch.delenv("CORRAL_HOME")
    monkeypatch.setenv("HOME", "/Users/me")
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    mac = MacOS("corral", appauthor=False)
    expected = (mac.user_data_dir, mac.user_cache_dir, mac.user_config_dir)
    assert corral_dirs(os.environ, platform="darwin") == expected
    assert expected[1] == "/Users/me/Library/Caches/corral"
    monkeypatch.setenv("XDG_CACHE_HOME", "/Volumes/cache")
    assert corral_dirs(os.environ, platform="darwin") == (mac.user_data_dir, mac.user_cache_dir, mac.user_config_dir)


def test_the_shared_rules_stay_the_ones_of_the_full_path() -> None:
    names = [
        ".pyproject.toml.corral-abcd1234.tmp",
        ".pylock.toml.corral-candidate-abcd1234.tmp",
        ".x.corral-.tmp",
        "pyproject.toml",
        ".corral-.tmp",
        "x.corral-1.tmp",
        ".a.tmp",
        ".a.corral-b",
    ]
    assert [quick.maybe_partial_write(n) for n in names] == [maybe_partial_write(n) for n in names]
    assert quick._STAMP_FILE == stamp.STAMP_FILE
    assert (quick.ENV_PREFIXES, quick.ENV_NAMES, quick.ENV_IGNORED) == (
        stamp._ENV_PREFIXES,
        stamp._ENV_NAMES,
        stamp._ENV_IGNORED,
    )


@pytest.mark.parametrize(
    "base",
    [
        {"PATH": "/usr/bin:/bin", "PYTHONHOME": "/x", "CONDA_PREFIX": "/c", "__PYVENV_LAUNCHER__": "l", "A": "b"},
        {"PATH": "/e/.venv/bin:/usr/bin::/e/.venv/bin:/bin:"},
        {},
        {"PATH": ""},
    ],
)
@POSIX
def test_the_environment_of_a_quick_run_is_env_environ(base: dict[str, str]) -> None:
    assert quick.in_env_environ("/e/.venv", base) == env_environ(Path("/e/.venv"), base)


@POSIX
def test_which_is_shutil_which(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    (first / "tool").write_text("#!/bin/sh\n", encoding="utf-8")  # not executable: skipped
    (second / "tool").write_text("#!/bin/sh\n", encoding="utf-8")
    (second / "tool").chmod(0o755)
    (first / "dir").mkdir(mode=0o755)  # a folder is never the program
    (second / "dir").write_text("#!/bin/sh\n", encoding="utf-8")
    (second / "dir").chmod(0o755)
    path = os.pathsep.join([str(first), str(first), "relative", str(second)])
    for cmd in ("tool", "dir", "missing"):
        assert quick.which(cmd, path) == shutil.which(cmd, path=path)


def test_the_record_file_name_is_a_hash_of_the_path() -> None:
    one = record_path("/c", "/home/me/proj")
    assert one == record_path("/c", "/home/me/proj")
    assert one != record_path("/c", "/home/me/proj2")
    assert os.path.dirname(one) == os.path.join("/c", quick.RECORDS_FOLDER)


def _recorded(tmp_path: Path) -> tuple[Path, str]:
    """A hand-written record file in the shape `remember` writes, and its path."""
    cache = tmp_path / "cache"
    path = Path(record_path(str(cache), "/p"))
    path.parent.mkdir(parents=True)
    path.write_text(
        f"{quick._HEADER}\nproject /p\nenv /p/.venv\nselection default\nruntime x\n{quick._END}",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path, str(path)


@POSIX
def test_a_record_is_read_only_when_it_is_the_users_own_regular_file(tmp_path: Path) -> None:
    path, name = _recorded(tmp_path)
    assert quick.read_record(name) == ["project /p", "env /p/.venv", "selection default", "runtime x"]

    path.chmod(0o620)  # others may write it
    assert quick.read_record(name) is None
    path.chmod(0o600)

    link = tmp_path / "link.txt"
    link.symlink_to(path)
    assert quick.read_record(str(link)) is None

    if os.geteuid() == 0:  # only root can give a file away
        os.chown(path, 12345, -1)
        assert quick.read_record(name) is None
        os.chown(path, 0, -1)

    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    assert quick.read_record(str(fifo)) is None  # never waits for a writer


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:-3],  # cut short: no end mark
        lambda text: text.replace("corral-quick-record 1", "corral-quick-record 0"),
        lambda text: text.replace(quick._HEADER, quick._HEADER + ".dev"),  # another version
        lambda _: "",
        lambda text: text.replace("\n", "\r\n"),
    ],
)
def test_a_damaged_record_is_none(tmp_path: Path, damage: object) -> None:
    path, name = _recorded(tmp_path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    assert quick.read_record(name) is None


def test_a_record_that_is_not_utf8_is_none(tmp_path: Path) -> None:
    path, name = _recorded(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"/p\n", b"/\xff\n", 1))
    assert quick.read_record(name) is None


def _project(tmp_path: Path) -> tuple[str, str]:
    root = tmp_path / "proj"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /x\n", encoding="utf-8")
    return str(root), str(root / ".venv")


def test_nothing_is_recorded_while_an_input_is_fresh(tmp_path: Path) -> None:
    project, env = _project(tmp_path)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    before, newest = observe(project, env, dirs, {})
    assert newest > 0
    assert not remember(project, env, dirs, {}, before=before, observed_ns=time.time_ns(), default_selection=True)
    assert not os.path.exists(record_path(dirs[1], project))


def test_nothing_is_recorded_when_an_input_changed_during_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, env = _project(tmp_path)
    environ = {"CORRAL_HOME": str(tmp_path)}
    dirs = corral_dirs(environ)
    assert dirs is not None
    monkeypatch.setattr(quick, "_now_ns", lambda: 1 << 62)  # as if every input had settled long ago
    before, _ = observe(project, env, dirs, environ)
    Path(project, "pylock.toml").write_text("", encoding="utf-8")
    assert not remember(project, env, dirs, environ, before=before, observed_ns=1 << 62, default_selection=True)
    assert quick.lookup(project, environ) is None
    before, _ = observe(project, env, dirs, environ)
    assert remember(project, env, dirs, environ, before=before, observed_ns=1 << 62, default_selection=False)
    written = Path(record_path(dirs[1], project))
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary left behind
    assert quick.lookup(project, environ) == (env, False)
    assert quick.lookup(os.path.join(project, "sub", "dir"), environ) == (env, False)  # found upwards
    assert quick.lookup(project, {**environ, "UV_INDEX_URL": "http://elsewhere"}) is None
    Path(project, ".pylock.toml.corral-abcd1234.tmp").write_text("", encoding="utf-8")
    assert quick.lookup(project, environ) is None  # a killed writer's temporary


def test_a_newline_in_a_path_is_never_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, _ = _project(tmp_path)
    odd = Path(project).with_name("pro\nj")
    Path(project).rename(odd)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    monkeypatch.setattr(quick, "_now_ns", lambda: 1 << 62)
    before, _ = observe(str(odd), str(odd / ".venv"), dirs, {})
    assert not remember(
        str(odd), str(odd / ".venv"), dirs, {}, before=before, observed_ns=1 << 62, default_selection=True
    )


def test_the_quick_modules_import_only_the_stdlib_they_need() -> None:
    import subprocess

    code = (
        "import sys; before = set(sys.modules); import corral.cli.quick; "
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('corral')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() in ("[]", "['__future__']"), done.stdout


@POSIX
def test_every_site_packages_folder_the_stamp_checks_is_observed(tmp_path: Path) -> None:
    from corral.core.env import Env

    project, env = _project(tmp_path)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    (Path(env) / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    before, _ = observe(project, env, dirs, {})
    (Path(env) / "lib" / ".hidden" / "site-packages").mkdir(parents=True)  # pathlib's glob sees hidden folders
    after, _ = observe(project, env, dirs, {})
    assert before != after
    observed = {line.rsplit(" ", 1)[1] for line in after if line.startswith("site ") and " - " not in line}
    assert observed == {str(p) for p in Env.at(env).site_packages()}


def test_the_settle_margin_follows_the_file_systems_clock() -> None:
    """Nanosecond stamps settle in 50 ms (the clock ticks every 1-10 ms); rounded ones (FAT, ext3) in 2 s."""
    fine = 1_796_127_125_061_693_934
    assert quick.settle_margin(fine) == (50_000_000 if os.name == "posix" else 2_000_000_000)
    assert quick.settle_margin(1_796_127_125_000_000_000) == 2_000_000_000  # whole seconds
    assert quick.settle_margin(1_796_127_125_061_000_000) == 2_000_000_000  # whole milliseconds


def test_a_record_is_written_once_the_inputs_are_a_few_ticks_old(tmp_path: Path) -> None:
    project, env = _project(tmp_path)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    before, settled = observe(project, env, dirs, {})
    ctimes = [os.stat(p).st_ctime_ns for p in (project, env, os.path.join(project, "pyproject.toml"))]
    if any(c % 1_000_000 == 0 for c in ctimes):
        pytest.skip("this file system rounds its stamps: the 2 s margin applies (tested above)")
    assert settled <= time.time_ns() + 50_000_000  # not the 2 s margin
    time.sleep(max(0, settled - time.time_ns()) / 1e9 + 0.01)
    started = time.time_ns()
    before, _ = observe(project, env, dirs, {})
    assert remember(project, env, dirs, {}, before=before, observed_ns=started, default_selection=True)
    assert os.path.exists(record_path(dirs[1], project))


def test_an_input_unsettled_when_observed_gives_no_record_however_long_the_check(tmp_path: Path) -> None:
    """The check reads the files after `before` is observed: a same-size rewrite in the clock tick of an input's
    last change keeps its stat, so what settles is judged when `before` was taken, not when the check ends (a check
    slower than the 50 ms margin, on a loaded machine, recorded what it may never have read)."""
    project, env = _project(tmp_path)
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    started = time.time_ns()
    before, settled = observe(project, env, dirs, {})
    assert settled > started  # just written: not settled when observed
    time.sleep(max(0, settled - time.time_ns()) / 1e9 + 0.05)  # the check took longer than the margin
    assert not remember(project, env, dirs, {}, before=before, observed_ns=started, default_selection=True)
    assert not os.path.exists(record_path(dirs[1], project))
