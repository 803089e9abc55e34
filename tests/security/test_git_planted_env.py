"""Files that `git checkout` puts inside the project's env are never run: sync and run rebuild the env instead.

`.venv/.gitignore` is `*`, yet git writes a file a branch force-added (`git add -f .venv/bin/pip`). Before the
fix, after `git checkout evil` the stamp's no-op check (pyvenv.cfg's identity and site-packages only) said
"nothing to do" and `corral run pip` ran the branch's program. Now the stamp records `bin/`, so the command takes
the full path, which asks git whether it tracks files inside the env (`services.trust.why_untrusted`), rebuilds
the env from the lock as it rebuilds a shipped one and says why (and `git rm -r --cached .venv`). The git check
never runs on the no-op path, and the repository's `.git/config` runs nothing (`infra.git`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.fixtures import isolated_environ

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[tool.corral]
seed = false
"""


def _run(argv: list[str], cwd: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, check=False, timeout=300)


def _corral(root: Path, environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "corral", *args], root, environ)


def _git(root: Path, environ: dict[str, str], *args: str) -> None:
    done = _run(["git", *args], root, environ)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A synced project in a git repository whose branch `evil` force-added `.venv/bin/hello`; on `main`."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    environ = isolated_environ()
    environ = {k: v for k, v in environ.items() if not k.startswith(("CORRAL_", "GIT_", "VIRTUAL_ENV"))}
    environ |= {
        "CORRAL_HOME": str(tmp_path / "corral-home"),
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    _git(root, environ, "init", "-q", "-b", "main")
    done = _corral(root, environ, "sync")
    assert done.returncode == 0, done.stderr
    _git(root, environ, "add", "pyproject.toml", ".python-version", "pylock.toml")
    _git(root, environ, "commit", "-q", "-m", "init")
    _git(root, environ, "checkout", "-q", "-b", "evil")
    planted = root / ".venv" / "bin" / "hello"
    planted.write_text(f"#!/bin/sh\necho PWNED\ntouch {tmp_path / 'PWNED'}\n", encoding="utf-8")
    planted.chmod(0o755)
    _git(root, environ, "add", "-f", ".venv/bin/hello")
    _git(root, environ, "commit", "-q", "-m", "evil")
    _git(root, environ, "checkout", "-q", "main")  # removes bin/hello: main does not track it
    assert not planted.exists()
    done = _corral(root, environ, "sync")  # bin/ changed: the full path, which stamps the env again
    assert done.returncode == 0, done.stderr
    assert _corral(root, environ, "sync").stderr.startswith("nothing to do")
    return root, environ


def _checkout_evil(root: Path, environ: dict[str, str]) -> None:
    _git(root, environ, "checkout", "-q", "evil")
    assert (root / ".venv" / "bin" / "hello").is_file()


def _assert_rebuilt(root: Path, done: subprocess.CompletedProcess[str]) -> None:
    out = done.stdout + done.stderr
    assert "PWNED" not in out
    assert not (root.parent / "PWNED").exists()
    assert "git tracks .venv/bin/hello inside it" in done.stderr
    assert "git rm -r --cached .venv" in done.stderr
    assert not (root / ".venv" / "bin" / "hello").exists()  # the env was rebuilt from the lock


def test_run_rebuilds_an_env_git_planted_a_program_in(repo: tuple[Path, dict[str, str]]) -> None:
    root, environ = repo
    _checkout_evil(root, environ)
    done = _corral(root, environ, "run", "hello")
    _assert_rebuilt(root, done)
    assert done.returncode != 0  # no `hello` in the rebuilt env


def test_sync_rebuilds_it_rather_than_saying_nothing_to_do(repo: tuple[Path, dict[str, str]]) -> None:
    root, environ = repo
    _checkout_evil(root, environ)
    done = _corral(root, environ, "sync")
    assert done.returncode == 0, done.stderr
    assert not done.stderr.startswith("nothing to do")
    _assert_rebuilt(root, done)
    assert _corral(root, environ, "sync").stderr.startswith("nothing to do")  # corral's own env from then on
    # the same branch checked out again plants the file again: rebuilt again
    _git(root, environ, "checkout", "-q", "-f", "main")
    _checkout_evil(root, environ)
    _assert_rebuilt(root, _corral(root, environ, "run", "hello"))


def test_the_git_check_runs_nothing_from_git_config_and_never_on_the_no_op_path(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, environ = repo
    marker = tmp_path / "FSMONITOR-RAN"
    _git(root, environ, "config", "core.fsmonitor", f"touch {marker}; false")
    log = tmp_path / "git-calls"
    shim = tmp_path / "shim"
    shim.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    (shim / "git").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real_git} "$@"\n', encoding="utf-8")
    (shim / "git").chmod(0o755)
    watched = environ | {"PATH": f"{shim}{os.pathsep}{environ['PATH']}"}
    for _ in range(2):  # the full no-op path, then the quick one
        assert _corral(root, watched, "sync").stderr.startswith("nothing to do")
    assert not log.exists()  # nothing changed: git is not asked
    _git(root, environ, "-c", "core.fsmonitor=false", "checkout", "-q", "evil")
    _assert_rebuilt(root, _corral(root, watched, "sync"))
    calls = log.read_text(encoding="utf-8") if log.exists() else ""
    assert "ls-files" not in calls  # a plain index: read in-process (infra.git_index.tracked_under), no git started
    # an index corral does not read itself (version 4): git is asked, its program-running settings switched off
    _git(root, environ, "-c", "core.fsmonitor=false", "checkout", "-q", "-f", "main")
    _git(root, environ, "-c", "core.fsmonitor=false", "update-index", "--index-version", "4")
    _git(root, environ, "-c", "core.fsmonitor=false", "checkout", "-q", "evil")
    assert (root / ".venv" / "bin" / "hello").is_file()
    _assert_rebuilt(root, _corral(root, watched, "sync"))
    assert "ls-files" in log.read_text(encoding="utf-8")
    assert not marker.exists()


def test_the_stamp_sees_a_program_put_in_bin(repo: tuple[Path, dict[str, str]]) -> None:
    """Without git too: a new or replaced file in bin/ is no no-op (the full path looks at the env)."""
    from corral.services.sync.stamp import is_noop

    root, environ = repo
    env = root / ".venv"

    def noop() -> bool:
        return is_noop(
            env=env,
            lock_path=root / "pylock.toml",
            pyproject=root / "pyproject.toml",
            selection_key=None,
            frozen=False,
            environ=environ,
        )

    assert noop()
    extra = env / "bin" / "extra"
    extra.write_text("#!/bin/sh\n", encoding="utf-8")
    assert not noop()
    extra.unlink()
    done = _corral(root, environ, "sync")  # the full path stamps the env as it is now
    assert done.returncode == 0, done.stderr
    assert noop()
    activate = env / "bin" / "activate"
    replaced = activate.with_name("activate.new")
    replaced.write_bytes(activate.read_bytes())
    os.replace(replaced, activate)  # same name, same bytes, another file (what git does)
    assert not noop()


def test_a_pth_file_git_replaced_is_not_run(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """A `.pth` in site-packages runs at every start of the env's python: git replacing one is seen too.

    git overwrites an ignored file (the env's `.gitignore` is `*`) with the branch's: the same names in
    site-packages, another file.
    """
    root, environ = repo
    site = root / ".venv" / "lib" / "python3.12" / "site-packages"
    pth = site / "zz_local.pth"
    pth.write_text("\n", encoding="utf-8")  # one the env already had (a package's, a user's)
    marker = tmp_path / "PTH-RAN"
    _git(root, environ, "checkout", "-q", "-b", "evil-pth")
    pth.write_text(f"import os; open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    _git(root, environ, "add", "-f", str(pth.relative_to(root)))
    _git(root, environ, "commit", "-q", "-m", "evil pth")
    _git(root, environ, "checkout", "-q", "main")  # removes it (and the folders it leaves empty)
    site.mkdir(parents=True, exist_ok=True)
    pth.write_text("\n", encoding="utf-8")
    assert _corral(root, environ, "sync").returncode == 0
    assert _corral(root, environ, "sync").stderr.startswith("nothing to do")
    _git(root, environ, "checkout", "-q", "evil-pth")
    assert "PTH-RAN" in pth.read_text(encoding="utf-8")
    done = _corral(root, environ, "run", "python", "-c", "print('ok')")
    assert not marker.exists()
    assert done.returncode == 0, done.stderr
    assert "git tracks .venv/lib/python3.12/site-packages/zz_local.pth inside it" in done.stderr


def test_a_file_git_puts_deep_in_a_package_folder_is_seen(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """site-packages' own mtime does not change when a file appears inside an existing package folder: the git
    index (rewritten by every checkout) in the stamp and the quick record sends the command the full way."""
    root, environ = repo
    package = root / ".venv" / "lib" / "python3.12" / "site-packages" / "plantedpkg"
    package.mkdir()
    (package / "keep.txt").write_text("untracked: keeps the folder when git removes its file\n", encoding="utf-8")
    _git(root, environ, "checkout", "-q", "-b", "deep")
    (package / "__init__.py").write_text(f"open({str(tmp_path / 'PWNED')!r}, 'w').close()\n", encoding="utf-8")
    _git(root, environ, "add", "-f", ".venv/lib/python3.12/site-packages/plantedpkg/__init__.py")
    _git(root, environ, "commit", "-q", "-m", "deep")
    _git(root, environ, "checkout", "-q", "main")
    assert package.is_dir()
    assert not (package / "__init__.py").exists()
    assert _corral(root, environ, "sync").returncode == 0  # the new folder: the full way, stamped again
    assert _corral(root, environ, "sync").stderr.startswith("nothing to do")
    _git(root, environ, "checkout", "-q", "deep")
    assert (package / "__init__.py").is_file()
    done = _corral(root, environ, "run", "python", "-c", "import plantedpkg")
    assert not (tmp_path / "PWNED").exists(), done.stderr
    assert "git rm -r --cached .venv" in done.stderr


def test_git_is_asked_about_the_folder_a_linked_env_really_is(
    repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`.venv` a link to `envs/real`: git does not follow links, so the folder it points to is asked about too."""
    from corral.services.trust import tracked_in_env

    root, environ = repo
    real = root / "envs" / "real"
    real.mkdir(parents=True)
    (real / "tracked.py").write_text("x = 1\n", encoding="utf-8")
    _git(root, environ, "add", "-f", "envs/real/tracked.py")
    _git(root, environ, "commit", "-q", "-m", "tracked")
    link = root / "linked-env"
    link.symlink_to(real)
    assert tracked_in_env(link) == "real/tracked.py"
    assert tracked_in_env(root / ".venv") is None


def test_git_environ_drops_what_points_git_at_another_repository() -> None:
    from corral.infra.git import git_environ

    env = git_environ(
        {"GIT_DIR": "/elsewhere/.git", "GIT_WORK_TREE": "/elsewhere", "GIT_INDEX_FILE": "x", "HOME": "/h"}
    )
    assert "GIT_DIR" not in env
    assert "GIT_WORK_TREE" not in env
    assert "GIT_INDEX_FILE" not in env
    assert env["HOME"] == "/h"
    assert env["GIT_OPTIONAL_LOCKS"] == "0"
