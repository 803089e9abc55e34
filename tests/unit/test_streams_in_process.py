"""`cli.streams`: the Ctrl-C handler changed only in corral's own process; `leave` ends it without the teardown.

A test (or a library caller) running `cli.main.main` in-process keeps its SIGINT handler: an ignored SIGINT would be
inherited by every program it starts afterwards (it broke the Ctrl-C trials that ran after an in-process `lock`).
"""

from __future__ import annotations

import signal
import subprocess
import sys

from corral.cli import streams


def test_in_process_the_handler_is_left_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    streams.point_of_no_return()
    assert signal.getsignal(signal.SIGINT) is before


def test_in_the_console_script_the_report_is_shielded() -> None:
    code = (
        "import signal\n"
        "from corral.cli import streams\n"
        "streams.guard_streams()\n"
        "streams.point_of_no_return()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def _leaving(body: str) -> subprocess.CompletedProcess[str]:
    code = "import atexit, sys, threading\nfrom corral.cli import streams\n" + body
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)


def test_leave_runs_the_exit_handlers_once_and_keeps_the_code() -> None:
    done = _leaving("atexit.register(lambda: print('handler ran'))\nprint('out', end='')\nstreams.leave(3)\n")
    assert done.returncode == 3
    assert done.stdout == "outhandler ran\n"


def test_leave_waits_for_a_running_thread_the_ordinary_way() -> None:
    body = (
        "import time\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=late).start()\n"
        "streams.leave(0)\n"
    )
    done = _leaving(body)
    assert done.returncode == 0
    assert done.stdout == "thread finished\n"
