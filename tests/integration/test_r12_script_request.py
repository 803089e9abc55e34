"""A PEP 723 script's env is made for the Python the user asks for, and its key says so (round 12).

Before: the key held `--python` only, so `CORRAL_PYTHON=3.11 corral run s.py` ran the env a plain run had built
(or the other way round), a `.python-version` or `[tool.corral] python` was ignored once an env was ready, the
script's requires-python beat `CORRAL_PYTHON`, a request requires-python does not admit ran all the same, and an
index named in the user config reused the env built from the old one. Each test runs the real CLI with real
interpreters and a script without dependencies (nothing to download), and checks which Python ran, which env
it ran in, and whether the quick path (`cli.script_quick`) or the full one answered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_quick_path import corral, messages, was_quick

from conftest import pyenv_python
from corral.infra.paths import CorralPaths

pytestmark = pytest.mark.integration

_SHOW = "import json, sys\nprint(json.dumps([sys.prefix, list(sys.version_info[:2])]))\n"
_ADMITS_311 = '# /// script\n# requires-python = ">=3.10"\n# dependencies = []\n# ///\n'
_NO_REQUIRES = "# /// script\n# dependencies = []\n# ///\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    monkeypatch.delenv("CORRAL_PYTHON", raising=False)
    for version in ("3.10", "3.11", "3.12"):
        pyenv_python(version)
    work = tmp_path / "work"
    work.mkdir()
    return work


def ran(folder: Path, *args: str, quick: bool | None = None, **env: str) -> tuple[str, list[int]]:
    """(the env's prefix, the Python's [major, minor]) of `corral run ARGS` in `folder`."""
    done = corral(folder, "run", *args, **env)
    assert done.returncode == 0, done.stderr[-3000:]
    if quick is not None:
        assert was_quick(done) is quick, messages(done)
    prefix, version = json.loads(done.stdout)
    return prefix, version


def test_corral_python_chooses_the_script_env_and_its_key(folder: Path) -> None:
    (folder / "s.py").write_text(_ADMITS_311 + _SHOW, encoding="utf-8")
    asked, version = ran(folder, "s.py", CORRAL_PYTHON="3.11")
    assert version == [3, 11], "the setting ranks above the block's requires-python, which admits it"
    plain, newest = ran(folder, "s.py")
    assert plain != asked, "a run without the setting does not reuse the 3.11 env"
    assert newest != [3, 11]
    assert ran(folder, "s.py", quick=True, CORRAL_PYTHON="3.11") == (asked, [3, 11])
    assert ran(folder, "s.py", quick=True) == (plain, newest)
    assert ran(folder, "--python", "3.12", "s.py", CORRAL_PYTHON="3.11")[1] == [3, 12], "--python ranks first"


def test_a_request_the_block_does_not_admit_is_refused_and_builds_nothing(folder: Path) -> None:
    (folder / "s.py").write_text(_ADMITS_311.replace(">=3.10", ">=3.11") + _SHOW, encoding="utf-8")
    envs = CorralPaths.from_environment().cache / "envs"
    before = sorted(envs.glob("script-*[!k]")) if envs.is_dir() else []
    for args, env, source in (
        (("--python", "3.10", "s.py"), {}, "--python asks for '3.10'"),
        (("s.py",), {"CORRAL_PYTHON": "3.10"}, "env CORRAL_PYTHON asks for '3.10'"),
    ):
        done = corral(folder, "run", *args, **env)
        assert done.returncode == 2, done.stderr[-2000:]
        said = messages(done)
        assert len(said) == 1, said
        assert source in said[0]
        assert "which is Python 3.10." in said[0]
        assert "requires-python '>=3.11' does not admit it" in said[0]
    after = sorted(p for p in envs.glob("script-*") if p.suffix != ".lock") if envs.is_dir() else []
    assert after == [p for p in before if p.suffix != ".lock"], "no env was built"
    (folder / ".python-version").write_text("3.10\n", encoding="utf-8")  # a file, written for something else
    assert ran(folder, "s.py")[1] != [3, 10], "passed over for the newest Python requires-python admits"
    assert ran(folder, "s.py", quick=True)[1] != [3, 10], "the quick path finds the env the full one built"


def test_a_python_version_file_or_the_projects_setting_chooses_and_the_full_path_reads_them(folder: Path) -> None:
    (folder / "s.py").write_text(_NO_REQUIRES + _SHOW, encoding="utf-8")
    plain, newest = ran(folder, "s.py")
    assert newest != [3, 10]
    (folder / ".python-version").write_text("3.10\n", encoding="utf-8")
    pinned, version = ran(folder, "s.py")
    assert version == [3, 10]
    assert pinned != plain
    assert ran(folder, "s.py", quick=True) == (pinned, [3, 10]), "a .python-version: the quick path reads it too"
    (folder / ".python-version").write_text("3.11\n", encoding="utf-8")
    assert ran(folder, "s.py", quick=False)[1] == [3, 11], "another pin: another key, no env yet"
    (folder / ".python-version").write_text("3.10\n", encoding="utf-8")
    assert ran(folder, "s.py", quick=True) == (pinned, [3, 10])
    (folder / ".python-version").unlink()
    assert ran(folder, "s.py", quick=True) == (plain, newest)
    project = folder / "proj"
    project.mkdir()
    (project / "s.py").write_text(_NO_REQUIRES + _SHOW, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n\n[tool.corral]\npython = "3.11"\n', encoding="utf-8"
    )
    assert ran(project, "s.py")[1] == [3, 11]
    assert ran(project, "s.py", quick=False)[1] == [3, 11]
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n', encoding="utf-8")
    assert ran(project, "s.py", quick=True) == (plain, newest), "a project without settings: the same env, quick"


def test_the_user_configs_index_and_python_are_part_of_the_key(folder: Path) -> None:
    (folder / "s.py").write_text(_NO_REQUIRES + _SHOW, encoding="utf-8")
    plain, newest = ran(folder, "s.py")
    config = CorralPaths.from_environment().user_config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('python = "3.11"\n', encoding="utf-8")
    assert ran(folder, "s.py")[1] == [3, 11]
    assert ran(folder, "s.py", quick=False)[1] == [3, 11], "a config that may name a Python: the full path"
    config.write_text('index-url = "http://127.0.0.1:9/simple"\n', encoding="utf-8")
    other, version = ran(folder, "s.py")
    assert version == newest
    assert other != plain, "another index: another env (its packages would come from there)"
    config.write_text("seed = false\n", encoding="utf-8")
    assert ran(folder, "s.py", quick=True) == (plain, newest), "a config naming neither: quick, the same env"


def test_corral_python_keys_a_tool_env_too(folder: Path, local_index: object) -> None:
    index = {"UV_INDEX_URL": local_index.simple_url, "UV_OFFLINE": "0"}  # type: ignore[attr-defined]
    envs = CorralPaths.from_environment().cache / "envs"
    for version in ("3.11", "3.12", "3.11"):
        done = corral(folder, "x", "cowsay-lite", "hi", CORRAL_PYTHON=version, **index)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "moo hi"
    tools = sorted(p for p in envs.glob("tool-*") if p.is_dir())
    assert len(tools) == 2, "one env per Python asked for, each reused"
    found = {(p / "pyvenv.cfg").read_text(encoding="utf-8").split("version_info = ")[1][:4] for p in tools}
    assert found == {"3.11", "3.12"}


def test_a_plain_run_after_run_frozen_locks_again_and_never_runs_the_frozen_env(
    folder: Path, local_index: object
) -> None:
    index = {"UV_INDEX_URL": local_index.simple_url, "UV_OFFLINE": "0"}  # type: ignore[attr-defined]
    show = "try:\n    import alpha\n    print('alpha', alpha.__version__)\nexcept ImportError:\n    print('none')\n"
    path = folder / "s.py"
    path.write_text(_ADMITS_311 + show, encoding="utf-8")
    locked = corral(folder, "lock", "--script", "s.py", **index)
    assert locked.returncode == 0, locked.stderr[-2000:]
    lock = (folder / "pylock.s.toml").read_bytes()
    path.write_text(_ADMITS_311.replace("[]", '["alpha==1.0"]') + show, encoding="utf-8")
    frozen = corral(folder, "run", "--frozen", "s.py", **index)
    assert frozen.returncode == 0, frozen.stderr[-2000:]
    assert frozen.stdout.strip() == "none", "--frozen takes the stale lock as it is"
    assert (folder / "pylock.s.toml").read_bytes() == lock
    for _ in range(2):  # the first locks again; the second finds the env of the new lock (quick)
        plain = corral(folder, "run", "s.py", **index)
        assert plain.returncode == 0, plain.stderr[-2000:]
        assert plain.stdout.strip() == "alpha 1.0", messages(plain)
    assert was_quick(plain)
    assert (folder / "pylock.s.toml").read_bytes() != lock
    again = corral(folder, "run", "--frozen", "s.py", **index)
    assert again.stdout.strip() == "alpha 1.0", "the lock is fresh now: --frozen runs what it pins"


def test_a_relative_python_or_index_path_names_the_one_in_the_folder_it_is_run_from(folder: Path) -> None:
    (folder / "s.py").write_text(_NO_REQUIRES + _SHOW, encoding="utf-8")
    for name, version in (("x", "3.10"), ("y", "3.12")):
        (folder / name).mkdir()
        (folder / name / "py").symlink_to(pyenv_python(version))
    assert ran(folder / "x", "--python", "./py", "../s.py")[1] == [3, 10]
    assert ran(folder / "y", "--python", "./py", "../s.py")[1] == [3, 12], "another ./py: another env"
    assert ran(folder / "x", "../s.py", quick=False, CORRAL_PYTHON="./py")[1] == [3, 10]
    assert ran(folder / "y", "../s.py", quick=False, CORRAL_PYTHON="./py")[1] == [3, 12]
    in_x = ran(folder / "x", "../s.py", quick=False, UV_FIND_LINKS="wheels")[0]
    in_y = ran(folder / "y", "../s.py", quick=False, UV_FIND_LINKS="wheels")[0]
    assert in_x != in_y, "x/wheels and y/wheels are two places packages may come from"


def test_find_links_and_uvs_own_config_files_are_part_of_the_key(folder: Path, tmp_path: Path) -> None:
    (folder / "s.py").write_text(_NO_REQUIRES + _SHOW, encoding="utf-8")
    plain = ran(folder, "s.py")[0]
    linked = ran(folder, "s.py", UV_FIND_LINKS=str(tmp_path / "wheels"))[0]
    assert linked != plain
    assert ran(folder, "s.py", quick=True, UV_FIND_LINKS=str(tmp_path / "wheels"))[0] == linked
    xdg = tmp_path / "xdg"
    (xdg / "uv").mkdir(parents=True)
    (xdg / "uv" / "uv.toml").write_text('index-url = "http://127.0.0.1:9/simple"\n', encoding="utf-8")
    configured = ran(folder, "s.py", XDG_CONFIG_HOME=str(xdg))[0]
    assert configured not in (plain, linked), "uv reads its user config for the install: another env"
    assert ran(folder, "s.py", quick=True, XDG_CONFIG_HOME=str(xdg))[0] == configured
    assert ran(folder, "s.py", quick=True)[0] == plain


def test_a_with_layer_follows_the_projects_env_to_another_python_and_refuses_a_mismatched_one(
    folder: Path, local_index: object
) -> None:
    index = {"UV_INDEX_URL": local_index.simple_url, "UV_OFFLINE": "0"}  # type: ignore[attr-defined]
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n\n[tool.corral]\npython = "3.11"\n',
        encoding="utf-8",
    )
    code = "import sys, alpha, beta; print(list(sys.version_info[:2]))"
    for version in ("3.11", "3.12"):
        done = corral(folder, "run", "--with", "beta", "python", "-c", code, **index)
        assert done.returncode == 0, messages(done)
        assert done.stdout.strip() == f"[3, {version[2:]}]", "the layer sees the project's packages on its Python"
        pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('"3.11"', '"3.12"'), encoding="utf-8")
    mixed = corral(folder, "run", "--python", "3.10", "--with", "beta", "python", "-c", code, **index)
    assert mixed.returncode == 2
    assert "--python 3.10 is Python 3.10." in mixed.stderr
    assert "is Python 3.12: a --with layer runs on the env's own Python" in mixed.stderr
