"""The cd-hook activates only what corral's own record vouches for: a repository cannot forge "corral made this env".

Each test plays the attack for real: a project whose `.venv` the repository ships (a real venv made elsewhere, with
a `corral-env.json` claiming corral made it here and a planted `bin/ls`), entered the way the hook does it
(`corral hook-eval bash`, or bash running the hook snippet and then `ls`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.reliability import corral_cmd, subprocess_environ

pytestmark = pytest.mark.integration

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n'
OTHER_UID = 65534  # nobody
ACTIVATES = "export VIRTUAL_ENV="

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a folder to another user needs root"
)


def _corral(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        corral_cmd(*args), cwd=cwd, env=subprocess_environ(), capture_output=True, text=True, check=False, timeout=300
    )


def _hook(cwd: Path) -> subprocess.CompletedProcess[str]:
    done = _corral("hook-eval", "bash", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return root


def _corral_venv(project: Path) -> Path:
    done = _corral("venv", "--no-seed", "--python", str(pyenv_python("3.12")), cwd=project)
    assert done.returncode == 0, done.stderr
    return project / ".venv"


def _shipped_env(path: Path, *, location: str) -> Path:
    """What a cloned repository brings: a real venv made elsewhere, a forged record and a planted `ls`."""
    subprocess.run([str(pyenv_python("3.12")), "-m", "venv", "--without-pip", str(path)], check=True)
    record = {
        "corral_version": "0.1.0",
        "creator": "uv",
        "location": location,
        "kind": "project",
        "interpreter": str(pyenv_python("3.12")),
        "project": str(path.parent),
        "options": {},
    }
    (path / "corral-env.json").write_text(json.dumps(record), encoding="utf-8")
    ls = path / "bin" / "ls"
    ls.write_text(f"#!/bin/sh\necho pwned > {path.parent / 'PWNED'}\n", encoding="utf-8")
    ls.chmod(0o755)
    return path


def _chown_tree(path: Path, uid: int) -> None:
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(Path(folder, name), uid, -1, follow_symlinks=False)
    os.chown(path, uid, -1)


@pytest.mark.parametrize("location", [".venv", "{root}/.venv"], ids=["relative", "absolute"])
def test_a_forged_corral_env_json_is_not_activated(tmp_path: Path, location: str) -> None:
    root = _project(tmp_path / "cloned")
    env = _shipped_env(root / ".venv", location=location.format(root=root))
    done = _hook(root)
    assert ACTIVATES not in done.stdout
    assert f"not activating {env}" in done.stderr
    assert "corral has no record of creating it" in done.stderr
    assert f"corral allow {env}" in done.stderr


def test_the_planted_ls_never_runs_when_bash_enters_the_project(tmp_path: Path) -> None:
    """The whole attack: bash with the hook, `cd` into the clone, type `ls`."""
    root = _project(tmp_path / "cloned")
    _shipped_env(root / ".venv", location=".venv")
    hook = _corral("hook", "bash", cwd=tmp_path)
    assert hook.returncode == 0, hook.stderr
    script = f'{hook.stdout}\ncd "{root}"\n_corral_hook\nls >/dev/null\necho "VE=[${{VIRTUAL_ENV-}}]"\n'
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        cwd=tmp_path,
        env=subprocess_environ(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "VE=[]" in done.stdout, done.stdout + done.stderr
    assert not (root / "PWNED").exists(), "the repository's bin/ls ran"


def test_an_env_made_by_corral_is_activated(tmp_path: Path) -> None:
    root = _project(tmp_path / "mine")
    env = _corral_venv(root)
    done = _hook(root)
    assert f"{ACTIVATES}{env}" in done.stdout, done.stderr
    which = _corral("which", cwd=root)
    assert "will activate it (created here by corral)" in which.stdout, which.stdout + which.stderr


def test_an_env_made_by_corral_then_replaced_by_a_shipped_folder_is_not_activated(tmp_path: Path) -> None:
    root = _project(tmp_path / "mine")
    shipped = _shipped_env(tmp_path / "elsewhere" / ".venv", location=str(root / ".venv"))
    time.sleep(0.05)  # the shipped files are older than corral's, as a repository's are
    env = _corral_venv(root)
    assert ACTIVATES in _hook(root).stdout
    shutil.rmtree(env)
    shutil.copytree(shipped, env, symlinks=True)
    done = _hook(root)
    assert ACTIVATES not in done.stdout
    assert "replaced or changed since" in done.stderr, done.stderr
    assert f"corral allow {env}" in done.stderr


def test_allow_then_revoke_and_a_record_in_the_env_adds_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path / "cloned")
    env = _shipped_env(root / ".venv", location=".venv")
    allowed = _corral("allow", cwd=root)
    assert allowed.returncode == 0, allowed.stderr
    assert f"{ACTIVATES}{env}" in _hook(root).stdout
    assert _corral("allow", "--revoke", cwd=root).returncode == 0
    assert ACTIVATES not in _hook(root).stdout
    made = _project(tmp_path / "mine")
    _corral_venv(made)
    assert _corral("allow", "--revoke", cwd=made).returncode == 0  # also forgets that corral made it
    assert ACTIVATES not in _hook(made).stdout


@needs_root
def test_an_env_of_another_user_is_never_activated_even_when_allowed(tmp_path: Path) -> None:
    root = _project(tmp_path / "shared")
    env = _corral_venv(root)
    assert _corral("allow", cwd=root).returncode == 0
    _chown_tree(env, OTHER_UID)
    done = _hook(root)
    assert ACTIVATES not in done.stdout
    assert f"belongs to another user (uid {OTHER_UID}" in done.stderr, done.stderr
    assert "corral allow" not in done.stderr  # allowing would not help: say so by not suggesting it
    refused = _corral("allow", cwd=root)
    assert refused.returncode == 1
    assert f"refusing to allow {env}" in refused.stderr and "another user" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    which = _corral("which", cwd=root)
    assert "will not activate it: its folder belongs to another user" in which.stdout, which.stdout


@needs_root
def test_a_forged_env_owned_by_another_user_is_not_activated(tmp_path: Path) -> None:
    root = _project(tmp_path / "shared")
    env = _shipped_env(root / ".venv", location=str(root / ".venv"))
    _chown_tree(env, OTHER_UID)
    done = _hook(root)
    assert ACTIVATES not in done.stdout
    assert "belongs to another user" in done.stderr


def test_an_env_whose_bin_others_can_write_is_not_activated(tmp_path: Path) -> None:
    root = _project(tmp_path / "mine")
    env = _corral_venv(root)
    (env / "bin").chmod(0o777)
    done = _hook(root)
    assert ACTIVATES not in done.stdout
    assert "its bin/ folder can be written by other users (mode 0777)" in done.stderr, done.stderr
    assert f"chmod go-w {env / 'bin'}" in done.stderr
    refused = _corral("allow", cwd=root)
    assert refused.returncode == 1 and "refusing to allow" in refused.stderr, refused.stderr
    (env / "bin").chmod(0o755)
    assert ACTIVATES in _hook(root).stdout


def test_a_hook_activated_env_replaced_meanwhile_is_deactivated_on_the_next_cd(tmp_path: Path) -> None:
    root = _project(tmp_path / "mine")
    shipped = _shipped_env(tmp_path / "elsewhere" / ".venv", location=str(root / ".venv"))
    time.sleep(0.05)
    env = _corral_venv(root)
    (root / "src").mkdir()
    shutil.rmtree(env)
    shutil.copytree(shipped, env, symlinks=True)
    active = {"VIRTUAL_ENV": str(env), "_CORRAL_HOOK_ENV": str(env), "PATH": f"{env}/bin:{os.environ['PATH']}"}
    done = subprocess.run(
        corral_cmd("hook-eval", "bash"),
        cwd=root / "src",
        env=subprocess_environ(**active),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "unset VIRTUAL_ENV" in done.stdout, done.stdout + done.stderr


# ---------------------------------------------------------------- corral's own rebuilds keep its record current


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> object:
    url = local_index.simple_url  # type: ignore[attr-defined]
    monkeypatch.setenv("UV_INDEX_URL", url)
    monkeypatch.setenv("PIP_INDEX_URL", url)
    return local_index


def _cfg_inode(env: Path) -> int:
    return (env / "pyvenv.cfg").stat().st_ino


def test_recreate_swaps_in_a_new_env_that_stays_trusted(tmp_path: Path, indexed: object) -> None:
    from support.envs import make_project

    root = make_project(tmp_path / "proj", ["alpha==1.0"])
    assert _corral("sync", cwd=root).returncode == 0
    env = root / ".venv"
    assert f"{ACTIVATES}{env}" in _hook(root).stdout
    before = _cfg_inode(env)
    done = _corral("recreate", "--yes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert _cfg_inode(env) != before  # a new folder and pyvenv.cfg at the same path
    assert f"{ACTIVATES}{env}" in _hook(root).stdout


def test_a_patch_upgrade_in_place_keeps_the_env_trusted(
    tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.envs import FakeInstall, make_project, pyenv_build

    debian = Path("/usr/bin/python3.11")
    if not debian.exists() or pyenv_build("3.11.7") is None:
        pytest.skip("needs Debian's python3.11 and pyenv 3.11.7")
    fake = FakeInstall(tmp_path / "opt-python")
    fake.install(debian, Path("/usr/lib/python3.11"))
    fake.on_path(monkeypatch)
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python=str(fake.python))
    assert _corral("sync", cwd=root).returncode == 0
    env = root / ".venv"
    before = _cfg_inode(env)
    target = pyenv_build("3.11.7")[0]  # type: ignore[index]
    done = _corral("upgrade", "--python", str(target), cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in place" in done.stdout
    assert _cfg_inode(env) != before  # pyvenv.cfg was rewritten
    assert f"{ACTIVATES}{env}" in _hook(root).stdout
