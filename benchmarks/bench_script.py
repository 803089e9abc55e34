"""Warm `corral run script.py` (PEP 723) against running the same script with the same Python directly.

Usage: python benchmarks/bench_script.py [--rounds N]

The script has one real dependency (six, from the package index: the first, cold run needs the network or a
warm uv cache); the figure that matters is the warm re-run, which must add little over `python script.py`
(target: within 60 ms).
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

SCRIPT = """# /// script
# requires-python = ">=3.9"
# dependencies = ["six"]
# ///
import six
"""


def _time(cmd: list[str], env: dict[str, str], cwd: Path, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    """Print medians and the difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        root = Path(tmp)
        env = dict(os.environ, CORRAL_HOME=str(root / "home"))
        (root / "s.py").write_text(SCRIPT)
        corral = [sys.executable, "-m", "corral"]
        subprocess.run([*corral, "run", "s.py"], env=env, cwd=root, check=True)  # cold: builds the env
        envs = list((root / "home" / "cache" / "envs").glob("script-*"))
        python = str(next(e for e in envs if e.is_dir()) / "bin" / "python")
        direct = _time([python, "s.py"], env, root, args.rounds)
        warm = _time([*corral, "run", "s.py"], env, root, args.rounds)
    d, w = statistics.median(direct), statistics.median(warm)
    print(f"python s.py (the script env's python): median {d * 1000:.1f} ms")
    print(f"corral run s.py (warm cache):          median {w * 1000:.1f} ms")
    print(f"overhead: {(w - d) * 1000:.1f} ms  (target: <= 60 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
