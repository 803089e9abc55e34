"""The native creator (creators/native.py) on real interpreters: the env it writes in-process is the one `uv venv`
writes, byte for byte, and it works: the interpreter runs in it, uv installs into it, doctor calls it healthy,
and its activation scripts work in real shells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import EXPECTED_PYTHONS, pyenv_python
from corral.core.interpreter import InterpreterInfo
from corral.creators.native import NativeCreator
from corral.discovery.prober import CachedProber
from corral.infra.paths import CorralPaths
from corral.infra.uvbin import uv_binary
from support.shellkit import ODD_NAME, require
from support.wheels import Package, build_packages

pytestmark = pytest.mark.integration

SERVED = tuple(v for v in EXPECTED_PYTHONS if v.startswith("3.") and v != "3.6")  # 3.7 ... 3.13
COWSAY = Package(
    "cowsay-lite", "1.0", scripts=(("cowsay-lite", "cowsay_lite:main"),), body="\ndef main():\n    print('moo')\n"
)


def _identify(python: Path) -> InterpreterInfo:
    data = CachedProber(CorralPaths.from_environment().interpreter_cache).probe(python)
    return InterpreterInfo.from_probe(data, path=str(python), source="pyenv")


def _corral_venv(corral: Any, dest: Path, *args: str) -> dict[str, Any]:
    result = corral("venv", "--no-seed", *args, str(dest), cwd=dest.parent)
    assert result.exit_code == 0, result.stderr + result.stdout
    record: dict[str, Any] = json.loads((dest / "corral-env.json").read_text(encoding="utf-8"))
    return record


def _uv_venv(dest: Path, python: str, *args: str) -> None:
    cmd = [uv_binary(), "venv", str(dest), "--python", python, "--no-python-downloads", "--no-project", "--quiet"]
    subprocess.run([*cmd, *args], check=True, env=os.environ.copy())


def _tree(root: Path) -> dict[str, tuple[str, ...]]:
    """Every entry below `root`: kind, link target or bytes (the env's own path replaced by `@`), mode."""
    out: dict[str, tuple[str, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if rel == "corral-env.json":
                continue
            mode = oct(path.lstat().st_mode)
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir", mode)
            else:
                data = path.read_bytes().replace(os.fsencode(root), b"@")
                out[rel] = ("file", data.decode("utf-8", "replace"), mode)
    return out


def _cfg(env: Path) -> dict[str, str]:
    lines = (env / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    return dict(line.split(" = ", 1) for line in lines)


def _run(python: Path, code: str, **kw: Any) -> str:
    done = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, **kw)
    return str(done.stdout).strip()


@pytest.mark.parametrize("version", SERVED)
def test_native_env_is_uv_layout_and_works(corral: Any, tmp_path: Path, version: str) -> None:
    python = pyenv_python(version)
    # given an env `corral venv --no-seed` made for this Python (the auto order tries the native creator first)
    env = tmp_path / "proj" / ".venv"
    env.parent.mkdir()
    record = _corral_venv(corral, env, "--python", str(python))
    # then the native creator made it, without uv
    assert record["creator"] == "native"
    # and the layout is uv's, byte for byte (names, links, modes, pyvenv.cfg and every script)
    twin = tmp_path / "uv" / ".venv"
    twin.parent.mkdir()
    _uv_venv(twin, record["interpreter"])
    assert _tree(env) == _tree(twin)
    assert (
        list(_cfg(env))
        == list(_cfg(twin))
        == [
            "home",
            "implementation",
            "uv",
            "version_info",
            "include-system-site-packages",
        ]
    )
    # and against `python -m venv` of the same interpreter, it differs only where uv's layout does
    venv = tmp_path / "venv" / ".venv"
    subprocess.run([record["interpreter"], "-m", "venv", "--without-pip", str(venv)], check=True)
    ours, theirs = set(_tree(env)), set(_tree(venv))
    assert {n for n in theirs - ours if not n.startswith("include")} <= {"bin/Activate.ps1"}  # (from 3.8)
    uv_extras = {".gitignore", "CACHEDIR.TAG", "bin/activate_this.py", "bin/activate.nu", "bin/activate.ps1"}
    uv_extras |= {"bin/activate.xsh", "bin/activate.bat", "bin/deactivate.bat", "bin/pydoc.bat"}
    assert {n for n in ours - theirs if "_virtualenv" not in n} == uv_extras - theirs  # (venv's .gitignore: 3.13)
    assert {_tree(env)[n][0] for n in ("bin/python", "bin/python3", f"bin/python{version}", "lib64")} == {"link"}
    assert (_cfg(env)["home"], _cfg(env)["include-system-site-packages"]) == (
        _cfg(venv)["home"],
        _cfg(venv)["include-system-site-packages"],
    )
    # and the interpreter runs as an env: its prefix is the env, its base the pyenv install
    prefix, base = _run(env / "bin" / "python", "import sys; print(sys.prefix); print(sys.base_prefix)").splitlines()
    assert Path(prefix) == env
    assert Path(base) == python.parent.parent
    # and uv installs a local wheel into its site-packages (no pip in the env)
    wheel = build_packages(tmp_path / "wheels", (COWSAY,))["cowsay-lite"][0]
    subprocess.run(
        [uv_binary(), "pip", "install", "--python", str(env / "bin" / "python"), "--offline", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    site_packages = env / "lib" / f"python{version}" / "site-packages"
    where = _run(env / "bin" / "python", "import cowsay_lite; print(cowsay_lite.__file__)")
    assert Path(where).parent == site_packages
    assert subprocess.run([str(env / "bin" / "cowsay-lite")], capture_output=True, text=True, check=True).stdout == (
        "moo\n"
    )
    no_pip = subprocess.run([str(env / "bin" / "python"), "-c", "import pip"], capture_output=True, check=False)
    assert no_pip.returncode != 0  # the env is unseeded
    # and doctor calls it healthy (no warning or error)
    result = corral("doctor", "--json", str(env), cwd=env.parent)
    data = json.loads(result.stdout)["data"]
    assert data["ok"] is True
    findings = data["findings"]
    assert [f["code"] for f in findings if f["severity"] != "info"] == []


@pytest.mark.parametrize("version", ["3.9", "3.12"])
def test_system_site_packages_and_prompt(corral: Any, tmp_path: Path, version: str) -> None:
    python = pyenv_python(version)
    env = tmp_path / "e"
    record = _corral_venv(corral, env, "--python", str(python), "--system-site-packages", "--prompt", "my env (ü)")
    assert record["creator"] == "native"
    cfg = _cfg(env)
    assert (cfg["include-system-site-packages"], cfg["prompt"]) == ("true", "my env (ü)")
    base_site = _run(python, "import sysconfig; print(sysconfig.get_path('purelib'))")
    assert base_site in _run(env / "bin" / "python", "import sys; print(sys.path)")
    twin = tmp_path / "uv" / "e"
    twin.parent.mkdir()
    _uv_venv(twin, record["interpreter"], "--system-site-packages", "--prompt", "my env (ü)")
    assert _tree(env) == _tree(twin)
    # the prompt reaches the shell
    bash = require("bash")
    out = subprocess.run(
        [bash, "-c", f'PS1="$ "; source {env}/bin/activate; echo "$PS1|$VIRTUAL_ENV_PROMPT"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "(my env (ü)) $ |my env (ü)\n"


def test_unsupported_interpreters_are_refused_with_a_reason(corral: Any, tmp_path: Path) -> None:
    creator = NativeCreator()
    old = _identify(pyenv_python("3.6"))
    assert creator.cannot_create(old) == "the native creator lays out Python 3.7 and newer, not " + old.version
    assert "3.7 and newer" in (creator.cannot_create(_identify(pyenv_python("2.7"))) or "")
    # an env's own interpreter: uv resolves its base
    env = tmp_path / "e"
    _corral_venv(corral, env, "--python", "3.12")
    inner = _identify(env / "bin" / "python")
    assert "is itself a virtual env" in (creator.cannot_create(inner) or "")
    # what the native creator does not lay out (variants of a real 3.12's identity)
    real = _identify(pyenv_python("3.12"))
    assert "CPython envs only, not PyPy" in (creator.cannot_create(real.replace(implementation="PyPy")) or "")
    assert "free-threaded" in (creator.cannot_create(real.replace(free_threaded=True)) or "")
    assert "standalone" in (creator.cannot_create(real.replace(sources=("uv",))) or "")
    shim = real.replace(realpath=str(tmp_path / "elsewhere" / "python3.12"))
    assert "not the interpreter it ran as" in (creator.cannot_create(shim) or "")
    # a 3.6 env still gets made (by uv), and `--creator native` refuses it with the reason
    assert _corral_venv(corral, tmp_path / "old", "--python", "3.6")["creator"] == "uv"
    refused = corral("venv", "--no-seed", "--creator", "native", "--python", "3.6", str(tmp_path / "old2"))
    assert refused.exit_code != 0
    assert "--creator native cannot serve" in refused.stderr + refused.stdout


@pytest.mark.parametrize("creator", ["uv", "venv"])
def test_the_other_creators_are_still_chosen_by_name(corral: Any, tmp_path: Path, creator: str) -> None:
    record = _corral_venv(corral, tmp_path / "e", "--python", "3.12", "--creator", creator)
    assert record["creator"] == creator
    assert ("uv" in _cfg(tmp_path / "e")) == (creator == "uv")


def test_a_seeded_env_is_made_by_uv(corral: Any, tmp_path: Path) -> None:
    """Seeding pip stays uv's: the native creator hands a seeded request to it, and the record says so."""
    result = corral("venv", "--python", "3.12", "--creator", "native", str(tmp_path / "e"))
    if result.exit_code != 0 and "pip" in result.stderr:
        pytest.skip("no pip in uv's cache and no index here: " + result.stderr[-200:])
    assert result.exit_code == 0, result.stderr
    record = json.loads((tmp_path / "e" / "corral-env.json").read_text(encoding="utf-8"))
    assert record["creator"] == "uv"
    assert _cfg(tmp_path / "e")["seed"] == "true"


# ---- activation scripts in real shells: sourcing sets VIRTUAL_ENV and PATH, `deactivate` restores them ----


@pytest.fixture(scope="module")
def odd_native_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A native env whose path holds a space, non-ASCII letters and a quote."""
    from corral.core.protocols import CreateRequest

    base = tmp_path_factory.mktemp("native-odd") / ODD_NAME
    base.mkdir()
    env = base / "env"
    NativeCreator().create(CreateRequest(dest=env, interpreter=_identify(pyenv_python("3.12")), seed=False))
    return env


@pytest.fixture(scope="module")
def plain_native_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A native env with a plain path, for the shells whose uv activation cannot carry a quote in the path.

    csh has no quoting that survives every name, and uv's activate.nu spells the path in a POSIX-escaped
    single-quoted string, which nushell does not unescape: an env path with a `'` is wrong there, with uv's
    activate.nu as with this one (the same bytes).
    """
    from corral.core.protocols import CreateRequest

    env = tmp_path_factory.mktemp("native-plain") / "env"
    NativeCreator().create(CreateRequest(dest=env, interpreter=_identify(pyenv_python("3.12")), seed=False))
    return env


def _shell_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONHOME"}}
    env.update(PATH=os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"]), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


def _check(out: str, env: Path) -> None:
    lines = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert lines["ON_VE"] == str(env)
    assert lines["ON_PATH"].split(":")[0] == str(env / "bin")
    assert lines["ON_PREFIX"] == str(env)
    assert lines["OFF_VE"] == ""
    assert lines["OFF_PATH"] == "/usr/local/bin:/usr/bin:/bin"


def _posix_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@pytest.mark.shells
@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_activate_in_bash_and_zsh(odd_native_env: Path, shell: str) -> None:
    program = require(shell)
    env = odd_native_env
    script = (
        f"source {_posix_quote(str(env / 'bin' / 'activate'))}\n"
        'echo "ON_VE=$VIRTUAL_ENV"; echo "ON_PATH=$PATH"\n'
        "echo \"ON_PREFIX=$(python -c 'import sys; print(sys.prefix)')\"\n"
        "deactivate\n"
        'echo "OFF_VE=${VIRTUAL_ENV-}"; echo "OFF_PATH=$PATH"\n'
    )
    out = subprocess.run([program, "-c", script], capture_output=True, text=True, check=True, env=_shell_env())
    _check(out.stdout, env)


@pytest.mark.shells
def test_activate_in_fish(odd_native_env: Path, tmp_path: Path) -> None:
    fish = require("fish")
    env = odd_native_env
    quoted = "'" + str(env / "bin" / "activate.fish").replace("\\", "\\\\").replace("'", "\\'") + "'"
    script = (
        f"source {quoted}\n"
        'echo "ON_VE=$VIRTUAL_ENV"; echo "ON_PATH="(string join : $PATH)\n'
        "echo \"ON_PREFIX=\"(python -c 'import sys; print(sys.prefix)')\n"
        "deactivate\n"
        'echo "OFF_VE=$VIRTUAL_ENV"; echo "OFF_PATH="(string join : $PATH)\n'
    )
    environ = _shell_env() | {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True, check=True, env=environ)
    _check(out.stdout, env)


@pytest.mark.shells
@pytest.mark.parametrize("shell", ["csh", "tcsh"])
def test_activate_in_csh(plain_native_env: Path, tmp_path: Path, shell: str) -> None:
    program = require(shell)
    env = plain_native_env
    script = tmp_path / "t.csh"
    script.write_text(
        f"source {env}/bin/activate.csh\n"
        'echo "ON_VE=$VIRTUAL_ENV"\necho "ON_PATH=$PATH"\n'
        "echo \"ON_PREFIX=`python -c 'import sys; print(sys.prefix)'`\"\n"
        "deactivate\n"
        'if ( $?VIRTUAL_ENV ) then\n echo "OFF_VE=$VIRTUAL_ENV"\nelse\n echo "OFF_VE="\nendif\n'
        'echo "OFF_PATH=$PATH"\n',
        encoding="utf-8",
    )
    out = subprocess.run([program, "-f", str(script)], capture_output=True, text=True, check=True, env=_shell_env())
    _check(out.stdout, env)


@pytest.mark.shells
def test_overlay_use_in_nushell(plain_native_env: Path, tmp_path: Path) -> None:
    nu = require("nu")
    env = plain_native_env
    activate = str(env / "bin" / "activate.nu").replace("\\", "\\\\").replace('"', '\\"')
    script = tmp_path / "t.nu"
    script.write_text(
        f'overlay use "{activate}"\n'
        'print $"ON_VE=($env.VIRTUAL_ENV)"\n'
        "print $\"ON_PATH=($env.PATH | str join ':')\"\n"
        "print $\"ON_PREFIX=(python -c 'import sys; print(sys.prefix)')\"\n"
        "deactivate\n"
        "print $\"OFF_VE=($env.VIRTUAL_ENV? | default '')\"\n"
        "print $\"OFF_PATH=($env.PATH | str join ':')\"\n",
        encoding="utf-8",
    )
    environ = _shell_env() | {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run([nu, "--no-config-file", str(script)], capture_output=True, text=True, check=True, env=environ)
    _check(out.stdout, env)


def test_activate_this_py(odd_native_env: Path) -> None:
    """activate_this.py puts the env's site-packages first for a foreign interpreter (as uv's does)."""
    env = odd_native_env
    code = (
        "import runpy, sys, os; runpy.run_path(sys.argv[1]); "
        "print(os.environ['VIRTUAL_ENV']); print(sys.path[0]); print(sys.prefix)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(env / "bin" / "activate_this.py")],
        capture_output=True,
        text=True,
        check=True,
        env=_shell_env(),
    ).stdout.splitlines()
    assert out == [str(env), str(env / "lib" / "python3.12" / "site-packages"), str(env)]
    # (activate.xsh is uv's too, byte for byte; uv 0.13's fails on this machine's xonsh 0.13, which has no
    # `__xonsh__.imp`, with uv's env as with this one, so it is not run here)


def test_uv_settings_that_change_the_layout_go_to_uv(
    corral: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`UV_PREVIEW` may change what `uv venv` writes: uv makes the env then, and the record names it."""
    monkeypatch.setenv("UV_PREVIEW", "1")
    assert _corral_venv(corral, tmp_path / "e", "--python", "3.12")["creator"] == "uv"


def test_prompt_dot_is_the_folder_name_as_uv_has_it(corral: Any, tmp_path: Path) -> None:
    here = tmp_path / "where i am"
    here.mkdir()
    before = os.getcwd()
    os.chdir(here)
    try:
        record = _corral_venv(corral, here / "e", "--python", "3.12", "--prompt", ".")
        _uv_venv(here / "u", record["interpreter"], "--prompt", ".")
    finally:
        os.chdir(before)
    assert record["creator"] == "native"
    assert _cfg(here / "e")["prompt"] == _cfg(here / "u")["prompt"] == "where i am"
    assert _tree(here / "e") == _tree(here / "u")
