"""Doctor when the sync stamp no longer vouches for the env (a `git add` since the sync): the same findings, cheaper.

The drift check then compares the env with the lock. It takes the lock's selection the way a sync does, through
`services.sync.selection_cache` (the sync remembered it: no TOML parse, no `packaging`), and the lock-stale check
compares inputs-hashes through `services.lock_inputs` (no resolver). Each finding the full computation gives must
still be found, with the remembered selection and without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corral.services.context import Context
from corral.services.doctor import diagnose
from support.envs import lock_and_sync, make_project

pytestmark = [pytest.mark.integration, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]

_IMPORTED = """
import sys
from corral.cli.main import main
main(["doctor"])
print(json.dumps({"modules": sorted(sys.modules)}))
""".replace("import sys", "import json, sys", 1)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    """A synced project whose git index was written after the sync: the stamp proves nothing any more."""
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
    _, target = diagnose(Context(cwd=root))
    assert not target.sync_clean  # the git index changed since the sync
    return root


def codes(root: Path) -> list[str]:
    report, _ = diagnose(Context(cwd=root))
    return report.codes()


def choices(root: Path) -> list[Path]:
    return sorted((Path(os.environ["CORRAL_HOME"]) / "cache" / "lock-choices").glob("*.json"))


def test_healthy_without_the_stamp_and_without_packaging_or_the_resolver(project: Path) -> None:
    assert choices(project), "the sync remembered its selection"
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED], cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    modules = set(json.loads(done.stdout.strip().splitlines()[-1])["modules"])
    found = codes(project)  # (a seeded pip older than corral expects is another check's finding)
    assert not [c for c in found if c.startswith(("drift-", "lock-"))], found
    assert "corral.doctor.drift" in modules  # the drift check ran and compared
    assert not {m for m in modules if m == "packaging" or m.startswith("packaging.")}
    assert "corral.services.lock" not in modules
    assert "corral.resolvers.uv" not in modules


@pytest.mark.parametrize("remembered", [True, False])
def test_drift_and_a_stale_lock_are_found_as_before(project: Path, remembered: bool) -> None:
    if not remembered:
        for path in choices(project):
            path.unlink()
    site = next((project / ".venv" / "lib").glob("python3.*/site-packages"))
    shutil.rmtree(next(site.glob("alpha-*.dist-info")))  # alpha's files stay, its record is gone
    metadata = next(site.glob("cowsay_lite-*.dist-info")) / "METADATA"
    text = metadata.read_text(encoding="utf-8")
    version = next(line for line in text.splitlines() if line.startswith("Version: "))
    metadata.write_text(text.replace(version, "Version: 99.0"), encoding="utf-8")
    found = codes(project)
    assert "drift-missing" in found and "drift-version" in found, found
    assert choices(project)  # computed and remembered when it was not
    text = (project / "pyproject.toml").read_text(encoding="utf-8").replace('"alpha"', '"alpha", "delta"')
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert "lock-stale" in codes(project)


def test_doctor_checks_with_the_collector_off_and_gives_it_back(
    project: Path, corral: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Doctor without --fix runs its checks with the cyclic collector off (it only reads); an in-process caller gets
    the collector back as it was."""
    import gc

    import corral.services.doctor as service

    checked = service.run_checks
    during: list[bool] = []

    def run_checks(target: object) -> object:
        during.append(gc.isenabled())
        return checked(target)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "run_checks", run_checks)
    assert gc.isenabled()
    done = corral("doctor", cwd=project)  # type: ignore[operator]
    assert "drift-" not in done.stdout, done.stdout
    assert during == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        corral("doctor", cwd=project)  # type: ignore[operator]
        assert not gc.isenabled()  # nor switched on behind a caller that had it off
    finally:
        gc.enable()
