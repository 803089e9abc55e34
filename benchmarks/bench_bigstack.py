"""Benchmark: a 215-package data stack, corral vs uv (not a test; needs the real index once).

    python benchmarks/bench_bigstack.py [--python 3.12] [--rounds 2] [--sizes [7,16,19,20,23]] [--cache-dir DIR]
    python benchmarks/bench_bigstack.py --select-only PYLOCK [--python 3.12] [--rounds 7] [--baseline PYTHON]

The stack is `jupyterlab pandas scikit-learn matplotlib "dask[complete]"` and 18 more (STACK: 215 distributions on
Linux, a 1.1 MB pylock.toml). One warm-up round fills every cache
and is not counted; each timed round runs, corral and uv alternately, in fresh project folders:

  add          `corral add <stack>` into an empty project   vs `uv add <stack>`    (lock + install)
  lock-fresh   `corral lock` with no lock file               vs `uv lock`
  sync-fresh   `corral sync` into a new .venv (CORRAL_SEED=0) vs `uv sync --locked --offline`
  add-one      `corral add humanize` to the locked and synced stack vs `uv add humanize` (each round then removes it
               again, untimed, with the same tool)

and, in this process, how long corral takes to choose the env's files from the 1+ MB pylock.toml: parsing and
selecting (the first sync of a lock that came by `git pull`), after `corral lock` wrote it (it primes the selection
cache: `selection_cache.prime`), and the selection cache's answer (every later sync). The lock is also read by
`core.pylock_read` and by tomllib: the two must give the same data (exactness first).

`--select-only PYLOCK` measures only the selection figures, on a kept lock (a new process per round, medians of
--rounds): the three above, and the first choice in a new process with its imports (wall and CPU time). It first
checks that the fast path (`core.pylock_scan`) chooses from the lock exactly what tomllib + `select_packages` choose.
`--baseline PYTHON` (another corral's interpreter: the code before a change) runs the same rounds alternately.

`--sizes` measures the same for the first N requirements of STACK, for each N given (default 7,16,19,20,23: about
30, 60, 100, 150 and 215 distributions), and prints one table of how each path grows with the stack.
`--cache-dir DIR` gives both tools a uv cache of their own there (UV_CACHE_DIR) and corral a CORRAL_HOME beside it,
so the warm-up's downloads (about 1 GB) do not land in the user's caches; delete DIR afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import statistics
import subprocess
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
ONE = "humanize"  # in none of STACK's locks: `add-one` adds it to a locked, synced stack


def project(folder: Path, minor: str) -> Path:
    """An empty project (no dependencies yet)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "datastack"\nversion = "0.1.0"\nrequires-python = ">={minor}"\ndependencies = []\n',
        encoding="utf-8",
    )
    return folder


def selection_times(lock: Path, python: str, cpu_times: list[float] | None = None) -> tuple[float, float, float]:
    """(first sync of a pulled lock, first sync after `corral lock` wrote it, selection cache hit) in seconds.

    Each starts from this process's memory cleared, as a new `corral sync` process does. `cpu_times` receives the
    CPU time of each (pulled, cached, primed).
    """
    cpu_times = [] if cpu_times is None else cpu_times
    from corral.core.selection import Selection  # noqa: PLC0415
    from corral.services.context import Context  # noqa: PLC0415
    from corral.services.sync import selection_cache  # noqa: PLC0415

    def forget() -> None:  # a new process remembers nothing (a baseline corral may lack some of these)
        for memo in ("_LAST_PARSED", "_CHECKED_HERE", "_LAST_SCANNED"):
            getattr(selection_cache, memo, {}).clear()

    def choose(cache: Path) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        selection_cache.choose(lock, target=target, selection=Selection(), selection_key="bench", cache_dir=cache)
        cpu_times.append(time.process_time() - cpu)
        return time.perf_counter() - start

    target = Context(cwd=lock.parent).finder.from_path(Path(python))
    with tempfile.TemporaryDirectory() as folder:
        forget()
        first = choose(Path(folder) / "pulled" / "lock-choices")
        cached = choose(Path(folder) / "pulled" / "lock-choices")
        forget()
        primed_cache = Path(folder) / "locked" / "lock-choices"
        text = lock.read_text(encoding="utf-8")
        selection_cache.prime(text, lock, target=target, selections=[(Selection(), "bench")], cache_dir=primed_cache)
        forget()
        primed = choose(primed_cache)
    return first, primed, cached


