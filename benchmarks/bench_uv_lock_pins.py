"""Benchmark: the first `corral lock` of a project that ships a uv.lock, against `uv lock` (opt-in: real index).

    python benchmarks/bench_uv_lock_pins.py SOURCE [--rounds 3] [--python 3.12]

SOURCE is a git checkout of a real project with a uv.lock (e.g. pallets/flask, fastapi/typer), cloned afresh for
every timed run. Per round, alternating who goes first, with warm caches (one untimed warm-up):

  corral          `corral lock` with the project's uv.lock there (its versions kept as preferences)
  corral-fresh    `corral lock` with uv.lock removed first (what round 11 did with it: a resolution from scratch)
  uv              `uv lock` with the project's uv.lock (uv checks its lock and keeps it)
  uv-fresh        `uv lock` with uv.lock removed first

It prints the medians, and for each way the number of packages locked and how many of their versions differ from
the project's uv.lock (corral: pylock.toml's packages; uv: the new uv.lock's). Not a test; only the stdlib is used;
tool runs are isolated from the machine's pip/uv configuration (corral's folders under the work folder).
"""

# A standalone script that reports on stdout: printing is its job.

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import environ, python_path, tool

try:
    import tomllib
except ImportError:  # Python < 3.11
    sys.exit("bench_uv_lock_pins: needs Python 3.11+ (tomllib)")

WAYS = ("corral", "corral-fresh", "uv", "uv-fresh")


def versions(path: Path, key: str) -> dict[str, set[str]]:
    """Name -> versions in a uv.lock (`package`) or pylock.toml (`packages`)."""
    found: dict[str, set[str]] = {}
    for package in tomllib.loads(path.read_text(encoding="utf-8")).get(key, []):
        if "version" in package:
            found.setdefault(package["name"], set()).add(package["version"])
    return found


def one(way: str, source: Path, work: Path, python: str) -> tuple[float, int, int]:
    """(seconds, packages locked, how many differ from the shipped uv.lock) of one way in a fresh clone."""
    shutil.rmtree(work / "p", ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(source), str(work / "p")], check=True)
    project = work / "p"
    shipped = versions(project / "uv.lock", "package")
    if way.endswith("-fresh"):
        (project / "uv.lock").unlink()
    env = environ(CORRAL_HOME=str(work / "home"), CORRAL_PYTHON=python)
    cmd = [tool("corral"), "lock", "-q"] if way.startswith("corral") else [tool("uv"), "lock", "-q", "--python", python]
    started = time.perf_counter()
    subprocess.run(cmd, cwd=project, env=env, check=True)
    took = time.perf_counter() - started
    locked = (
        versions(project / "pylock.toml", "packages")
        if way.startswith("corral")
        else versions(project / "uv.lock", "package")
    )
    differ = sum(1 for name, found in locked.items() if name in shipped and not found <= shipped[name])
    return took, sum(len(v) for v in locked.values()), differ


def main() -> None:
    """Parse the arguments, run the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a git checkout of a project with a uv.lock")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default="3.12")
    args = parser.parse_args()
    python = python_path(args.python)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    counts: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="corral-bench-uvlock-") as folder:
        work = Path(folder)
        for way in WAYS:  # warm-up: every cache filled, nothing timed
            one(way, args.source, work, python)
        for number in range(args.rounds):
            order = WAYS if number % 2 == 0 else tuple(reversed(WAYS))
            for way in order:
                took, packages, differ = one(way, args.source, work, python)
                times[way].append(took)
                counts[way] = (packages, differ)
    print(f"{args.source.name}, {args.rounds} rounds, warm caches, real index; median seconds")
    for way in WAYS:
        packages, differ = counts[way]
        print(f"  {way:13} {statistics.median(times[way]):6.2f} s  {packages:4} packages, {differ} not as uv.lock pins")


if __name__ == "__main__":
    main()
