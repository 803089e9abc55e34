"""resolvers.uv_headstart.Spawned: the head start's `uv lock` as the resolver's Popen would run and report it.

Real child processes (this interpreter): output captured as Popen's text mode gives it, exit codes and signals as
Popen reports them, SIGPIPE back to its default and no inheritable descriptor passed on (Popen's close_fds).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from corral.resolvers.uv_headstart import Spawned

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memfd_create and posix_spawn")


def _both(code: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of `code` run by Spawned, then by the resolver's Popen."""
    return _both_argv([sys.executable, "-c", code])


def _both_argv(argv: list[str]) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    with Spawned.start(argv, dict(os.environ)) as child:
        out, err = child.communicate()
    popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    with popen:
        theirs = popen.communicate()
    return (child.wait(), out, err), (popen.returncode, *theirs)


@pytest.mark.parametrize(
    "code",
    [
        "print('resolved')",
        "import sys; sys.stdout.buffer.write(b'a\\r\\nb\\rc\\xff\\xfe'); sys.stderr.write('error: no\\n'); sys.exit(2)",
        "import sys; sys.stderr.write('x' * 300000); sys.exit(1)",  # more than a pipe holds: a memory file never fills
        "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
    ],
)
def test_it_reports_what_popen_reports(code: str) -> None:
    mine, popen = _both(code)
    assert mine == popen


def test_the_signals_python_ignores_are_back_to_their_default_in_the_program() -> None:
    """Python ignores SIGPIPE and SIGXFSZ, and an ignored signal is inherited through exec: Popen restores them.

    (Only those two are compared: glibc's posix_spawn leaves its own internal signals 32 and 33 ignored in a child
    of a process with threads, as this test's is; glibc sets them up again when the program needs them.)
    """
    grep = shutil.which("grep")
    assert grep is not None
    python_ignores = (1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))
    mine, popen = _both_argv([grep, "SigIgn", "/proc/self/status"])
    assert int(mine[1].split()[1], 16) & python_ignores == int(popen[1].split()[1], 16) & python_ignores == 0


def test_a_killed_program_and_no_inherited_descriptor() -> None:
    read, write = os.pipe()
    os.set_inheritable(write, True)  # what a careless parent leaves open
    try:
        code = f"import os\ntry:\n    os.fstat({write})\n    print('inherited')\nexcept OSError:\n    print('closed')"
        with Spawned.start([sys.executable, "-c", code], dict(os.environ)) as child:
            assert child.communicate() == ("closed\n", "")
    finally:
        os.close(read)
        os.close(write)
    with Spawned.start([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ)) as child:
        child.kill()
        assert child.wait() == -9
        child.kill()  # waited for: nothing is signalled any more