def same_data(lock: Path) -> bool:
    """core.pylock_read reads `lock` to exactly tomllib's data."""
    tomllib = importlib.import_module("tomllib")  # 3.11+ (the benchmarks' Python); mypy checks for 3.10

    from corral.core.pylock_read import read_canonical  # noqa: PLC0415

    text = lock.read_text(encoding="utf-8")
    found = read_canonical(text)
    expected = tomllib.loads(text)
    return found is not None and found == expected and repr(found) == repr(expected)


def same_choice(lock: Path, python: str) -> bool:
    """core.pylock_scan + select_scanned choose from `lock` exactly what tomllib + select_packages choose."""
    tomllib = importlib.import_module("tomllib")  # 3.11+ (the benchmarks' Python); mypy checks for 3.10

    from corral.core.pylock_scan import scan  # noqa: PLC0415
    from corral.core.pylock_select import select_packages, select_scanned  # noqa: PLC0415
    from corral.core.selection import Selection  # noqa: PLC0415
    from corral.services.context import Context  # noqa: PLC0415

    text = lock.read_text(encoding="utf-8")
    target = Context(cwd=lock.parent).finder.from_path(Path(python))
    scanned = scan(text)
    fast = scanned and select_scanned(scanned, target=target, selection=Selection())
    slow = select_packages(tomllib.loads(text), target=target, selection=Selection(), lock_dir=lock.parent)
    return fast == slow


def select_round(lock: Path, python: str) -> None:
    """One process's figures as JSON: the first choice in a new process (imports included), then the in-process ones."""
    start = time.perf_counter()
    cpu = time.process_time()
    from corral.core.selection import Selection  # noqa: PLC0415
    from corral.services.context import Context  # noqa: PLC0415
    from corral.services.sync import selection_cache  # noqa: PLC0415

    target = Context(cwd=lock.parent).finder.from_path(Path(python))
    setup, setup_cpu = time.perf_counter() - start, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as folder:
        start, cpu = time.perf_counter(), time.process_time()
        cache = Path(folder) / "lock-choices"
        selection_cache.choose(lock, target=target, selection=Selection(), selection_key="bench", cache_dir=cache)
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    selection_times(lock, python)  # a warm-up: the imports and the interpreter's own caches
    cpu_times: list[float] = []
    first, primed, cached = selection_times(lock, python, cpu_times)
    row = {"cold": cold, "cold_cpu": cold_cpu, "setup": setup, "setup_cpu": setup_cpu}
    row |= {"first": first, "primed": primed, "cached": cached}
    row |= {"first_cpu": cpu_times[0], "cached_cpu": cpu_times[1], "primed_cpu": cpu_times[2]}
    print(json.dumps(row))


