"""Benchmark: a 215-package data stack, corral vs uv (not a test; needs the real index once).

    python benchmarks/bench_bigstack.py [--python 3.12] [--rounds 2] [--sizes [7,16,19,20,23]]

The stack is `jupyterlab pandas scikit-learn matplotlib "dask[complete]"` and 18 more (STACK: 215 distributions on
Linux, a 1.1 MB pylock.toml). One warm-up round fills every cache
and is not counted; each timed round runs, corral and uv alternately, in fresh project folders:

  add          `corral add <stack>` into an empty project   vs `uv add <stack>`    (lock + install)
  lock-fresh   `corral lock` with no lock file               vs `uv lock`
  sync-fresh   `corral sync` into a new .venv (CORRAL_SEED=0) vs `uv sync --locked --offline`

and, in this process, how long corral takes to choose the env's files from the 1+ MB pylock.toml: parsing and
selecting (a first sync of that lock) and the selection cache's answer (every later one).

`--sizes` measures the same for the first N requirements of STACK, for each N given (default 7,16,19,20,23: about
30, 60, 100, 150 and 215 distributions), and prints one table of how each path grows with the stack.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_projects import run
from bench_sync import environ, python_path, tool

STACK = [  # ordered so that its prefixes make the --sizes steps (first N: about 30, 60, 100, 150, 215 distributions)
    "pandas",
    "matplotlib",
    "scikit-learn",
    "sqlalchemy",
    "alembic",
    "pytest",
    "mypy",
    "seaborn",
    "statsmodels",
    "sympy",
    "plotly",
    "xarray",
    "polars",
    "numba",
    "boto3",
    "black",
    "sphinx",
    "altair",
    "ipywidgets",
    "fastapi[standard]",
    "jupyterlab",
    "dask[complete]",
    "streamlit",
]
SIZES = (7, 16, 19, 20, 23)


def project(folder: Path, minor: str) -> Path:
    """An empty project (no dependencies yet)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "datastack"\nversion = "0.1.0"\nrequires-python = ">={minor}"\ndependencies = []\n',
        encoding="utf-8",
    )
    return folder


def selection_times(lock: Path, python: str) -> tuple[float, float]:
    """(parse + select, selection cache hit) in seconds for `lock` and the interpreter `python`."""
    from corral.core.selection import Selection  # noqa: PLC0415
    from corral.services.context import Context  # noqa: PLC0415
    from corral.services.sync.selection_cache import choose  # noqa: PLC0415

    target = Context(cwd=lock.parent).finder.from_path(Path(python))
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        choose(lock, target=target, selection=Selection(), selection_key="bench", cache_dir=Path(cache))
        first = time.perf_counter() - start
        start = time.perf_counter()
        choose(lock, target=target, selection=Selection(), selection_key="bench", cache_dir=Path(cache))
        return first, time.perf_counter() - start


Times = dict[tuple[str, str], list[float]]


def measure(stack: list[str], rounds: int, python: str, minor: str) -> tuple[Times, int, float, float, float]:
    """(times per (path, who), distributions installed, pylock.toml MB, first selection s, cached selection s)."""
    work = Path(tempfile.mkdtemp(prefix="corral-bench-bigstack-"))
    corral, uv = tool("corral"), tool("uv")
    corral_env, uv_env = environ(CORRAL_PYTHON=python, CORRAL_SEED="0"), environ()
    paths = {
        "add": ([corral, "add", "-q", *stack], [uv, "add", "-q", "--python", python, *stack], "project"),
        "lock-fresh": ([corral, "lock", "-q"], [uv, "lock", "-q", "--python", python], "lock"),
        "sync-fresh": ([corral, "sync", "-q"], [uv, "sync", "--locked", "--offline", "-q", "--python", python], "venv"),
    }
    times: Times = {(p, w): [] for p in paths for w in ("corral", "uv")}
    for round_no in range(rounds + 1):
        print(f"{len(stack)} requirements: round {round_no}/{rounds} ...", file=sys.stderr)
        for path, (corral_cmd, uv_cmd, reset) in paths.items():
            order = [("corral", corral_cmd, corral_env), ("uv", uv_cmd, uv_env)]
            for who, cmd, env in order if round_no % 2 else order[::-1]:
                folder = work / who
                if reset == "project":
                    project(folder, minor)
                elif reset == "lock":
                    for name in ("pylock.toml", "uv.lock"):
                        (folder / name).unlink(missing_ok=True)
                else:
                    shutil.rmtree(folder / ".venv", ignore_errors=True)
                took = run(cmd if round_no else [c for c in cmd if c != "--offline"], folder, env)
                if round_no:
                    times[path, who].append(took)
    lock = work / "corral" / "pylock.toml"
    count = len(list((work / "uv" / ".venv").glob("lib/*/site-packages/*.dist-info")))
    first, cached = selection_times(lock, python)
    size = lock.stat().st_size / 1e6
    shutil.rmtree(work, ignore_errors=True)
    return times, count, size, first, cached


def medians(times: Times, path: str) -> tuple[float, float, float]:
    """(corral median s, uv median s, median of the paired ratios)."""
    mine, theirs = times[path, "corral"], times[path, "uv"]
    ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return statistics.median(mine), statistics.median(theirs), ratio


PATHS = ("add", "lock-fresh", "sync-fresh")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--sizes",
        nargs="?",
        const=",".join(map(str, SIZES)),
        help="comma-separated numbers of STACK's first requirements; one table of every size",
    )
    opts = parser.parse_args()
    python = python_path(opts.python)
    minor = ".".join(opts.python.split(".")[:2])
    if opts.sizes:
        rows = [(n, *measure(STACK[:n], opts.rounds, python, minor)) for n in map(int, opts.sizes.split(","))]
        print(f"\nPython {python}, {opts.rounds} rounds, warm caches; each cell corral/uv seconds, ratio\n")
        head = f"{'reqs':>4}{'dists':>6}{'MB':>5}" + "".join(f"{p:>20}" for p in PATHS) + f"{'select ms':>16}"
        print(head)
        for n, times, count, size, first, cached in rows:
            cells = "".join(f"{f'{a:.2f}/{b:.2f} {r:.2f}x':>20}" for a, b, r in (medians(times, p) for p in PATHS))
            print(f"{n:>4}{count:>6}{size:>5.1f}{cells}{f'{first * 1000:.0f} / {cached * 1000:.1f}':>16}")
        print("\n(select ms: parsing and choosing / from the selection cache)")
        return
    times, count, size, first, cached = measure(STACK, opts.rounds, python, minor)
    print(f"\n{count} distributions, pylock.toml {size:.1f} MB, Python {python}, {opts.rounds} rounds, warm caches\n")
    print(f"{'path':<12}{'corral':>10}{'uv':>10}{'ratio':>8}")
    for path in PATHS:
        mine, theirs, ratio = medians(times, path)
        print(f"{path:<12}{mine:>9.2f}s{theirs:>9.2f}s{ratio:>7.2f}x")
    print(
        f"\nselection from pylock.toml: {first * 1000:.0f} ms parsing and choosing, {cached * 1000:.1f} ms "
        "from the selection cache"
    )


if __name__ == "__main__":
    main()
