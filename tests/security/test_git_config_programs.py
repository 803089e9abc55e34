"""A repository's own `.git/config` starts no program through any git call corral makes.

A shipped `.git` (a zip, a tarball, a copied checkout) can name a filter driver for its files
(`filter.<name>.clean`/`.smudge`/`.process`, with `.gitattributes` choosing it): git runs it when it reads a file
whose stat no longer matches its index entry, which `git describe --dirty` (the dynamic version's input,
`services.project_version.git_describe`) and `git status` do. The driver's name is the repository's choice, so
`infra.git` asks git for the names it would read and empties each. Each test first proves the planted program
runs under plain git (so it would catch a regression), then that it does not under corral's argv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corral.infra.git import git_command, git_environ, safe_options

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

_IDENTITY = ["-c", "user.email=t@example.invalid", "-c", "user.name=t"]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = git_environ({k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    return subprocess.run(
        ["git", *_IDENTITY, *args], cwd=root, env=environ, capture_output=True, text=True, check=False, timeout=60
    )


def _repo(tmp_path: Path, kind: str, name: str = "evil") -> tuple[Path, Path]:
    """A committed repository whose `.git/config` plants a `kind` filter named `name` that writes a marker."""
    root = tmp_path / "repo"
    root.mkdir()
    marker = tmp_path / "marker"
    assert _git(root, "init", "-q", ".").returncode == 0
    (root / "a.txt").write_text("one\n", encoding="utf-8")
    (root / ".gitattributes").write_text(f"a.txt filter={name}\n", encoding="utf-8")
    assert _git(root, "add", ".").returncode == 0
    assert _git(root, "commit", "-qm", "init").returncode == 0
    program = f"sh -c 'echo ran >> {marker}; cat'" if kind != "process" else f"sh -c 'echo ran >> {marker}'"
    assert _git(root, "config", f"filter.{name}.{kind}", program).returncode == 0
    assert _git(root, "config", f"filter.{name}.required", "true").returncode == 0
    return root, marker


def _stale(root: Path) -> None:
    """The work tree's file no longer matches its index entry's stat: git re-reads it (through the filter).

    A new time each call: `describe --dirty` writes the refreshed stat into the index.
    """
    path = root / "a.txt"
    when = path.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(path, ns=(when, when))


@pytest.mark.parametrize("kind", ["clean", "process"])
def test_describe_dirty_runs_no_filter_the_repository_plants(tmp_path: Path, kind: str) -> None:
    from corral.services.project_version import git_describe

    root, marker = _repo(tmp_path, kind)
    _stale(root)
    _git(root, "describe", "--always", "--dirty")
    assert marker.exists(), "the planted filter did not run under plain git: the test proves nothing"
    marker.unlink()

    _stale(root)
    described = git_describe(root)
    assert not marker.exists(), "git describe --dirty ran the repository's filter"
    assert described  # still answered: the commit (and whether the tree is dirty)


def test_status_through_git_command_runs_no_filter(tmp_path: Path) -> None:
    root, marker = _repo(tmp_path, "clean", name="Mixed.Case.name")
    argv = git_command(["-C", str(root), "status", "--porcelain"])
    assert argv is not None
    _stale(root)
    environ = git_environ(dict(os.environ))
    done = subprocess.run(argv, env=environ, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def test_a_driver_name_the_command_line_cannot_spell_refuses_the_call(tmp_path: Path) -> None:
    root, marker = _repo(tmp_path, "clean", name="a=b")
    _stale(root)
    assert git_command(["-C", str(root), "describe", "--dirty"]) is None
    assert safe_options(shutil.which("git") or "git", str(root), os.environ) is None
    assert not marker.exists()


def test_content_blind_commands_need_no_listing(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path, "clean")
    listed = git_command(["-C", str(root), "describe", "--dirty"])
    blind = git_command(["--literal-pathspecs", "-C", str(root), "ls-files", "-z", "--", "a.txt"])
    assert listed is not None
    assert blind is not None
    assert "filter.evil.clean=" in listed
    assert "filter.evil.clean=" not in blind


def test_an_include_the_repository_config_names_is_followed(tmp_path: Path) -> None:
    """A driver defined in a file `.git/config` includes is emptied too (git lists it; corral parses nothing)."""
    root, marker = _repo(tmp_path, "clean", name="inc")
    assert _git(root, "config", "--unset", "filter.inc.clean").returncode == 0
    extra = root / ".git" / "more.cfg"
    extra.write_text(f'[filter "inc"]\n\tclean = "sh -c \'echo ran >> {marker}; cat\'"\n', encoding="utf-8")
    assert _git(root, "config", "include.path", "more.cfg").returncode == 0
    _stale(root)
    _git(root, "describe", "--always", "--dirty")
    assert marker.exists()
    marker.unlink()
    argv = git_command(["-C", str(root), "describe", "--always", "--dirty"])
    assert argv is not None
    _stale(root)
    subprocess.run(argv, env=git_environ(dict(os.environ)), capture_output=True, check=False, timeout=60)
    assert not marker.exists()


def _with_submodule(tmp_path: Path, *, registered: bool) -> tuple[Path, Path, Path]:
    """A repository holding a checked-out submodule whose own config plants a clean filter (`registered`: with
    `.gitmodules`, else an embedded repository `git add` took as a gitlink)."""
    inner, marker = _repo(tmp_path, "clean", name="inner")
    outer = tmp_path / "outer"
    outer.mkdir()
    assert _git(outer, "init", "-q", ".").returncode == 0
    (outer / "top.txt").write_text("top\n", encoding="utf-8")
    if registered:
        done = _git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sm")
        assert done.returncode == 0, done.stderr
        sub = outer / "sm"
        assert _git(sub, "config", "filter.inner.clean", f"sh -c 'echo ran >> {marker}; cat'").returncode == 0
    else:
        sub = outer / "sm"
        inner.rename(sub)
    assert _git(outer, "add", ".").returncode == 0
    assert _git(outer, "commit", "-qm", "outer").returncode == 0
    return outer, sub, marker


@pytest.mark.parametrize("registered", [True, False], ids=["submodule", "embedded"])
def test_a_submodules_own_filter_runs_nothing(tmp_path: Path, registered: bool) -> None:
    """`describe --dirty` starts `git status` in each checked-out submodule, which reads that repository's config."""
    from corral.services.project_version import git_describe

    outer, sub, marker = _with_submodule(tmp_path, registered=registered)
    _stale(sub)
    _git(outer, "describe", "--always", "--dirty")
    assert marker.exists(), "the submodule's filter did not run under plain git: the test proves nothing"
    marker.unlink()
    _stale(sub)
    assert git_describe(outer)
    assert not marker.exists(), "the submodule's filter ran"


def test_a_config_include_naming_a_fifo_is_no_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`[include] path = fifo` makes git wait for a writer for ever: the listing gives up and the call is refused."""
    import time

    import corral.infra.git as infra_git

    root, _ = _repo(tmp_path, "clean")
    os.mkfifo(root / ".git" / "waits")
    assert _git(root, "config", "include.path", "waits").returncode == 0
    monkeypatch.setattr(infra_git, "_TIMEOUT", 1)
    began = time.monotonic()
    assert git_command(["-C", str(root), "describe", "--dirty"]) is None
    assert time.monotonic() - began < 10


def test_the_quick_lock_describe_runs_no_filter(tmp_path: Path) -> None:
    """`cli.lock_quick` asks git the same question on the no-op path (stdlib only: `safe_options`)."""
    from corral.cli.lock_quick import _git_describe

    root, marker = _repo(tmp_path, "clean")
    git = shutil.which("git")
    assert git is not None
    _stale(root)
    _git(root, "describe", "--always", "--dirty")
    assert marker.exists()
    marker.unlink()
    _stale(root)
    assert _git_describe(git, str(root), os.environ)
    assert not marker.exists()