def select_only(lock: Path, python: str, rounds: int, baseline: str | None) -> None:
    """The selection figures alone, medians of `rounds` (a new process per round; the baseline's alternately)."""
    if not same_data(lock):
        sys.exit(f"bench_bigstack: core.pylock_read does not read {lock} to tomllib's data")
    if not same_choice(lock, python):
        sys.exit(f"bench_bigstack: the fast path does not choose from {lock} what the general path chooses")
    runners = {"after": sys.executable, **({"before": baseline} if baseline else {})}
    rows: dict[str, list[dict[str, float]]] = {who: [] for who in runners}
    for number in range(rounds):
        order = list(runners.items())
        for who, interpreter in order if number % 2 else order[::-1]:
            cmd = [interpreter, __file__, "--select-round", str(lock), "--python", python]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows[who].append(json.loads(done.stdout.splitlines()[-1]))
    size = lock.stat().st_size / 1e6
    print(f"{lock} ({size:.2f} MB), Python {python}, medians of {rounds} rounds (a process each), ms:")
    print(f"{'':54}" + "".join(f"{who:>10}" for who in rows) + ("     ratio" if baseline else ""))
    labels = {
        "first": "first sync of a pulled lock (cold selection cache)",
        "first_cpu": "  the same, CPU time",
        "primed": "first sync after `corral lock` wrote it",
        "primed_cpu": "  the same, CPU time",
        "cached": "every later sync (selection cache)",
        "cached_cpu": "  the same, CPU time",
        "cold": "pulled lock, first choice in a new process (imports)",
        "cold_cpu": "  the same, CPU time",
    }
    for key, label in labels.items():
        values = {who: statistics.median(r[key] for r in rows[who]) * 1000 for who in rows}
        cells = "".join(f"{v:>10.1f}" for v in values.values())
        if baseline:
            ratio = statistics.median(a[key] / b[key] for a, b in zip(rows["after"], rows["before"], strict=True))
            cells += f"{ratio:>9.2f}x"
        print(f"  {label:<52}{cells}")


Times = dict[tuple[str, str], list[float]]


def measure(
    stack: list[str], rounds: int, python: str, minor: str, cache_dir: Path | None = None
) -> tuple[Times, int, float, float, float, float]:
    """(times per (path, who), distributions, pylock.toml MB, and the selection s: first, after lock, cached)."""
    work = Path(tempfile.mkdtemp(prefix="corral-bench-bigstack-"))
    corral, uv = tool("corral"), tool("uv")
    own = {} if cache_dir is None else {"UV_CACHE_DIR": str(cache_dir / "uv")}
    home = {} if cache_dir is None else {"CORRAL_HOME": str(cache_dir / "corral-home")}
    corral_env, uv_env = environ(CORRAL_PYTHON=python, CORRAL_SEED="0", **own, **home), environ(**own)
    paths = {
        "add": ([corral, "add", "-q", *stack], [uv, "add", "-q", "--python", python, *stack], "project"),
        "lock-fresh": ([corral, "lock", "-q"], [uv, "lock", "-q", "--python", python], "lock"),
        "sync-fresh": ([corral, "sync", "-q"], [uv, "sync", "--locked", "--offline", "-q", "--python", python], "venv"),
        "add-one": ([corral, "add", "-q", ONE], [uv, "add", "-q", "--python", python, ONE], "remove-one"),
    }
    times: Times = {(p, w): [] for p in paths for w in ("corral", "uv")}
    for round_no in range(rounds + 1):
        print(f"{len(stack)} requirements: round {round_no}/{rounds} ...", file=sys.stderr)
        for path, (corral_cmd, uv_cmd, reset) in paths.items():
            order = [("corral", corral_cmd, corral_env), ("uv", uv_cmd, uv_env)]
            for who, cmd, env in order if round_no % 2 else order[::-1]:
                folder = work / who
                _reset(folder, reset, minor)
                took = run(cmd if round_no else [c for c in cmd if c != "--offline"], folder, env)
                if round_no:
                    times[path, who].append(took)
                if reset == "remove-one":  # back to the stack alone for the next round
                    run([cmd[0], "remove", "-q", ONE, *cmd[cmd.index(ONE) + 1 :]], folder, env)
    lock = work / "corral" / "pylock.toml"
    count = len(list((work / "uv" / ".venv").glob("lib/*/site-packages/*.dist-info")))
    if not same_data(lock):
        sys.exit(f"bench_bigstack: core.pylock_read does not read {lock} to tomllib's data")
    first, primed, cached = selection_times(lock, python)
    size = lock.stat().st_size / 1e6
    shutil.rmtree(work, ignore_errors=True)
    return times, count, size, first, primed, cached


