"""Warm `corral run script.py` (PEP 723) against `uv run script.py` and the script env's own python, in one run.

Usage: python benchmarks/bench_script.py [--rounds N] [--python 3.12] [--baseline PYTHON] [--pinned] [--table]

The script has one real dependency (six, from the package index: the first, cold run of each tool needs the network
or a warm uv cache; it is not timed). Then every round runs, alternately (who goes first alternates), the script
env's python directly, `corral run s.py` (the console script beside this interpreter, as a user runs it), `uv run s.py`
and, with `--baseline PYTHON` (another corral's interpreter: the code before a change), that corral too. It prints
the medians (wall and CPU time) and the median of the paired ratios against uv. A warm re-run must add little over
`python s.py` (target: within 60 ms) and be no slower than uv's. corral keeps its folders under the work folder
(CORRAL_HOME) and the machine's pip/uv settings are dropped; uv's cache is the user's (a warm one saves the download).
`--pinned`: the work folder holds a `.python-version` naming the Python (as a pyenv user's project does) instead of
CORRAL_PYTHON naming it; uv reads that file too. `--table`: the work folder is a project whose pyproject.toml has a
`[tool.corral]` table (`seed = false`), which the quick path must read to know it names no interpreter or index.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import environ, python_path, tool

SCRIPT = """# /// script
# requires-python = ">=3.9"
# dependencies = ["six"]
# ///
import six
"""


PROJECT = '[project]\nname = "bench"\nversion = "1"\nrequires-python = ">=3.9"\n\n[tool.corral]\nseed = false\n'


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system of the process and what it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> int:
    """Print the medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--baseline", help="another corral's python, timed as 'before'")
    parser.add_argument("--pinned", action="store_true", help="a .python-version names the Python, not CORRAL_PYTHON")
    parser.add_argument("--table", action="store_true", help="a project with a [tool.corral] table around the script")
    args = parser.parse_args()
    python = python_path(args.python)
    with tempfile.TemporaryDirectory(prefix="corral-bench-script-") as tmp:
        root = Path(tmp)
        (root / "s.py").write_text(SCRIPT)
        if args.table:
            (root / "pyproject.toml").write_text(PROJECT)
        chosen = {} if args.pinned else {"CORRAL_PYTHON": python}
        if args.pinned:
            probe = [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
            version = subprocess.run(probe, check=True, capture_output=True, text=True)
            (root / ".python-version").write_text(version.stdout)
        corral_env = environ(CORRAL_HOME=str(root / "home"), **chosen)
        ways = {"corral": ([tool("corral"), "run", "s.py"], corral_env)}
        if args.baseline:
            before_env = environ(CORRAL_HOME=str(root / "before-home"), **chosen)
            ways["before"] = ([str(Path(args.baseline).parent / "corral"), "run", "s.py"], before_env)
        pick = [] if args.pinned else ["--python", python]
        ways["uv"] = ([tool("uv"), "run", "-q", *pick, "s.py"], environ())
        for cmd, env in ways.values():  # cold: each builds its env (not timed)
            subprocess.run(cmd, env=env, cwd=root, check=True, stdout=subprocess.DEVNULL)
        built = next(e for e in (root / "home" / "cache" / "envs").glob("script-*") if e.is_dir())
        ways = {"python": ([str(built / "bin" / "python"), "s.py"], corral_env), **ways}
        times: dict[str, list[tuple[float, float]]] = {who: [] for who in ways}
        for number in range(args.rounds):
            order = list(ways.items())
            for who, (cmd, env) in order if number % 2 else order[::-1]:
                times[who].append(timed(cmd, env, root))
    print(f"Python {python}, {args.rounds} rounds, warm caches; medians in ms (wall / CPU), ratio against uv\n")
    for who, samples in times.items():
        wall = statistics.median(w for w, _ in samples) * 1000
        cpu = statistics.median(c for _, c in samples) * 1000
        ratio = statistics.median(a[0] / b[0] for a, b in zip(samples, times["uv"], strict=True))
        print(f"  {who:<8} {wall:7.1f} / {cpu:6.1f}   {ratio:5.2f}x")
    over = statistics.median(c[0] - p[0] for c, p in zip(times["corral"], times["python"], strict=True)) * 1000
    print(f"\ncorral over the script env's own python: {over:.1f} ms (target: <= 60 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
