"""Doctor skips `git check-ignore` only when the env's own `.gitignore` proves git ignores the env's files.

`corral.doctor.project.ignores_everything` says yes for a regular `.gitignore` of only blank lines, comments and `*`.
Each case here asks real git the same question (`git check-ignore --no-index`) in a repository whose other ignore
sources try to un-ignore the env (a negation in the root `.gitignore`, in `.git/info/exclude`, in the user's
`core.excludesFile`): whenever the proof says yes, git must say "ignored".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corral.doctor.project import ignores_everything

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def git_ignores(repo: Path, path: str, environ: dict[str, str]) -> bool:
    done = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", "--", path], cwd=repo, env=environ, check=False, timeout=60
    )
    assert done.returncode in (0, 1), done
    return done.returncode == 0


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose every other ignore source tries to un-ignore `.venv/pyvenv.cfg`."""
    root = tmp_path / "repo"
    (root / ".venv").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    environ |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=root, env=environ, check=True)
    excludes = home / "excludes"
    excludes.write_text("!pyvenv.cfg\n!.venv/\n", encoding="utf-8")
    subprocess.run(["git", "config", "core.excludesFile", str(excludes)], cwd=root, env=environ, check=True)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("!*.cfg\n", encoding="utf-8")
    (root / ".gitignore").write_text("!.venv/pyvenv.cfg\n!/.venv/\n!pyvenv.cfg\n", encoding="utf-8")
    return root, environ


@pytest.mark.parametrize(
    ("content", "proved"),
    [
        (b"*", True),  # uv's and the native creator's
        (b"*\n", True),
        (b"# created by corral: this environment is rebuilt from pyproject.toml\n*\n", True),
        (b"\n*\n\n# a comment\n", True),
        (b"*\n!pyvenv.cfg\n", False),  # a negation in the env's own file un-ignores it
        (b"*\r\n", False),  # a CR: left to git
        (b"\xef\xbb\xbf*\n", False),  # a BOM: left to git
        (b"*.cfg\n", False),  # another pattern: left to git
        (b" *\n", False),
        (b"", False),
    ],
)
def test_the_proof_holds_only_when_git_agrees(repo: tuple[Path, dict[str, str]], content: bytes, proved: bool) -> None:
    root, environ = repo
    (root / ".venv" / ".gitignore").write_bytes(content)
    assert ignores_everything(root / ".venv") is proved
    if proved:
        assert git_ignores(root, ".venv/pyvenv.cfg", environ), "git must agree with every proof"


def test_without_the_envs_gitignore_the_others_decide(repo: tuple[Path, dict[str, str]]) -> None:
    root, environ = repo
    assert not ignores_everything(root / ".venv")
    assert not git_ignores(root, ".venv/pyvenv.cfg", environ)  # the case doctor reports: it asks git


def test_a_linked_or_odd_gitignore_proves_nothing(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, _ = repo
    elsewhere = tmp_path / "star"
    elsewhere.write_bytes(b"*\n")
    (root / ".venv" / ".gitignore").symlink_to(elsewhere)  # git reads no linked .gitignore
    assert not ignores_everything(root / ".venv")
    (root / ".venv" / ".gitignore").unlink()
    os.mkfifo(root / ".venv" / ".gitignore")
    assert not ignores_everything(root / ".venv")  # never a wait on a fifo
    (root / ".venv" / ".gitignore").unlink()
    (root / ".venv" / ".gitignore").mkdir()
    assert not ignores_everything(root / ".venv")