def _reset(folder: Path, reset: str, minor: str) -> None:
    """The state a path starts from: an empty project, no lock, no .venv (or, for add-one, as it is)."""
    if reset == "project":
        project(folder, minor)
    elif reset == "lock":
        for name in ("pylock.toml", "uv.lock"):
            (folder / name).unlink(missing_ok=True)
    elif reset == "venv":
        shutil.rmtree(folder / ".venv", ignore_errors=True)


def medians(times: Times, path: str) -> tuple[float, float, float]:
    """(corral median s, uv median s, median of the paired ratios)."""
    mine, theirs = times[path, "corral"], times[path, "uv"]
    ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return statistics.median(mine), statistics.median(theirs), ratio


PATHS = ("add", "lock-fresh", "sync-fresh", "add-one")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--select-only", type=Path, metavar="PYLOCK", help="only the selection figures, on this lock")
    parser.add_argument("--baseline", metavar="PYTHON", help="with --select-only: another corral's python, as 'before'")
    parser.add_argument("--select-round", type=Path, help=argparse.SUPPRESS)  # one round's process
    parser.add_argument("--cache-dir", type=Path, help="a uv cache and CORRAL_HOME of the benchmark's own, here")
    parser.add_argument(
        "--sizes",
        nargs="?",
        const=",".join(map(str, SIZES)),
        help="comma-separated numbers of STACK's first requirements; one table of every size",
    )
    opts = parser.parse_args()
    python = python_path(opts.python)
    if opts.select_round:
        select_round(opts.select_round, python)
        return
    if opts.select_only:
        select_only(opts.select_only.absolute(), python, max(opts.rounds, 3), opts.baseline)
        return
    minor = ".".join(opts.python.split(".")[:2])
    if opts.sizes:
        cache_dir = opts.cache_dir and opts.cache_dir.absolute()
        sizes = map(int, opts.sizes.split(","))
        rows = [(n, *measure(STACK[:n], opts.rounds, python, minor, cache_dir)) for n in sizes]
        print(f"\nPython {python}, {opts.rounds} rounds, warm caches; each cell corral/uv seconds, ratio\n")
        head = f"{'reqs':>4}{'dists':>6}{'MB':>5}" + "".join(f"{p:>20}" for p in PATHS) + f"{'select ms':>20}"
        print(head)
        for n, times, count, size, first, primed, cached in rows:
            cells = "".join(f"{f'{a:.2f}/{b:.2f} {r:.2f}x':>20}" for a, b, r in (medians(times, p) for p in PATHS))
            ms = f"{first * 1000:.0f} / {primed * 1000:.1f} / {cached * 1000:.1f}"
            print(f"{n:>4}{count:>6}{size:>5.1f}{cells}{ms:>20}")
        print("\n(select ms: a pulled lock's first sync / the first after `corral lock` / from the selection cache)")
        return
    cache_dir = opts.cache_dir and opts.cache_dir.absolute()
    times, count, size, first, primed, cached = measure(STACK, opts.rounds, python, minor, cache_dir)
    print(f"\n{count} distributions, pylock.toml {size:.1f} MB, Python {python}, {opts.rounds} rounds, warm caches\n")
    print(f"{'path':<12}{'corral':>10}{'uv':>10}{'ratio':>8}")
    for path in PATHS:
        mine, theirs, ratio = medians(times, path)
        print(f"{path:<12}{mine:>9.2f}s{theirs:>9.2f}s{ratio:>7.2f}x")
    print(
        f"\nselection from pylock.toml: {first * 1000:.0f} ms for a pulled lock's first sync, {primed * 1000:.1f} ms "
        f"for the first sync after `corral lock` wrote it, {cached * 1000:.1f} ms from the selection cache"
    )


if __name__ == "__main__":
    main()
