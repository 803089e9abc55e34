"""infra.git_state: `git describe`'s inputs as stats, against real git repositories (no index, no network).

What the proof rests on: every change git describe can see (a commit, a tag, a checkout, a staged or edited tracked
file, an attributes file, a setting, a `GIT_*` variable) moves the digest; what it cannot see (untracked files, a
new lock file) does not; anything not read here is None (git is asked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from corral.infra import git_state

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")
SETTLE = 0.12  # beyond the 50 ms margin of nanosecond stamps


def git(root: Path, *args: str, environ: dict[str, str] | None = None) -> str:
    base = [str(GIT), "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]
    done = subprocess.run([*base, "-C", str(root), *args], check=True, capture_output=True, text=True, env=environ)
    return done.stdout.strip()


def describe(root: Path) -> str:
    """What corral's git describe says (GIT_OPTIONAL_LOCKS=0: the index is not rewritten, as infra.git asks)."""
    args = ("describe", "--tags", "--long", "--always", "--dirty", "--abbrev=40")
    return git(root, *args, environ={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\ndynamic = ["version"]\n', encoding="utf-8")
    (root / "src" / "pkg" / "__init__.py").write_text("x = 1\n", encoding="utf-8")
    past = time.time_ns() - 10**10
    for written in (root / "pyproject.toml", root / "src" / "pkg" / "__init__.py"):
        os.utime(written, ns=(past, past))  # older than the index: no racily clean entry git would rewrite it for
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"], ["tag", "1.0"]):
        git(root, *args)
    time.sleep(SETTLE)
    return root


def state(root: Path, environ: dict[str, str] | None = None) -> git_state.State:
    assert GIT is not None
    found = git_state.state(str(root / "src"), GIT, os.environ if environ is None else environ)
    assert found is not None
    return found


def test_settled_repository_has_a_settled_digest_that_untracked_files_do_not_move(repo: Path) -> None:
    before = state(repo)
    assert before.settled_ns <= time.time_ns()
    (repo / "pylock.toml").write_text("lock\n", encoding="utf-8")  # what `corral lock` writes, untracked
    (repo / "src" / "pkg" / "__pycache__").mkdir()
    (repo / "build").mkdir()
    assert describe(repo).endswith("-0-g" + git(repo, "rev-parse", "HEAD"))  # not dirty: untracked only
    assert state(repo).digest == before.digest


def _edit_in_place(repo: Path) -> None:
    target = repo / "src" / "pkg" / "__init__.py"
    st = target.stat()
    target.write_text("x = 2\n", encoding="utf-8")  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back: the ctime still moves


def _nested_attributes(repo: Path) -> None:
    (repo / "src" / "pkg" / ".gitattributes").write_text("*.py text eol=crlf\n", encoding="utf-8")


def _staged(repo: Path) -> None:
    (repo / "NEW").write_text("n\n", encoding="utf-8")
    git(repo, "add", "NEW")


CHANGES: dict[str, Callable[[Path], object]] = {
    "a tracked file edited, its mtime put back": _edit_in_place,
    "a tracked file made executable": lambda r: (r / "pyproject.toml").chmod(0o755),
    "a tracked file removed": lambda r: (r / "src" / "pkg" / "__init__.py").unlink(),
    "a file staged": _staged,
    "a commit": lambda r: git(r, "commit", "-q", "--allow-empty", "-m", "two"),
    "a tag": lambda r: git(r, "tag", "2.0"),
    "a tag in a folder": lambda r: git(r, "tag", "-a", "-m", "m", "v/2.0"),
    "refs packed": lambda r: git(r, "pack-refs", "--all"),
    "another branch checked out": lambda r: git(r, "checkout", "-q", "-b", "other"),
    "an untracked .gitattributes beside tracked files": _nested_attributes,
    "a repository setting": lambda r: git(r, "config", "core.filemode", "false"),
    "the work tree made another user's": lambda r: os.chown(r, 12345, -1),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_change_describe_can_see_moves_the_digest(repo: Path, change: str) -> None:
    before = state(repo)
    CHANGES[change](repo)
    assert state(repo).digest != before.digest, change


def test_a_git_variable_moves_the_digest(repo: Path) -> None:
    assert state(repo).digest != state(repo, {**os.environ, "GIT_CONFIG_PARAMETERS": "'core.abbrev=8'"}).digest


def test_what_is_not_read_here_is_no_proof(repo: Path, tmp_path: Path) -> None:
    assert GIT is not None
    (repo / ".git" / "config").write_text(
        (repo / ".git" / "config").read_text(encoding="utf-8") + "[include]\n\tpath = elsewhere\n", encoding="utf-8"
    )
    assert git_state.state(str(repo), GIT, os.environ) is None, "a settings file that includes another"
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x")
    head = git(other, "rev-parse", "HEAD")
    git(other, "update-index", "--add", "--cacheinfo", f"160000,{head},sub")  # a submodule's gitlink
    assert git_state.state(str(other), GIT, os.environ) is None, "a submodule"
    worktree = tmp_path / "linked"
    git(other, "worktree", "add", "-q", str(worktree))
    assert git_state.state(str(worktree), GIT, os.environ) is None, "a linked work tree (.git is a file)"
    assert git_state.state(str(tmp_path), GIT, os.environ) is None, "no repository"


def test_an_answer_is_kept_only_for_settled_inputs(repo: Path) -> None:
    observed_ns = time.time_ns()
    found = state(repo)
    git_state.remember(found, observed_ns, "1.0-0-gabc")
    assert git_state.recall(state(repo), time.time_ns()) == "1.0-0-gabc"
    _edit_in_place(repo)
    young_ns = time.time_ns()
    young = state(repo)
    assert git_state.recall(young, young_ns) is None, "another state"
    git_state.remember(young, young_ns, "1.0-0-gabc-dirty")
    assert git_state.recall(young, young_ns) is None, "a state younger than the margin proves nothing"


def test_project_version_asks_git_once_while_nothing_moves(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """services.project_version.git_describe through a real git that counts its runs (a wrapper on PATH)."""
    from corral.services.project_version import git_describe

    assert GIT is not None
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    log = tmp_path / "runs"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {GIT} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    time.sleep(SETTLE)  # the wrapper is one of the inputs
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")

    def runs() -> int:
        return sum("describe" in line for line in log.read_text(encoding="utf-8").splitlines())

    first = git_describe(repo)
    assert first == describe(repo) and first.startswith("1.0-0-g") and runs() == 1
    assert git_describe(repo) == first and runs() == 1, "the same inputs: git is not asked again"
    code = "import sys; from pathlib import Path; from corral.services.project_version import git_describe as d; "
    code += "print(d(Path(sys.argv[1])))"
    other = subprocess.run([sys.executable, "-c", code, str(repo)], check=True, capture_output=True, text=True)
    assert other.stdout.strip() == first and runs() == 1, "another process: the answer kept in corral's cache"
    git(repo, "commit", "-q", "--allow-empty", "-m", "two")
    git(repo, "tag", "2.0")
    time.sleep(SETTLE)
    assert git_describe(repo).startswith("2.0-0-g") and runs() == 2
    (repo / "src" / "pkg" / "__init__.py").write_text("x = 10\n", encoding="utf-8")  # another size: git sees it too
    assert git_describe(repo).endswith("-dirty") and runs() == 3


def test_an_answer_that_is_not_one_printable_line_is_never_kept(repo: Path) -> None:
    observed_ns = time.time_ns()
    found = state(repo)
    git_state.remember(found, observed_ns, "1.0-0-gabc\nfact git /bin/sh")
    assert git_state.recall(found, observed_ns) is None
