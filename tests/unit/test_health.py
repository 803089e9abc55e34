"""The doctor's model and its disk-only parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.core.health import Finding, Report
from corral.core.pyversion import python_version
from corral.doctor.interpreter import classify_change
from corral.doctor.relocation import activate_location, script_interpreter
from corral.toolchain.pip_floor import newest_pip_for


def test_finding_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Finding(code="x", severity="fatal", message="m")


def test_report_is_ok_with_info_only_and_sorts_errors_first() -> None:
    info = Finding(code="a", severity="info", message="m")
    warn = Finding(code="b", severity="warning", message="m", fix="corral sync")
    err = Finding(code="c", severity="error", message="m")
    assert Report(env="e", findings=(info,)).ok
    report = Report(env="e", findings=(info, warn, err))
    assert not report.ok
    assert [f.code for f in report.sorted()] == ["c", "b", "a"]
    assert report.to_dict()["findings"][1]["fix"] == "corral sync"


@pytest.mark.parametrize(
    ("recorded", "current", "kind"),
    [
        ("3.11.2", "3.11.7", "patch"),
        ("3.12.1", "3.13.0", "minor"),
        ("3.12.1", "3.12.1", "same"),
        ("2.7.18.final.0", "2.7.18", "same"),
        (None, "3.12.1", "unknown"),
    ],
)
def test_version_changes_are_classified(recorded: str | None, current: str, kind: str) -> None:
    assert classify_change(python_version(recorded), python_version(current)) == kind


def test_pip_expectations_follow_the_legacy_table() -> None:
    assert newest_pip_for((2, 7, 18)) == "20.3.4"
    assert newest_pip_for((3, 7, 16)) == "24.0"
    assert newest_pip_for((3, 13, 0)) == "26.1"


def test_shebangs_and_activate_are_read_from_the_first_bytes(tmp_path: Path) -> None:
    plain = tmp_path / "pip"
    plain.write_text("#!/old/env/bin/python\nimport sys\n")
    long = tmp_path / "tool"
    long.write_text("#!/bin/sh\n'''exec' \"/very/long/env/bin/python3\" \"$0\" \"$@\"\n' '''\nimport x\n")
    other = tmp_path / "sh"
    other.write_text("#!/bin/bash\necho hi\n")
    assert script_interpreter(plain) == "/old/env/bin/python"
    assert script_interpreter(long) == "/very/long/env/bin/python3"
    assert script_interpreter(other) is None
    (tmp_path / "activate").write_text("# x\nVIRTUAL_ENV='/a b/.venv'\nexport VIRTUAL_ENV\n")
    assert activate_location(tmp_path) == "/a b/.venv"


def test_activate_location_skips_computed_values(tmp_path: Path) -> None:
    from corral.infra.envfiles import activate_location

    (tmp_path / "activate").write_text(
        'if [ -n "$X" ]; then\n        VIRTUAL_ENV="$CURRENT_ENV"\nelse\n        VIRTUAL_ENV=/tmp/v21\nfi\n'
    )
    assert activate_location(tmp_path) == "/tmp/v21"  # noqa: S108 - a path read from the script, not used
    (tmp_path / "activate").write_text('VIRTUAL_ENV="$(dirname "$SCRIPT_PATH")"\n')
    assert activate_location(tmp_path) is None
