"""`corral doctor`: each finding produced by doing the real thing to a real env, then fixed for real."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from corral.services.context import Context
from corral.services.doctor import diagnose
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
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    return local_index


def codes(root: Path) -> list[str]:
    report, _ = diagnose(Context(cwd=root))
    return report.codes()


def test_healthy_env_is_ok_and_starts_no_interpreter(tmp_path: Path, indexed: object, corral: object) -> None:
    # how fast that is, is measured by benchmarks/bench_doctor.py: a wall time is no assertion on a shared machine
    root = make_project(tmp_path / "proj", ["alpha", "cowsay-lite"])
    lock_and_sync(root)
    first = corral("doctor", cwd=root)  # type: ignore[operator]
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "healthy" in first.stdout
    report, target = diagnose(Context(cwd=root))
    assert report.ok and not target.probed, report.codes()
    done = corral_cli("doctor", cwd=root)  # a fresh process: nothing cached in memory
    assert done.returncode == 0 and "healthy" in done.stdout, done.stdout + done.stderr


def test_moved_project_is_found_and_rebuilt_so_console_scripts_work(
    tmp_path: Path, indexed: object, corral: object
) -> None:
    root = make_project(tmp_path / "proj", ["cowsay-lite"])
    lock_and_sync(root)
    assert run([root / ".venv/bin/cowsay-lite"]).returncode == 0
    moved = tmp_path / "moved"
    shutil.move(root, moved)
    before = run([moved / ".venv/bin/cowsay-lite"])
    assert before.returncode != 0  # the shebang still names the old folder
    assert run([moved / ".venv/bin/pip", "--version"]).returncode != 0
    found = codes(moved)
    assert {"env-moved", "activate-stale", "scripts-foreign"} <= set(found), found
    shown = corral("doctor", cwd=moved)  # type: ignore[operator]
    assert shown.exit_code == 1
    assert "error   env-moved" in shown.stdout and "fix: corral recreate" in shown.stdout
    fixed = corral("doctor", "--fix", "--yes", cwd=moved)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert run([moved / ".venv/bin/cowsay-lite"]).returncode == 0
    assert run([moved / ".venv/bin/pip", "--version"]).returncode == 0
    assert (
        f"VIRTUAL_ENV='{moved / '.venv'}'" in (moved / ".venv/bin/activate").read_text()
        or f'VIRTUAL_ENV="{moved / ".venv"}"' in (moved / ".venv/bin/activate").read_text()
    )
    assert not list(moved.glob(".venv.corral-*"))


def test_copied_env_outside_a_project_is_repaired_in_place(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", ["cowsay-lite"])
    lock_and_sync(root)
    copy = tmp_path / "elsewhere" / "env"
    shutil.copytree(root / ".venv", copy, symlinks=True)
    shutil.rmtree(root / ".venv")  # the original is gone: the copy's scripts point nowhere
    assert run([copy / "bin/cowsay-lite"]).returncode != 0
    report = corral("doctor", str(copy), "--json", cwd=tmp_path)  # type: ignore[operator]
    data = json.loads(report.stdout)["data"]
    assert {"env-moved", "activate-stale", "scripts-foreign"} <= {f["code"] for f in data["findings"]}
    assert all(f["fix"] == f"corral doctor --fix {copy}" for f in data["findings"] if f["code"] == "env-moved")
    fixed = corral("doctor", str(copy), "--fix", "--yes", cwd=tmp_path)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert run([copy / "bin/cowsay-lite"]).returncode == 0


def _install_or_skip(fake: FakeInstall, build: tuple[Path, Path] | None, what: str) -> None:
    if build is None:
        pytest.skip(f"{what} is not installed here")
    fake.install(*build)


def test_patch_upgrade_of_the_base_is_fixed_in_place_keeping_packages(
    tmp_path: Path, indexed: object, corral: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeInstall(tmp_path / "opt-python")
    fake.on_path(monkeypatch)
    debian = (Path("/usr/bin/python3.11"), Path("/usr/lib/python3.11"))
    _install_or_skip(fake, debian if debian[0].exists() else None, "Debian's /usr/bin/python3.11")
    assert fake.version.startswith("3.11.")
    root = make_project(tmp_path / "proj", ["alpha"], python=str(fake.python))
    lock_and_sync(root)
    assert codes(root) == ["base-externally-managed"]  # Debian's stdlib carries EXTERNALLY-MANAGED: info only
    _install_or_skip(fake, pyenv_build("3.11.7"), "pyenv 3.11.7")
    report, target = diagnose(Context(cwd=root))
    assert target.probed  # the base binary changed on disk, so doctor had to run it once
    patch = next(f for f in report.findings if f.code == "base-patch-upgrade")
    assert patch.severity == "warning" and patch.details["recorded"] != patch.details["current"] == "3.11.7"
    assert patch.fix == f"corral upgrade --python {fake.python}"
    fixed = corral("doctor", "--fix", "--yes", cwd=root)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "in place" in fixed.stderr
    cfg = (root / ".venv/pyvenv.cfg").read_text()
    assert "version_info = 3.11.7" in cfg
    done = run([env_python(root), "-c", "import alpha, sys; print(alpha.__version__, sys.version_info[:3])"])
    assert done.returncode == 0 and "(3, 11, 7)" in done.stdout, done.stderr
    assert codes(root) == []


def test_minor_upgrade_of_the_base_is_found_and_rebuilt(
    tmp_path: Path, indexed: object, corral: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeInstall(tmp_path / "opt-python")
    fake.on_path(monkeypatch)
    _install_or_skip(fake, pyenv_minor("3.12"), "pyenv 3.12")
    root = make_project(tmp_path / "proj", ["alpha"], python=str(fake.python))
    lock_and_sync(root)
    _install_or_skip(fake, pyenv_minor("3.13"), "pyenv 3.13")
    lost = run([env_python(root), "-c", "import alpha"])
    assert lost.returncode != 0 and "No module named 'alpha'" in lost.stderr  # starts, but packages are gone
    report, _ = diagnose(Context(cwd=root))
    minor = next(f for f in report.findings if f.code == "base-minor-upgrade")
    assert minor.severity == "error" and minor.fix == f"corral recreate --python {fake.python}"
    fixed = corral("doctor", "--fix", "--yes", cwd=root)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    done = run([env_python(root), "-c", "import alpha, sys; print(sys.version_info[:2])"])
    assert done.returncode == 0 and "(3, 13)" in done.stdout, done.stderr


def test_base_removed_leaves_a_dangling_link(tmp_path: Path, indexed: object, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeInstall(tmp_path / "opt-python")
    fake.on_path(monkeypatch)
    _install_or_skip(fake, pyenv_minor("3.12"), "pyenv 3.12")
    root = make_project(tmp_path / "proj", ["alpha"], python=str(fake.python))
    lock_and_sync(root)
    shutil.rmtree(fake.folder)
    found = codes(root)
    assert found[0] == "python-missing", found


def test_hand_installed_package_is_drift_and_sync_reverts_it(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha==1.0"])
    lock_and_sync(root)
    done = run([env_python(root), "-m", "pip", "install", "-q", "delta==1.0", "alpha==1.1"])
    assert done.returncode == 0, done.stderr
    report, _ = diagnose(Context(cwd=root))
    found = {f.code: f for f in report.findings}
    assert found["drift-extra"].details["packages"] == {"delta": "1.0"}
    assert found["drift-version"].details["packages"]["alpha"] == {"installed": "1.1", "locked": "1.0"}
    assert found["drift-extra"].fix == "corral sync" and "corral adopt" in found["drift-extra"].message
    fixed = corral("doctor", "--fix", "--yes", cwd=root)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert codes(root) == []


def test_edited_pyproject_makes_the_lock_stale(tmp_path: Path, indexed: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    text = (root / "pyproject.toml").read_text().replace('"alpha"', '"alpha", "delta"')
    (root / "pyproject.toml").write_text(text)
    assert "lock-stale" in codes(root)


def test_git_untracked_ignore_and_tracked_env(tmp_path: Path, indexed: object, corral: object) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    assert run([*git, "init", "-q"], cwd=root).returncode == 0
    assert "env-not-ignored" not in codes(root)  # corral's env carries its own `*` .gitignore
    (root / ".venv/.gitignore").unlink()
    assert "env-not-ignored" in codes(root)
    assert run([*git, "add", "-f", ".venv/pyvenv.cfg"], cwd=root).returncode == 0
    assert "env-tracked" in codes(root)
    fixed = corral("doctor", "--fix", "--yes", cwd=root)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert run(["git", "ls-files", ".venv"], cwd=root).stdout == ""
    assert "/.venv/" in (root / ".gitignore").read_text()


def test_old_pip_is_flagged_and_upgraded_inside_the_env(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    done = run([env_python(root), "-m", "pip", "install", "-q", "pip==24.0"])
    assert done.returncode == 0, done.stderr
    report, _ = diagnose(Context(cwd=root))
    pip = next(f for f in report.findings if f.code == "pip-outdated")
    assert pip.fix == f"{root / '.venv/bin/python'} -m pip install -U pip"
    fixed = corral("doctor", "--fix", "--yes", cwd=root)  # type: ignore[operator]
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "pip-outdated" not in codes(root)


def test_foreign_env_by_path_is_reported_and_adopted(
    tmp_path: Path, corral: object, pythons: dict[str, Path], indexed: object
) -> None:
    if "3.12" not in pythons:
        pytest.skip("no pyenv 3.12")
    env = tmp_path / "plain"
    assert run([pythons["3.12"], "-m", "venv", env]).returncode == 0
    shown = corral("doctor", str(env), cwd=tmp_path)  # type: ignore[operator]
    assert "info    not-made-by-corral" in shown.stdout
    assert "warning pip-outdated" in shown.stdout  # ensurepip's bundled pip is older than MIN_RECENT_PIP
    assert f"fix: corral doctor --fix {env}" in shown.stdout
    refused = corral("doctor", str(env), "--fix", cwd=tmp_path)  # type: ignore[operator]
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr  # no TTY, no --yes
    fixed = corral("doctor", str(env), "--fix", "--yes", cwd=tmp_path)  # type: ignore[operator]
    assert fixed.exit_code == 0
    assert (env / "corral-env.json").is_file()
    after = corral("doctor", str(env), cwd=tmp_path)  # type: ignore[operator]
    assert after.exit_code == 0 and "healthy" in after.stdout, after.stdout


def test_system_site_packages_without_asking_is_a_warning(tmp_path: Path, indexed: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    cfg = root / ".venv/pyvenv.cfg"
    text = cfg.read_text()
    cfg.write_text(text.replace("include-system-site-packages = false", "include-system-site-packages = true"))
    report, _ = diagnose(Context(cwd=root))
    assert next(f for f in report.findings if f.code == "system-site-packages").severity == "warning"


def test_externally_managed_python_as_target_is_refused(tmp_path: Path, corral: object) -> None:
    system = Path("/usr/bin/python3.11")
    if not (system.exists() and Path("/usr/lib/python3.11/EXTERNALLY-MANAGED").exists()):
        pytest.skip("no externally managed system Python here")
    done = corral("doctor", str(system), cwd=tmp_path)  # type: ignore[operator]
    assert done.exit_code == 1
    assert "externally managed" in done.stderr and "corral venv --python" in done.stderr
    assert os.path.exists(system)


def test_adopt_records_hand_installed_packages(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", ["alpha==1.0"])
    lock_and_sync(root)
    assert run([env_python(root), "-m", "pip", "install", "-q", "delta==1.0"]).returncode == 0
    assert "drift-extra" in codes(root)
    done = corral("adopt", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 0, done.stdout + done.stderr
    assert '"delta>=1.0"' in (root / "pyproject.toml").read_text()
    assert codes(root) == []


def _dependencies(root: Path) -> list[str]:
    from support.toml import tomllib

    dependencies: list[str] = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    return dependencies


def _locked(root: Path) -> dict[str, str]:
    from support.toml import tomllib

    return {p["name"]: p.get("version") for p in tomllib.loads((root / "pylock.toml").read_text())["packages"]}


def test_adopt_records_only_what_nothing_else_requires_and_keeps_installed_versions(
    tmp_path: Path, indexed: object, corral: object
) -> None:
    # given a synced project, then `pip install beta alpha==1.1` by hand (beta requires alpha>=1.1; 2.0 is newest)
    root = make_project(tmp_path / "proj", ["cowsay-lite"])
    lock_and_sync(root)
    assert run([env_python(root), "-m", "pip", "install", "-q", "beta", "alpha==1.1"]).returncode == 0
    # when
    done = corral("adopt", cwd=root)  # type: ignore[operator]
    # then only beta is the user's choice; alpha, which beta requires, is locked at the installed 1.1 only
    assert done.exit_code == 0, done.stdout + done.stderr
    assert _dependencies(root) == ["cowsay-lite", "beta>=1.0"]
    assert {k: v for k, v in _locked(root).items() if k != "cowsay-lite"} == {"alpha": "1.1", "beta": "1.0"}
    assert "recorded beta>=1.0 in project" in done.stdout and "alpha 1.1" in done.stdout
    assert codes(root) == []  # the env is exactly the new lock: nothing was reinstalled at another version


def test_adopt_without_a_lock_locks_first_then_adopts(tmp_path: Path, indexed: object, corral: object) -> None:
    root = make_project(tmp_path / "proj", [])
    assert corral("venv", cwd=root).exit_code == 0  # type: ignore[operator]
    assert run([env_python(root), "-m", "pip", "install", "-q", "delta==1.0"]).returncode == 0
    assert not (root / "pylock.toml").exists()
    done = corral("adopt", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "locked the project first" in done.stderr
    assert _dependencies(root) == ["delta>=1.0"]
    assert _locked(root) == {"delta": "1.0"}
    assert codes(root) == []
