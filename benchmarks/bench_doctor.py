"""`corral doctor` on a healthy env: wall time of a fresh process (not a test: timings vary with the machine's load).

    python benchmarks/bench_doctor.py [--python 3.12] [--rounds 15]

Setup (untimed; needs the package index once, for `six`): a project made by `corral init`, with `six` added, so
the env is synced and stamped. Each round then runs `corral doctor` in a new process and times it. On a healthy env
doctor reads files only and starts no interpreter (tests/integration/test_doctor.py checks that part); target
(issue 16): median under 100 ms. Measured 2026-12-01 (load 3, 2 cores): 114 ms median, 115 ms of CPU, against
43 ms for `corral --version` and 15 ms for a quick no-op sync: imports dominate (dataclasses+inspect ~15 ms, the
kernels check's registry and services ~35 M of 348 M instructions, argparse, tomllib, pathlib).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    """Print the median, the fastest and the slowest round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="interpreter spec for the project (default 3.12)")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    corral = [sys.executable, "-m", "corral"]
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        root = Path(tmp) / "proj"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "VIRTUAL_ENV"))}
        env["CORRAL_HOME"] = str(Path(tmp) / "home")
        for step in (["init", "--python", args.python, str(root)], ["-C", str(root), "add", "six"]):
            subprocess.run([*corral, *step], env=env, cwd=tmp, check=True, capture_output=True)
        samples = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            done = subprocess.run([*corral, "doctor"], env=env, cwd=root, check=False, capture_output=True, text=True)
            samples.append(time.perf_counter() - start)
            if done.returncode != 0:
                print(f"doctor did not find the env healthy:\n{done.stdout}{done.stderr}")
                return 1
    median = statistics.median(samples)
    print(
        f"corral doctor on a healthy env, {args.rounds} fresh processes: median {median * 1000:.0f} ms "
        f"(fastest {min(samples) * 1000:.0f} ms, slowest {max(samples) * 1000:.0f} ms; target: median < 100 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
