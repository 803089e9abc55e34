#!/usr/bin/env python3
"""Set up a development checkout: .venv with corral (editable), the test and lint tools, and the test wheelhouse.

Usage: python3 tools/dev.py        (stdlib only; safe to run again: it only adds what is missing)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def _bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


def main() -> int:
    """Create/refresh .venv and fetch the wheelhouse."""
    if sys.version_info < (3, 10):
        sys.exit("corral needs Python 3.10 or newer to develop on")
    if not _bin("python").exists():
        print(f"creating {VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    python = str(_bin("python"))
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    # pip >= 25.1 installs PEP 735 dependency groups (--group).
    subprocess.run([*pip, "install", "-U", "pip>=25.1"], check=True)
    # test: pytest and what the suite drives; lint: the pinned ruff, mypy and import-linter that .ci/run runs
    subprocess.run([*pip, "install", "-e", str(ROOT), "--group", "test", "--group", "lint"], check=True, cwd=ROOT)
    subprocess.run([python, str(ROOT / "tools" / "fetch_wheelhouse.py")], check=True, cwd=ROOT)
    print(f"ready: run the tests with  {VENV.name}/bin/python -m pytest -n auto", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
