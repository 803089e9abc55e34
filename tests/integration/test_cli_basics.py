from __future__ import annotations

import subprocess

import pytest

from conftest import corral_exe

pytestmark = pytest.mark.integration


def test_python_dash_m_corral_help_lists_every_command() -> None:
    from corral.cli.main import COMMANDS, HIDDEN

    done = subprocess.run([*corral_exe(), "--help"], capture_output=True, text=True, check=True)
    for name in COMMANDS:
        assert (f"  {name} " in done.stdout) is (name not in HIDDEN)
    assert "hook-eval" not in done.stdout


def test_version() -> None:
    from corral import __version__

    done = subprocess.run([*corral_exe(), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"corral {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run([*corral_exe(), "frobnicate"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "unknown command 'frobnicate'; `corral --help` lists the commands" in done.stderr


def test_errors_have_no_traceback_unless_verbose(tmp_path: object) -> None:
    quiet = subprocess.run([*corral_exe(), "python", "find", "9.9"], capture_output=True, text=True, check=False)
    assert quiet.returncode == 2
    assert "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") == 1
    loud = subprocess.run([*corral_exe(), "-v", "python", "find", "9.9"], capture_output=True, text=True, check=False)
    assert "Traceback" in loud.stderr
