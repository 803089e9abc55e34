"""A PEP 723 script's own lock (`pylock.<name>.toml`) follows its block: recorded inputs, re-lock, --check, upgrades.

Real uv against the local index fixture (alpha 1.0/1.1/2.0, beta 1.0 needing alpha), real throwaway envs.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import corral_exe, missing
from corral.core.env import Env
from corral.errors import LockOutdated, UsageError
from corral.services.context import Context
from corral.services.script_edit import add_to_script, lock_script, remove_from_script
from corral.services.scripts import ensure_script_env, env_for_block, script_metadata

pytestmark = pytest.mark.integration

SCRIPT = """# /// script
# requires-python = ">=3.12"
# dependencies = ["alpha<2"]
# ///
import alpha
print(alpha.__version__)
"""


@pytest.fixture
def index_env(local_index: object, pythons: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if "3.12" not in pythons:
        missing("pyenv 3.12")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CORRAL_PYTHON", "3.12")
    return dict(os.environ)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*corral_exe(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)


def _pins(lock: Path) -> dict[str, str]:
    """name -> version of a lock's packages."""
    from support.toml import tomllib

    data = tomllib.loads(lock.read_text())
    return {p["name"]: p["version"] for p in data["packages"]}


def test_a_script_lock_records_the_block_it_was_made_from(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    report = lock_script(Context(cwd=tmp_path), script)
    assert report.written and report.path == tmp_path / "pylock.a.toml"
    text = report.path.read_text()
    assert '[tool.corral]\ninputs-hash = "sha256:' in text
    assert _pins(report.path) == {"alpha": "1.1"}
    again = lock_script(Context(cwd=tmp_path), script)
    assert not again.written and again.path.read_text() == text


def test_add_script_relocks_an_existing_lock_with_the_new_block(index_env: dict[str, str], tmp_path: Path) -> None:
    """The new-user repro: `add --script` after `lock --script` left the lock without the new package."""
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    assert _run(["lock", "--script", "a.py"], index_env, tmp_path).returncode == 0
    added = _run(["add", "--script", "a.py", "beta"], index_env, tmp_path)
    assert added.returncode == 0, added.stderr
    assert _pins(tmp_path / "pylock.a.toml") == {"alpha": "1.1", "beta": "1.0"}  # alpha's pin kept
    with script.open("a") as handle:
        handle.write("import beta\nprint(beta.__version__)\n")
    ran = _run(["run", "a.py"], index_env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["1.1", "1.0"]


def test_a_failed_add_writes_neither_the_script_nor_its_lock(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    lock = lock_script(Context(cwd=tmp_path), script).path
    before = lock.read_bytes()
    with pytest.raises(Exception, match="no-such-package-here"):
        add_to_script(Context(cwd=tmp_path), script, ["no-such-package-here"])
    assert script.read_text() == SCRIPT
    assert lock.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "pylock.a.toml"]  # no trial left behind


def test_remove_from_script_relocks_and_refuses_an_undeclared_name(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]'))
    lock = lock_script(Context(cwd=tmp_path), script).path
    assert set(_pins(lock)) == {"alpha", "delta"}
    with pytest.raises(UsageError, match="does not declare gamma"):
        remove_from_script(Context(cwd=tmp_path), script, ["gamma"])
    remove_from_script(Context(cwd=tmp_path), script, ["delta"])
    assert "delta" not in script.read_text()
    assert _pins(lock) == {"alpha": "1.1"}


def test_run_relocks_a_lock_the_block_outgrew_and_locked_refuses(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    lock = lock_script(Context(cwd=tmp_path), script).path
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]') + "import delta\n")
    before = lock.read_bytes()
    refused = _run(["run", "--locked", "a.py"], index_env, tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "pylock.a.toml is stale" in refused.stderr and "corral lock --script a.py" in refused.stderr
    assert lock.read_bytes() == before
    ran = _run(["run", "a.py"], index_env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "1.1"
    assert "locked a.py again: pylock.a.toml was made from another script block" in ran.stderr
    assert _pins(lock) == {"alpha": "1.1", "delta": "1.0"}
    again = _run(["run", "--locked", "a.py"], index_env, tmp_path)
    assert again.returncode == 0
    assert "locked" not in again.stderr


def test_ensure_script_env_installs_what_the_relocked_lock_pins(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    ctx = Context(cwd=tmp_path)
    lock_script(ctx, script)
    script.write_text(SCRIPT.replace("alpha<2", "alpha>=2"))
    with pytest.raises(LockOutdated, match=r"corral lock --script a\.py"):
        ensure_script_env(ctx, script, locked=True)
    env = ensure_script_env(ctx, script)
    assert _pins(tmp_path / "pylock.a.toml") == {"alpha": "2.0"}
    found = [p for site in Env.at(env.path).site_packages() for p in site.glob("alpha-*.dist-info")]
    assert [p.name for p in found] == ["alpha-2.0.dist-info"]


def test_check_never_writes_and_names_the_stale_lock(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    ctx = Context(cwd=tmp_path)
    with pytest.raises(LockOutdated, match=r"pylock\.a\.toml does not exist; run `corral lock --script a\.py`"):
        lock_script(ctx, script, check=True)
    assert not (tmp_path / "pylock.a.toml").exists()
    lock = lock_script(ctx, script).path
    current = lock_script(ctx, script, check=True)
    assert not current.written and current.packages == 1
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]'))
    before = lock.read_bytes()
    with pytest.raises(LockOutdated, match=r"pylock\.a\.toml is stale"):
        lock_script(ctx, script, check=True)
    assert lock.read_bytes() == before
    # a hand-edited lock (its inputs-hash still matching) is stale too: resolving now gives another lock
    script.write_text(SCRIPT)
    lock.write_text(before.decode().replace('version = "1.1"', 'version = "1.0"', 1))
    with pytest.raises(LockOutdated, match=r"resolving a\.py.s script block now gives a different lock"):
        lock_script(ctx, script, check=True)


def test_relock_keeps_old_pins_unless_upgrading(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    ctx = Context(cwd=tmp_path)
    lock = lock_script(ctx, script).path
    script.write_text(SCRIPT.replace('"alpha<2"', '"alpha"'))
    lock_script(ctx, script)
    assert _pins(lock) == {"alpha": "1.1"}, "a plain re-lock keeps the old pin where the block allows it"
    with pytest.raises(UsageError, match="--upgrade-package gamma"):
        lock_script(ctx, script, upgrade_packages=["gamma"])
    assert lock_script(ctx, script, upgrade_packages=["alpha"]).written
    assert _pins(lock) == {"alpha": "2.0"}
    script.write_text(SCRIPT)
    lock_script(ctx, script)
    assert _pins(lock) == {"alpha": "1.1"}
    script.write_text(SCRIPT.replace('"alpha<2"', '"alpha"'))
    lock_script(ctx, script, upgrade=True)
    assert _pins(lock) == {"alpha": "2.0"}


def test_cli_lock_script_check_exits_1_and_writes_nothing(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    absent = _run(["lock", "--script", "a.py", "--check"], index_env, tmp_path)
    assert absent.returncode == 1
    assert not (tmp_path / "pylock.a.toml").exists()
    assert _run(["lock", "--script", "a.py"], index_env, tmp_path).returncode == 0
    current = _run(["lock", "--script", "a.py", "--check"], index_env, tmp_path)
    assert current.returncode == 0, current.stderr
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]'))
    before = (tmp_path / "pylock.a.toml").read_bytes()
    stale = _run(["lock", "--script", "a.py", "--check"], index_env, tmp_path)
    assert stale.returncode == 1
    assert "pylock.a.toml is stale" in stale.stderr and "corral lock --script a.py" in stale.stderr
    assert (tmp_path / "pylock.a.toml").read_bytes() == before


def test_cli_lock_script_upgrade_package(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    assert _run(["lock", "--script", "a.py"], index_env, tmp_path).returncode == 0
    script.write_text(SCRIPT.replace('"alpha<2"', '"alpha"'))
    kept = _run(["lock", "--script", "a.py"], index_env, tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert _pins(tmp_path / "pylock.a.toml") == {"alpha": "1.1"}
    upgraded = _run(["lock", "--script", "a.py", "--upgrade-package", "alpha"], index_env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert _pins(tmp_path / "pylock.a.toml") == {"alpha": "2.0"}


def test_cli_remove_script_relocks(index_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]'))
    assert _run(["lock", "--script", "a.py"], index_env, tmp_path).returncode == 0
    removed = _run(["remove", "--script", "a.py", "delta"], index_env, tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert "delta" not in script.read_text()
    assert _pins(tmp_path / "pylock.a.toml") == {"alpha": "1.1"}
    ran = _run(["run", "--locked", "a.py"], index_env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "1.1"


def test_a_lock_without_a_record_is_not_taken_by_runs_fast_path(index_env: dict[str, str], tmp_path: Path) -> None:
    """A lock written before script locks recorded their inputs, whose (stale) env is ready, is locked again."""
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    ctx = Context(cwd=tmp_path)
    lock = lock_script(ctx, script).path
    lock.write_text(lock.read_text().split("\n[tool.corral]\n")[0] + "\n")  # as corral wrote it before
    script.write_text(SCRIPT.replace('["alpha<2"]', '["alpha<2", "delta==1.0"]') + "import delta\n")
    block, data = script_metadata(script)
    env_for_block(ctx, block, data, python=None, lock=lock)  # what `corral run a.py` built from it then
    ran = _run(["run", "a.py"], index_env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "1.1"
    assert _pins(lock) == {"alpha": "1.1", "delta": "1.0"}
    assert "inputs-hash" in lock.read_text()


def test_run_refuses_a_damaged_lock_it_would_make_again_and_lock_script_remakes_it(
    index_env: dict[str, str], tmp_path: Path
) -> None:
    """A stale lock that is no lock (from a repository) is named, not overwritten unread; lock --script remakes it."""
    script = tmp_path / "a.py"
    script.write_text(SCRIPT)
    lock = tmp_path / "pylock.a.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = 3\n')
    damaged = lock.read_bytes()
    ran = _run(["run", "a.py"], index_env, tmp_path)
    assert ran.returncode == 1
    assert "pylock.a.toml is not a lock corral can install from" in ran.stderr
    assert "corral lock --script a.py" in ran.stderr
    assert lock.read_bytes() == damaged
    assert _run(["lock", "--script", "a.py"], index_env, tmp_path).returncode == 0
    assert _pins(lock) == {"alpha": "1.1"}
