"""An unchanged script lock is answered from corral's record of it (services.script_lock_stamp), without uv.

uv sits behind a wrapper that writes down every `uv pip compile` (each script resolution): an answer from the
record adds no line. Real uv against the local index fixture (alpha 1.0/1.1/2.0, beta, delta), real interpreters.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import Corral, missing
from corral.errors import LockOutdated
from corral.infra import uvbin
from corral.services.context import Context
from corral.services.script_edit import lock_script

pytestmark = pytest.mark.integration

SCRIPT = """# /// script
# requires-python = ">=3.12"
# dependencies = ["alpha<2"]
# ///
import alpha
"""


@pytest.fixture
def index_env(local_index: object, pythons: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_PYTHON", "3.12")
    return dict(os.environ)


@pytest.fixture
def resolutions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log of every `uv pip compile` corral runs (one line each), uv being a wrapper around the real one."""
    real = uvbin.uv_binary()
    log = tmp_path / "compiles.log"
    wrapper = tmp_path / "bin" / "uv"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "pip compile" ]; then echo "$@" >> "{log}"; fi\nexec "{real}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(uvbin, "uv_binary", lambda: str(wrapper))
    log.write_text("", encoding="utf-8")
    return log


def _count(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines())


def _script(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    script = folder / "a.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return script


def test_an_unchanged_lock_and_its_check_ask_no_uv(
    index_env: dict[str, str], resolutions: Path, tmp_path: Path, corral: Corral
) -> None:
    # given: a script locked once
    script = _script(tmp_path)
    first = corral("lock", "--script", "a.py", cwd=script.parent)
    assert first.exit_code == 0, first.stderr
    assert _count(resolutions) == 1
    lock = script.parent / "pylock.a.toml"
    written = lock.read_bytes()
    # when: locked again and checked, nothing changed
    again = corral("lock", "--script", "a.py", cwd=script.parent)
    check = corral("lock", "--script", "a.py", "--check", cwd=script.parent)
    # then: both answered from the record, uv never started, the lock untouched
    assert again.exit_code == 0, again.stderr
    assert f"unchanged: {lock} (1 package)" in again.stderr + again.stdout
    assert check.exit_code == 0, check.stderr
    assert "pylock.a.toml is up to date (1 package)" in check.stderr + check.stdout
    assert _count(resolutions) == 1
    assert lock.read_bytes() == written


def test_a_hand_edited_lock_is_resolved_again(index_env: dict[str, str], resolutions: Path, tmp_path: Path) -> None:
    # given: a locked script whose lock is then edited by hand (its inputs-hash left as it was)
    script = _script(tmp_path)
    ctx = Context(cwd=script.parent)
    lock = lock_script(ctx, script).path
    written = lock.read_bytes()
    lock.write_bytes(written.replace(b'version = "1.1"', b'version = "1.0"', 1))
    # when / then: --check resolves and finds it stale; a lock resolves (keeping the edited pin, uv's preference)
    with pytest.raises(LockOutdated, match="gives a different lock"):
        lock_script(ctx, script, check=True)
    assert _count(resolutions) == 2
    assert lock_script(ctx, script).written
    assert _count(resolutions) == 3
    # a comment added by hand: other bytes, so resolved again, and written back as corral makes it
    relocked = lock.read_bytes()
    lock.write_bytes(relocked + b"# mine\n")
    assert lock_script(ctx, script).written
    assert _count(resolutions) == 4
    assert lock.read_bytes() == relocked
    # the lock corral wrote: answered from the record again
    assert not lock_script(ctx, script).written
    assert _count(resolutions) == 4


def test_a_changed_block_index_setting_or_upgrade_resolves(
    index_env: dict[str, str], resolutions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script(tmp_path)
    lock_script(Context(cwd=script.parent), script)
    assert _count(resolutions) == 1
    # the block: another dependency
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]'), encoding="utf-8")
    assert lock_script(Context(cwd=script.parent), script).written
    assert _count(resolutions) == 2
    # the indexes: the same index given twice more is another set of index URLs
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", index_env["UV_INDEX_URL"])
    lock_script(Context(cwd=script.parent), script)
    assert _count(resolutions) == 3
    # a variable that steers uv's resolution, the block and the indexes unchanged
    monkeypatch.setenv("UV_RESOLUTION", "lowest-direct")
    lock_script(Context(cwd=script.parent), script, check=True)
    assert _count(resolutions) == 4
    # an upgrade always asks the index
    lock_script(Context(cwd=script.parent), script, upgrade_packages=["alpha"])
    lock_script(Context(cwd=script.parent), script, upgrade=True)
    assert _count(resolutions) == 6
    # and with everything as it was last locked, the record answers again
    lock_script(Context(cwd=script.parent), script)
    assert _count(resolutions) == 6


def test_the_record_is_in_corrals_cache_private_and_without_credentials(
    index_env: dict[str, str], resolutions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an index URL carrying credentials (the local index ignores them)
    secret_url = index_env["UV_INDEX_URL"].replace("http://", "http://someone:s3cr3t-token@", 1)
    monkeypatch.setenv("UV_INDEX_URL", secret_url)
    script = _script(tmp_path)
    ctx = Context(cwd=script.parent)
    # when
    lock_script(ctx, script)
    lock_script(ctx, script, check=True)
    # then: the project folder holds the script and its lock only; the record lives in corral's cache, 0600
    assert sorted(p.name for p in script.parent.iterdir()) == ["a.py", "pylock.a.toml"]
    records = list((ctx.paths.cache / "script-lock-stamps").iterdir())
    assert len(records) == 1
    assert stat.S_IMODE(records[0].stat().st_mode) == 0o600
    assert "s3cr3t" not in records[0].read_text(encoding="utf-8")
    assert _count(resolutions) == 1


def test_a_lock_naming_a_local_file_is_always_resolved(
    index_env: dict[str, str], resolutions: Path, tmp_path: Path, built_packages: dict[str, list[Path]]
) -> None:
    # given: a block naming a wheel on disk (its file may be replaced under the same name)
    wheel = next(p for p in built_packages["alpha"] if p.name.endswith(".whl"))
    script = _script(tmp_path)
    script.write_text(SCRIPT.replace('"alpha<2"', f'"alpha @ {wheel.as_uri()}"'), encoding="utf-8")
    lock_script(Context(cwd=script.parent), script)
    # when / then: every lock asks uv again
    assert not lock_script(Context(cwd=script.parent), script).written
    assert _count(resolutions) == 2
