"""`corral doctor -q` on a healthy env prints nothing, on the full path and on the quick one; problems still print.

Found by a real-user tryout: `corral doctor -q` printed "ok: ENV is healthy" (the full path wrote it with out.line,
which -q does not silence, and the quick path replayed the recorded text for -q too).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.integration


def _doctor(root: Path, *args: str) -> tuple[int, str, str, bool]:
    """(exit code, stdout, stderr without import times, answered before argparse) of `corral doctor ARGS`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    imports = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    quick = not any(line.rsplit("|", 1)[1].strip() == "argparse" for line in imports)
    messages = "".join(line + "\n" for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return done.returncode, done.stdout, messages, quick


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha"])
    lock_and_sync(root)
    return root


@pytest.mark.parametrize("quiet", [["doctor", "-q"], ["doctor", "--quiet"], ["-q", "doctor"]])
def test_a_healthy_env_prints_nothing_under_quiet_on_both_paths(project: Path, quiet: list[str]) -> None:
    assert _doctor(project, *quiet)[:3] == (0, "", "")  # the full path
    for _ in range(40):  # the next one answers from the record once the inputs have settled
        code, out, err, quick = _doctor(project, *quiet)
        assert (code, out, err) == (0, "", "")
        if quick or quiet[0] == "-q":  # `corral -q doctor` always goes the full way
            break
        time.sleep(0.1)
    else:
        pytest.fail("doctor -q never answered from its record")
    assert _doctor(project, "doctor")[:3] == (0, f"ok: {project / '.venv'} is healthy\n", "")


def test_quiet_still_prints_a_problem_and_exits_1(project: Path) -> None:
    link = next(p for p in (project / ".venv" / "bin").iterdir() if p.name.startswith("python3."))
    link.unlink()
    code, out, _, _ = _doctor(project, "doctor", "-q")
    assert code == 1
    assert f"error   python-link-missing: {link} is missing" in out
