"""`corral upgrade --python SPEC`: patch level in place (verified, packages kept), otherwise a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.envs import (
    FakeInstall,
    corral_cli,
    env_python,
    lock_and_sync,
    make_project,
    pyenv_build,
    pyenv_minor,
    run,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch, local_index: object) -> object:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    return local_index


def _fake_311(tmp_path: Path) -> FakeInstall:
    debian = Path("/usr/bin/python3.11")
    if not debian.exists() or pyenv_build("3.11.7") is None:
        pytest.skip("needs Debian's python3.11 and pyenv 3.11.7")
    fake = FakeInstall(tmp_path / "opt-python")
    fake.install(debian, Path("/usr/lib/python3.11"))
    return fake


def test_patch_upgrade_to_another_path_repoints_links_and_keeps_packages(
    tmp_path: Path, indexed: object, corral: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_311(tmp_path)
    fake.on_path(monkeypatch)
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python=str(fake.python))
    lock_and_sync(root)
    inode_before = (root / ".venv/lib/python3.11/site-packages").stat().st_ino
    target = pyenv_build("3.11.7")[0]  # type: ignore[index]
    done = corral("upgrade", "--python", str(target), cwd=root)  # type: ignore[operator]
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "in place, packages kept" in done.stdout
    venv_bin = root / ".venv/bin"
    for name in ("python", "python3", "python3.11"):
        assert Path(venv_bin / name).resolve() == target.resolve(), name
    cfg = (root / ".venv/pyvenv.cfg").read_text()
    assert f"home = {target.parent}" in cfg and "version_info = 3.11.7" in cfg
    assert (root / ".venv/lib/python3.11/site-packages").stat().st_ino == inode_before  # not rebuilt
    ok = run([env_python(root), "-c", "import alpha, sys; print(alpha.__version__, sys.version_info[:3])"])
    assert ok.returncode == 0 and ok.stdout.strip() == "1.0 (3, 11, 7)", ok.stderr
    assert (root / ".python-version").read_text().strip() == "3.11.7"
    assert corral("doctor", cwd=root).exit_code == 0  # type: ignore[operator]


def test_venv_upgrade_alone_leaves_the_stale_link_corral_fixes(tmp_path: Path) -> None:
    """What the issue warns about: `python -m venv --upgrade` with another build keeps bin/python on the old one."""
    old, new = pyenv_build("3.11.7"), pyenv_minor("3.12")
    if old is None or new is None:
        pytest.skip("needs pyenv 3.11.7 and 3.12")
    env = tmp_path / "env"
    assert run([old[0], "-m", "venv", "--without-pip", env]).returncode == 0
    assert run([new[0], "-m", "venv", "--upgrade", "--without-pip", env]).returncode == 0
    cfg = (env / "pyvenv.cfg").read_text()
    runs = run([env / "bin/python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip()
    assert "3.12" in cfg and runs == "3.11"  # inconsistent: cfg says 3.12, the link still runs 3.11


def test_upgrade_refuses_the_active_env(tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_311(tmp_path)
    fake.on_path(monkeypatch)
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python=str(fake.python))
    lock_and_sync(root)
    target = pyenv_build("3.11.7")[0]  # type: ignore[index]
    done = corral_cli("upgrade", "--python", str(target), cwd=root, extra_env={"VIRTUAL_ENV": str(root / ".venv")})
    assert done.returncode == 1 and "deactivate" in done.stderr
    assert "version_info = 3.11.2" in (root / ".venv/pyvenv.cfg").read_text()


def test_minor_upgrade_rebuilds_and_pins(tmp_path: Path, indexed: object, corral: object) -> None:
    if pyenv_minor("3.13") is None:
        pytest.skip("no pyenv 3.13")
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python="3.12")
    lock_and_sync(root)
    done = corral("upgrade", "--python", "3.13", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "rebuilt from the lock" in done.stdout
    ok = run([env_python(root), "-c", "import alpha, sys; print(sys.version_info[:2])"])
    assert ok.returncode == 0 and "(3, 13)" in ok.stdout, ok.stderr
    assert (root / ".python-version").read_text().strip() == "3.13"


def test_upgrade_outside_requires_python_is_a_clear_error(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha==1.0"], python="3.12")
    text = (root / "pyproject.toml").read_text().replace('">=3.8"', '">=3.10"')
    (root / "pyproject.toml").write_text(text)
    done = corral("upgrade", "--python", "3.9", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 2
    assert "does not satisfy requires-python '>=3.10'" in done.stderr
    assert (root / ".python-version").read_text().strip() == "3.12"
