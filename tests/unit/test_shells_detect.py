"""Shell detection: names, the real parent process, and the $SHELL fallback."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from corral.shells.detect import canonical_name, detect_shell


@pytest.mark.parametrize(
    ("program", "name"),
    [
        ("bash", "bash"),
        ("-bash", "bash"),
        ("/usr/bin/zsh", "zsh"),
        ("ksh93", "ksh"),
        ("mksh", "ksh"),
        ("dash", "sh"),
        ("csh", "tcsh"),
        ("pwsh.exe", "pwsh"),
        ("powershell.exe", "pwsh"),
        ("cmd.exe", "cmd"),
        ("xonsh --no-rc -", "xonsh"),
        ("nu", "nu"),
        ("fish", "fish"),
        ("zsh-5.9", "zsh"),
        ("python3", None),
    ],
)
def test_canonical_names(program: str, name: str | None) -> None:
    assert canonical_name(program) == name


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_parent_shell_is_detected(shell: str) -> None:
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} missing")
    probe = f"{sys.executable} -c 'from corral.shells.detect import detect_shell; print(detect_shell().name)'"
    # a second command keeps the shell from exec-ing python in its own place
    done = subprocess.run([exe, "-c", f"{probe}; true"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == shell


def test_shell_variable_is_the_fallback() -> None:
    found = detect_shell({"SHELL": "/usr/local/bin/fish"}, parent=1)
    assert found is not None
    assert (found.name, found.source) == ("fish", "$SHELL")


def test_nothing_known_gives_none() -> None:
    assert detect_shell({"SHELL": "/bin/false"}, parent=1) is None
