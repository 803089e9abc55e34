"""The base Python under a synced env changes in place: `sync` must not answer "nothing to do" over a broken env.

Done for real, as a package manager does it: a Python "installation" at a fixed folder (`support.envs.FakeInstall`:
DIR/bin/python3 -> python3.X, the stdlib beside it) that the env was made from, then either upgraded to another
X.Y under the same `python3` name (Homebrew's `brew upgrade python`, Debian's release upgrade of `/usr/bin/python3`)
or removed. The env still starts (or its python is a dangling link), every package in `lib/python3.12` is
invisible to it, and doctor says so (`base-minor-upgrade`, `python-missing`: fix, a rebuild).

- The full sync path (an input changed since the last sync) rebuilds such an env from the lock, as it rebuilds a
  moved or re-pinned one (`services.stale_env`): it used to say "nothing to do" over the upgraded env, and to stop at
  "no working interpreter; rebuild it with `corral recreate`" over the removed one.
- The no-op paths (the sync stamp, `cli.quick`'s record) observe the interpreter the env's python resolves to (its
  real path and identity): right after the change, `corral sync` goes the full way too (it said "nothing to do:
  .venv already matches pylock.toml" and `corral run` ran the broken env).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from support.envs import FakeInstall, corral_cli, env_python, make_project, pyenv_minor, run

pytestmark = pytest.mark.integration

_SETTLE = 0.3  # past cli.quick's settle margin (50 ms on a file system with nanosecond stamps)
_NOOP = "nothing to do"


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> object:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    return local_index


def _install(fake: FakeInstall, minor: str) -> None:
    build = pyenv_minor(minor)
    if build is None:
        pytest.skip(f"pyenv {minor} is not installed here")
    fake.install(*build)


def _synced_on(fake: FakeInstall, root: Path, *, pin: str) -> Path:
    """A project with alpha, synced on the fake installation, whose no-op answers come from its quick record."""
    make_project(root, ["alpha"], python=pin)
    made = corral_cli("init", "--python", str(fake.python), cwd=root)  # the env from the fake, whatever the pin
    assert made.returncode == 0, made.stderr
    done = corral_cli("sync", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / ".venv/bin/python").resolve().parent == fake.python.resolve().parent
    time.sleep(_SETTLE)
    for _ in range(2):  # the first no-op writes the quick record, the second answers from it
        again = corral_cli("sync", cwd=root)
        assert again.returncode == 0 and _NOOP in again.stderr, again.stderr
    return root


def _alpha_runs(root: Path) -> bool:
    done = corral_cli("run", "python", "-c", "import alpha", cwd=root)
    return bool(done.returncode == 0)


def _upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Synced on 3.12 through DIR/bin/python3 (the pin names that path), then DIR upgraded to 3.13."""
    fake = FakeInstall(tmp_path / "opt-python")
    fake.on_path(monkeypatch)  # a project file may name a path discovery lists
    _install(fake, "3.12")
    root = _synced_on(fake, tmp_path / "proj", pin=str(fake.python))
    assert _alpha_runs(root)
    _install(fake, "3.13")
    return root


def _removed(tmp_path: Path) -> Path:
    """Synced on the fake 3.12 (the pin says 3.12, which pyenv's 3.12 also is), then the fake removed."""
    fake = FakeInstall(tmp_path / "opt-python")
    _install(fake, "3.12")
    root = _synced_on(fake, tmp_path / "proj", pin="3.12")
    assert _alpha_runs(root)
    shutil.rmtree(fake.folder)
    return root


def _changed_input(root: Path) -> None:
    """The same pyproject.toml written again (a checkout, an editor's save): the no-op paths step aside."""
    path = root / "pyproject.toml"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)


def test_a_base_upgraded_to_another_minor_is_rebuilt_by_the_full_sync(
    tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _upgraded(tmp_path, monkeypatch)
    lost = run([env_python(root), "-c", "import alpha"])  # the env itself, not through corral
    assert lost.returncode != 0 and "No module named 'alpha'" in lost.stderr  # starts on 3.13: alpha is invisible
    _changed_input(root)
    done = corral_cli("sync", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "rebuilding" in done.stderr and "built for 3.12" in done.stderr, done.stderr
    assert _NOOP not in done.stderr
    assert _alpha_runs(root)
    assert "version_info = 3.13" in (root / ".venv/pyvenv.cfg").read_text(encoding="utf-8")


def test_a_removed_base_is_rebuilt_by_the_full_sync(tmp_path: Path, indexed: object) -> None:
    root = _removed(tmp_path)
    _changed_input(root)
    done = corral_cli("sync", cwd=root)
    assert done.returncode == 0, done.stderr  # was: "no working interpreter ...; rebuild it with `corral recreate`"
    assert "rebuilding" in done.stderr and "which is gone" in done.stderr, done.stderr
    assert _alpha_runs(root)


def test_the_no_op_sync_does_not_vouch_for_an_env_whose_base_changed_minor(
    tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _upgraded(tmp_path, monkeypatch)
    done = corral_cli("sync", cwd=root)  # nothing else changed: the quick record's answer
    assert _NOOP not in done.stderr, done.stderr
    assert _alpha_runs(root)


def test_the_no_op_sync_does_not_vouch_for_an_env_whose_base_is_gone(tmp_path: Path, indexed: object) -> None:
    root = _removed(tmp_path)
    done = corral_cli("sync", cwd=root)
    assert _NOOP not in done.stderr, done.stderr
    assert _alpha_runs(root)
