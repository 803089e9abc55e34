#!/usr/bin/env python3
"""Install corral from this clone into its own environment and put `corral` on PATH.

Works on a fresh machine whose system Python is externally managed (PEP 668): nothing is installed into
that Python; corral gets a private venv under the user's data folder and a link in ~/.local/bin.

Usage: python3 tools/install.py [--prefix DIR] [--bin-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_prefix() -> Path:
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "corral" / "app"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "corral" / "app"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "corral" / "app"


def main() -> int:
    """Create the private env, install corral into it, link the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, default=_default_prefix(), help="where corral's own env lives")
    parser.add_argument("--bin-dir", type=Path, default=Path.home() / ".local" / "bin", help="where `corral` goes")
    args = parser.parse_args()
    if sys.version_info < (3, 10):
        sys.exit("corral needs Python 3.10 or newer; run this script with a newer python3")
    scripts = args.prefix / ("Scripts" if os.name == "nt" else "bin")
    if args.prefix.exists() and not (args.prefix / "pyvenv.cfg").exists():
        sys.exit(f"{args.prefix} exists and is not an environment; pass --prefix elsewhere")
    if not args.prefix.exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.prefix)], check=True)
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-U", str(ROOT)], check=True
    )
    args.bin_dir.mkdir(parents=True, exist_ok=True)
    exe = scripts / ("corral.exe" if os.name == "nt" else "corral")
    link = args.bin_dir / exe.name
    if link.is_symlink() or link.exists():
        link.unlink()
    try:
        link.symlink_to(exe)
    except OSError:
        shutil.copy2(exe, link)
    print(f"installed: {link} -> {exe}")
    if str(args.bin_dir) not in os.environ.get("PATH", "").split(os.pathsep):
        print(f"add {args.bin_dir} to PATH, e.g. echo 'export PATH=\"{args.bin_dir}:$PATH\"' >> ~/.bashrc")
    return 0


if __name__ == "__main__":
    sys.exit(main())
