"""Doctor's record of a healthy env whose sync stamp holds in all but git's index (`services.doctor_record`).

A `git add` rewrites git's index, which the sync stamp records, so doctor in a git repository compared the env
with the lock every time. After a healthy check it now records the stamp's identity and each distribution's
metadata file's; the next doctor skips the comparison only while all of them are what they were. Every way the
env can differ from the lock without the stamp seeing it (a metadata file git or a hand rewrote, in place or as
a new file) must still be found, and a report with any finding records nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corral.services import doctor_record
from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = [pytest.mark.integration, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]

_IMPORTED = """
import json, sys
from corral.cli.main import main
code = main(["doctor"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    """A synced project whose git index was written after the sync, and whose env is otherwise healthy."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha", "cowsay-lite"])
    lock_and_sync(root)
    for name in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for args in (["init", "-q"], ["add", "pyproject.toml"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def check(root: Path) -> tuple[list[str], bool]:
    """(the codes of the comparisons with the lock, whether the stamp or doctor's record vouched for the env).

    Other checks' findings (a seeded pip older than corral expects, where the test wheelhouse is not filled) do not
    keep a record from being written: it proves only what the two comparisons read.
    """
    report, target = diagnose(Context(cwd=root))
    return [c for c in report.codes() if c.startswith(("drift-", "lock-"))], target.sync_clean


def record(root: Path) -> Path:
    return doctor_record.record_file(Path(os.environ["CORRAL_HOME"]) / "cache", root / ".venv")


def settled(root: Path) -> None:
    """Wait until the env's stamp, pyvenv.cfg and metadata changed longer ago than the observation's margin."""
    import time

    env = root / ".venv"
    paths = [env / "corral-sync.json", env / "pyvenv.cfg", *(env / "lib").glob("python3.*/site-packages/*/METADATA")]
    for path in paths:
        ctime = path.stat().st_ctime_ns
        margin = 60_000_000 if ctime % 1_000_000 else 2_100_000_000  # doctor_record's 50 ms / 2 s, and a little
        time.sleep(max(0, ctime + margin - time.time_ns()) / 1e9)


def metadata(root: Path, name: str) -> Path:
    site = next((root / ".venv" / "lib").glob("python3.*/site-packages"))
    return next(site.glob(f"{name}-*.dist-info")) / "METADATA"


def with_version(path: Path, version: str) -> str:
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("Version: "))
    return text.replace(old, f"Version: {version}")


def vouched(root: Path) -> None:
    """A healthy check records the env; the next one is vouched for by the record."""
    settled(root)
    assert check(root) == ([], False)  # compared with the lock: healthy, recorded
    assert record(root).is_file()
    assert check(root) == ([], True)


def test_the_second_healthy_check_skips_the_comparison(project: Path) -> None:
    vouched(project)
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED], cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert "corral.services.sync.selection_cache" not in answer["modules"]
    assert "corral.services.lock_inputs" not in answer["modules"]
    assert "corral.doctor.drift" in answer["modules"]  # the check ran; the record answered it


@pytest.mark.parametrize("how", ["in place", "new file"])
def test_a_rewritten_metadata_file_is_drift_again(project: Path, how: str) -> None:
    """Git writes a new file (a new inode); an editor may write in place (a new mtime): both are seen."""
    vouched(project)
    meta = metadata(project, "cowsay_lite")
    text = with_version(meta, "99.0")
    if how == "in place":
        meta.write_text(text, encoding="utf-8")
    else:
        fresh = meta.with_name("METADATA.new")
        fresh.write_text(text, encoding="utf-8")
        fresh.replace(meta)
    settled(project)  # the margin alone must not be what finds it
    found, clean = check(project)
    assert "drift-version" in found and not clean, found


def test_a_same_size_metadata_edit_given_its_old_mtime_back_is_seen_through_its_inode(project: Path) -> None:
    """`cp -p`-like: same size, old mtime, but another file (what git and installers write)."""
    vouched(project)
    meta = metadata(project, "cowsay_lite")
    st = meta.stat()
    text = meta.read_text(encoding="utf-8")
    version = next(line for line in text.splitlines() if line.startswith("Version: ")).removeprefix("Version: ")
    other = "9" * len(version)  # same length: same size
    fresh = meta.with_name("METADATA.new")
    fresh.write_text(text.replace(f"Version: {version}", f"Version: {other}"), encoding="utf-8")
    os.utime(fresh, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh.replace(meta)
    assert meta.stat().st_size == st.st_size
    settled(project)
    found, _ = check(project)
    assert "drift-version" in found, found


def test_a_removed_distribution_and_an_edited_pyproject_are_found(project: Path) -> None:
    vouched(project)
    shutil.rmtree(metadata(project, "alpha").parent)
    settled(project)
    found, _ = check(project)
    assert "drift-missing" in found, found
    text = (project / "pyproject.toml").read_text(encoding="utf-8").replace('"alpha"', '"alpha", "delta"')
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert "lock-stale" in check(project)[0]


def test_a_metadata_file_replaced_by_a_link_is_not_vouched_for_by_its_old_identity(project: Path) -> None:
    vouched(project)
    meta = metadata(project, "cowsay_lite")
    elsewhere = project.parent / "METADATA"
    elsewhere.write_text(with_version(meta, "99.0"), encoding="utf-8")
    meta.unlink()
    meta.symlink_to(elsewhere)
    settled(project)
    found, clean = check(project)
    assert "drift-version" in found and not clean, found


def test_a_comparison_that_finds_drift_records_nothing(project: Path) -> None:
    meta = metadata(project, "cowsay_lite")
    meta.write_text(with_version(meta, "99.0"), encoding="utf-8")
    settled(project)
    assert "drift-version" in check(project)[0]
    assert not record(project).exists()
    assert "drift-version" in check(project)[0]


def test_a_file_changed_within_the_margin_is_not_observed(tmp_path: Path) -> None:
    """The observation refuses a stat taken within a clock tick's margin of the file's last change."""
    path = tmp_path / "METADATA"
    path.write_text("Name: x\n", encoding="utf-8")
    st = path.stat()
    assert doctor_record._row(path, st.st_ctime_ns) is None  # noqa: SLF001 - the margin rule itself
    later = doctor_record._row(path, st.st_ctime_ns + 3_000_000_000)  # noqa: SLF001
    assert later is not None and later[3] == st.st_ino
    assert doctor_record._row(tmp_path / "gone", 0) == [str(tmp_path / "gone")]  # noqa: SLF001 - an absence


def test_no_environment_yet_says_so_and_how_to_make_it(tmp_path: Path, corral: object) -> None:
    """Doctor in a project without its `.venv` names the missing env and `corral sync`, not pyvenv.cfg; exit 1."""
    root = make_project(tmp_path / "fresh", [])
    done = corral("doctor", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 1
    assert "the project has no environment yet" in done.stderr, done.stderr
    assert "`corral sync` creates it" in done.stderr
    assert "pyvenv.cfg" not in done.stderr
    (root / ".venv").mkdir()  # a folder that is no env: named as such
    done = corral("doctor", cwd=root)  # type: ignore[operator]
    assert done.exit_code == 1
    assert "is not a Python environment (no pyvenv.cfg)" in done.stderr, done.stderr
    done = corral("doctor", str(tmp_path / "nowhere"), cwd=root)  # type: ignore[operator]
    assert done.exit_code == 1
    assert "does not exist; pass the folder of an env" in done.stderr, done.stderr


def test_another_checks_finding_does_not_keep_the_comparisons_from_being_recorded(project: Path) -> None:
    """The record proves what drift and lock-stale read; a finding of another check (here: no corral-env.json,
    not-made-by-corral) is found again each time, and the comparisons are still skipped."""
    (project / ".venv" / "corral-env.json").unlink()
    settled(project)
    report, target = diagnose(Context(cwd=project))
    assert "not-made-by-corral" in report.codes() and not target.sync_clean
    assert record(project).is_file()
    report, target = diagnose(Context(cwd=project))
    assert "not-made-by-corral" in report.codes() and target.sync_clean
