"""Benchmark: a 215-package data stack, corral vs uv (not a test; needs the real index once).

    python benchmarks/bench_bigstack.py [--python 3.12] [--rounds 2] [--sizes [7,16,19,20,23]] [--cache-dir DIR]
                                        [--baseline PYTHON]
    python benchmarks/bench_bigstack.py --select-only PYLOCK [--python 3.12] [--rounds 7] [--baseline PYTHON]

The stack is `jupyterlab pandas scikit-learn matplotlib "dask[complete]"` and 18 more (STACK: 215 distributions on
Linux, a 1.1 MB pylock.toml). One warm-up round fills every cache
and is not counted; each timed round runs, corral and uv alternately, in fresh project folders:

  add          `corral add <stack>` into an empty project   vs `uv add <stack>`    (lock + install)
  lock-fresh   `corral lock` with no lock file               vs `uv lock`
  sync-fresh   `corral sync` into a new .venv (CORRAL_SEED=0) vs `uv sync --locked --offline`
  add-one      `corral add humanize` to the locked and synced stack vs `uv add humanize` (each round then removes it
               again, untimed, with the same tool)

`add` makes its project anew each round (a folder of its own); the other paths work in one project per tool that
keeps the stack's pyproject.toml, as a user's does: `rm -rf .venv && corral sync` there is what corral's rebuild
replay (`cli.headstart`) serves, and what each timed sync-fresh was (replayed, declined and why, full) is printed.

Each figure is the wall time; the CPU time (user + system of the command and the processes it waited for) is shown
beside it. `--baseline PYTHON` (another corral's interpreter: the code before a change; its `corral` beside it, with a
CORRAL_HOME of its own) runs every path too, in the same rounds, alternately.

Selection, as a user sees it: after the rounds, in the synced stack, `corral sync` of a lock that came by `git pull`
(bytes no sync here has chosen from: the same packages under another `created-by`, so nothing is installed and only
the choosing differs) against the same sync once the selection cache holds the answer (the stamp removed, so the sync
goes the whole way again): both real processes, medians of --rounds (at least 5). Their difference is what choosing
from the 1+ MB lock costs a user's `corral sync` after a pull, imports included. A pull whose lock brings a marker no
lock here had (rare) pays packaging's import on top (~30-60 ms; see `core.pylock_select.TargetFacts`). The selection
cache keeps each package's row by its text, so that pull reads no package; `--select-only` also times a pulled lock
whose every package is new here (each file's `size` changed: as after a fresh clone, the target's facts kept).

`--select-only PYLOCK` measures only that, on a kept lock and the pyproject.toml beside it (copied to a new project,
synced once per corral), and also the in-process figures (a new process per round, imports warm before it starts, so
they leave out what a user's sync pays for imports): parsing and selecting, after `corral lock` wrote it (primed), the
selection cache's answer, and the first choice in a new process with its imports. It first checks that the fast path
(`core.pylock_scan`) chooses from the lock exactly what tomllib + `select_packages` choose, and that
`core.pylock_read` reads it to tomllib's data. `--baseline PYTHON` runs the same rounds alternately.

`--sizes` measures the same for the first N requirements of STACK, for each N given (default 7,16,19,20,23: about
30, 60, 100, 150 and 215 distributions), and prints one table of how each path grows with the stack.
`--cache-dir DIR` gives both tools a uv cache of their own there (UV_CACHE_DIR) and corral a CORRAL_HOME beside it,
so the warm-up's downloads (about 1 GB) do not land in the user's caches; delete DIR afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_projects import fate
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
        for memo in ("_LAST_PARSED", "_CHECKED_HERE", "_LAST_SCANNED", "_LAST_SPLIT"):
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


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of `cmd`, failing loudly; CPU: user + system of it and the processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"bench_bigstack: {' '.join(cmd)} in {cwd} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


STAMP = (
    ".venv/corral-sync.json"  # the env's sync stamp (services.sync.stamp.STAMP_FILE): gone, a sync goes the whole way
)
Pair = tuple[float, float]  # (wall, CPU) seconds


def pulled_syncs(folder: Path, corral: str, env: dict[str, str], rounds: int, tag: str) -> list[tuple[Pair, Pair]]:
    """(a pulled lock's `corral sync`, the same sync with its choice cached) per round, in the synced `folder`.

    The pulled lock: the same packages under a `created-by` no lock here had (bytes nothing was chosen from). The
    cached one: the same bytes again, the stamp removed so that the sync goes the whole way, as the pulled one did.
    """
    lock = folder / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    rows = []
    for number in range(rounds):
        bent = re.sub(
            r'(?m)^created-by = "[^"]*"$', f'created-by = "corral, {tag} {number} {time.time_ns()}"', text, count=1
        )
        lock.write_text(bent, encoding="utf-8")
        pulled = run([corral, "sync", "-q"], folder, env)
        (folder / STAMP).unlink()
        rows.append((pulled, run([corral, "sync", "-q"], folder, env)))
    lock.write_text(text, encoding="utf-8")
    return rows


def new_package_syncs(folder: Path, corral: str, env: dict[str, str], tag: str) -> list[tuple[Pair, Pair]]:
    """`pulled_syncs`' pair for a pulled lock whose every package is new here (its text read by no sync before).

    The same packages, each file's `size` changed (nothing a choice or an install reads), under a new `created-by`:
    what a sync pays on a lock no sync here chose from, as after a fresh clone (the selection cache keeps each
    package's row by its text; the target's facts are kept). An untimed sync of the lock's own packages then puts
    their rows back, so that the next `pulled_syncs` round finds them as before.
    """
    lock = folder / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    stamp = time.time_ns()
    bent = re.sub(r"(?m)^size = ([0-9]+)$", lambda m: f"size = {int(m[1]) + 1}", text)
    lock.write_text(bent.replace('created-by = "', f'created-by = "new {tag} {stamp} ', 1), encoding="utf-8")
    new = run([corral, "sync", "-q"], folder, env)
    (folder / STAMP).unlink()
    cached = run([corral, "sync", "-q"], folder, env)
    lock.write_text(text.replace('created-by = "', f'created-by = "back {tag} {stamp} ', 1), encoding="utf-8")
    run([corral, "sync", "-q"], folder, env)
    lock.write_text(text, encoding="utf-8")
    return [(new, cached)]


def selection_table(rows: dict[str, list[tuple[Pair, Pair]]], what: str = "a pulled lock") -> None:
    """The user-visible selection: medians of the pulled and cached syncs, and of their paired difference (ms)."""
    print(f"selection from {what}, as a user's `corral sync` pays it (real processes; medians, ms; wall / CPU):")
    for who, pairs in rows.items():
        cells = []
        for index in (0, 1):
            pulled = statistics.median(p[index] for p, _ in pairs) * 1000
            cached = statistics.median(c[index] for _, c in pairs) * 1000
            extra = statistics.median(p[index] - c[index] for p, c in pairs) * 1000
            cells.append(f"pulled {pulled:.0f}, cached {cached:.0f}, selection {extra:.1f}")
        print(f"  {who:<8} wall: {cells[0]}\n  {'':<8} CPU:  {cells[1]}")


def select_only(lock: Path, python: str, rounds: int, baseline: str | None) -> None:
    """The selection figures alone: real syncs of a pulled lock, then the in-process ones (medians of `rounds`)."""
    if not same_data(lock):
        sys.exit(f"bench_bigstack: core.pylock_read does not read {lock} to tomllib's data")
    if not same_choice(lock, python):
        sys.exit(f"bench_bigstack: the fast path does not choose from {lock} what the general path chooses")
    runners = {"after": sys.executable, **({"before": baseline} if baseline else {})}
    work = Path(tempfile.mkdtemp(prefix="corral-bench-select-"))
    try:
        synced: dict[str, list[tuple[Pair, Pair]]] = {who: [] for who in runners}
        fresh: dict[str, list[tuple[Pair, Pair]]] = {who: [] for who in runners}
        envs = {
            who: environ(CORRAL_PYTHON=python, CORRAL_SEED="0", CORRAL_HOME=str(work / f"{who}-home"))
            for who in runners
        }
        for who, interpreter in runners.items():
            shutil.copytree(lock.parent, work / who, ignore=shutil.ignore_patterns(".venv", ".git"))
            run([corral_of(interpreter), "sync", "-q"], work / who, envs[who])
        for number in range(rounds):
            order = list(runners.items())
            for who, interpreter in order if number % 2 else order[::-1]:
                synced[who] += pulled_syncs(work / who, corral_of(interpreter), envs[who], 1, f"{who} {number}")
                fresh[who] += new_package_syncs(work / who, corral_of(interpreter), envs[who], f"{who} {number}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = lock.stat().st_size / 1e6
    print(f"{lock} ({size:.2f} MB), Python {python}, medians of {rounds} rounds, load {os.getloadavg()[0]:.1f}\n")
    selection_table(synced, "a pulled lock whose packages were read here before (another `created-by`)")
    selection_table(fresh, "a pulled lock whose every package is new here (each file's size changed)")
    rows: dict[str, list[dict[str, float]]] = {who: [] for who in runners}
    for number in range(rounds):
        order = list(runners.items())
        for who, interpreter in order if number % 2 else order[::-1]:
            cmd = [interpreter, __file__, "--select-round", str(lock), "--python", python]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows[who].append(json.loads(done.stdout.splitlines()[-1]))
    print("\nin-process (a new process per round; imports warm before each but the last row), ms:")
    print(f"{'':54}" + "".join(f"{who:>10}" for who in rows) + ("     ratio" if baseline else ""))
    labels = {
        "first": "a pulled lock (cold selection cache)",
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


def corral_of(interpreter: str) -> str:
    """The `corral` beside an interpreter (a venv corral is installed in)."""
    return str(Path(interpreter).parent / "corral")


Times = dict[tuple[str, str], list[Pair]]
WHO = ("corral", "before", "uv")


def _environs(python: str, work: Path, cache_dir: Path | None) -> tuple[dict[str, dict[str, str]], dict[str, Path]]:
    """Each tool's environment, and each corral's fault log (what its sync-fresh was: `bench_projects.fate`)."""
    own = {} if cache_dir is None else {"UV_CACHE_DIR": str(cache_dir / "uv")}
    homes = {"corral": (cache_dir or work) / "corral-home", "before": (cache_dir or work) / "before-home"}
    envs = {
        "corral": environ(CORRAL_PYTHON=python, CORRAL_SEED="0", **own, CORRAL_HOME=str(homes["corral"])),
        "before": environ(CORRAL_PYTHON=python, CORRAL_SEED="0", **own, CORRAL_HOME=str(homes["before"])),
        "uv": environ(**own),
    }
    if cache_dir is None:  # the user's own corral folders, as before --baseline (the baseline's: its own, apart)
        del envs["corral"]["CORRAL_HOME"]
    logs = {who: work / f"fault-{who}.log" for who in ("corral", "before")}  # what each sync-fresh was (`fate`)
    for who, log in logs.items():
        envs[who]["CORRAL_FAULT_LOG"] = str(log)  # the same in every run: a replay's environment holds
    return envs, logs


def measure(
    stack: list[str], rounds: int, python: str, minor: str, cache_dir: Path | None = None, baseline: str | None = None
) -> tuple[Times, int, float, dict[str, list[tuple[Pair, Pair]]]]:
    """(times per (path, who), distributions, pylock.toml MB, the user-visible selection per corral)."""
    work = Path(tempfile.mkdtemp(prefix="corral-bench-bigstack-"))
    corral, uv = tool("corral"), tool("uv")
    envs, logs = _environs(python, work, cache_dir)
    programs = {"corral": corral, "before": corral_of(baseline) if baseline else "", "uv": uv}
    who_runs = [w for w in WHO if w != "before" or baseline]
    paths = {
        "add": ([corral, "add", "-q", *stack], [uv, "add", "-q", "--python", python, *stack], "project"),
        "lock-fresh": ([corral, "lock", "-q"], [uv, "lock", "-q", "--python", python], "lock"),
        "sync-fresh": ([corral, "sync", "-q"], [uv, "sync", "--locked", "--offline", "-q", "--python", python], "venv"),
        "add-one": ([corral, "add", "-q", ONE], [uv, "add", "-q", "--python", python, ONE], "remove-one"),
    }
    times: Times = {(p, w): [] for p in paths for w in who_runs}
    fates: dict[str, list[str]] = {w: [] for w in who_runs if w != "uv"}
    for round_no in range(rounds + 1):
        print(
            f"{len(stack)} requirements: round {round_no}/{rounds}, load {os.getloadavg()[0]:.1f} ...", file=sys.stderr
        )
        for path, (corral_cmd, uv_cmd, reset) in paths.items():
            order = list(who_runs)
            for who in order if round_no % 2 else order[::-1]:
                cmd = uv_cmd if who == "uv" else [programs[who], *corral_cmd[1:]]
                folder = work / (f"{who}-add" if path == "add" else who)  # `add` makes its project anew each round
                _reset(folder, reset, minor)
                if who in logs:
                    logs[who].write_text("", encoding="utf-8")
                took = run(cmd if round_no else [c for c in cmd if c != "--offline"], folder, envs[who])
                if round_no:
                    times[path, who].append(took)
                    if path == "sync-fresh" and who in fates:
                        fates[who].append(fate(logs[who]))
                if reset == "remove-one":  # back to the stack alone for the next round
                    run([cmd[0], "remove", "-q", ONE, *cmd[cmd.index(ONE) + 1 :]], folder, envs[who])
                if path == "add" and not (work / who).exists():  # the other paths' project: the stack, kept
                    (work / who).mkdir()
                    shutil.copy2(folder / "pyproject.toml", work / who / "pyproject.toml")
    lock = work / "corral" / "pylock.toml"
    count = len(list((work / "uv" / ".venv").glob("lib/*/site-packages/*.dist-info")))
    if not same_data(lock):
        sys.exit(f"bench_bigstack: core.pylock_read does not read {lock} to tomllib's data")
    selection = _selections(work, programs, envs, [w for w in who_runs if w != "uv"], max(rounds, 5))
    size = lock.stat().st_size / 1e6
    shutil.rmtree(work, ignore_errors=True)
    print(f"sync-fresh, what each timed corral run was: {fates}", file=sys.stderr)
    return times, count, size, selection


def _selections(
    work: Path, programs: dict[str, str], envs: dict[str, dict[str, str]], corrals: list[str], rounds: int
) -> dict[str, list[tuple[Pair, Pair]]]:
    """`pulled_syncs` of each corral in its synced stack, alternately, `rounds` each."""
    selection: dict[str, list[tuple[Pair, Pair]]] = {who: [] for who in corrals}
    for number in range(rounds):
        for who in corrals if number % 2 else corrals[::-1]:
            selection[who] += pulled_syncs(work / who, programs[who], envs[who], 1, f"{who} {number}")
    return selection


def _reset(folder: Path, reset: str, minor: str) -> None:
    """The state a path starts from: an empty project, no lock, no .venv (or, for add-one, as it is)."""
    if reset == "project":
        project(folder, minor)
    elif reset == "lock":
        for name in ("pylock.toml", "uv.lock"):
            (folder / name).unlink(missing_ok=True)
    elif reset == "venv":
        shutil.rmtree(folder / ".venv", ignore_errors=True)


def medians(
    times: Times, path: str, who: str = "corral", other: str = "uv", index: int = 0
) -> tuple[float, float, float]:
    """(`who`'s median s, `other`'s median s, median of the paired ratios); `index` 0: wall, 1: CPU."""
    mine, theirs = [t[index] for t in times[path, who]], [t[index] for t in times[path, other]]
    ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return statistics.median(mine), statistics.median(theirs), ratio


PATHS = ("add", "lock-fresh", "sync-fresh", "add-one")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--select-only", type=Path, metavar="PYLOCK", help="only the selection figures, on this lock")
    parser.add_argument("--baseline", metavar="PYTHON", help="another corral's python, run alongside as 'before'")
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
        select_only(opts.select_only.absolute(), python, max(opts.rounds, 5), opts.baseline)
        return
    minor = ".".join(opts.python.split(".")[:2])
    cache_dir = opts.cache_dir and opts.cache_dir.absolute()
    load = os.getloadavg()[0]
    if opts.sizes:
        sizes = map(int, opts.sizes.split(","))
        rows = [(n, *measure(STACK[:n], opts.rounds, python, minor, cache_dir, opts.baseline)) for n in sizes]
        print(f"\nPython {python}, {opts.rounds} rounds, warm caches, load {load:.1f} -> {os.getloadavg()[0]:.1f}")
        print("each cell: corral/uv wall seconds, paired ratio (CPU ratio); select: the pulled sync's extra, ms\n")
        head = f"{'reqs':>4}{'dists':>6}{'MB':>5}" + "".join(f"{p:>26}" for p in PATHS) + f"{'select ms':>12}"
        print(head)
        for n, times, count, size, selection in rows:
            cells = ""
            for path in PATHS:
                mine, theirs, ratio = medians(times, path)
                cpu = medians(times, path, index=1)[2]
                cells += f"{f'{mine:.2f}/{theirs:.2f} {ratio:.2f}x ({cpu:.2f}x)':>26}"
            extra = statistics.median(p[0] - c[0] for p, c in selection["corral"]) * 1000
            print(f"{n:>4}{count:>6}{size:>5.1f}{cells}{extra:>12.1f}")
        return
    times, count, size, selection = measure(STACK, opts.rounds, python, minor, cache_dir, opts.baseline)
    print(f"\n{count} distributions, pylock.toml {size:.1f} MB, Python {python}, {opts.rounds} rounds, warm caches")
    print(f"load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; wall (CPU) medians, paired ratios\n")
    columns = ["corral", *(["before"] if opts.baseline else []), "uv"]
    print(
        f"{'path':<12}"
        + "".join(f"{c:>18}" for c in columns)
        + f"{'corral/uv':>18}"
        + (f"{'corral/before':>18}" if opts.baseline else "")
    )
    for path in PATHS:
        cells = ""
        for who in columns:
            wall = statistics.median(t[0] for t in times[path, who])
            cpu = statistics.median(t[1] for t in times[path, who])
            cells += f"{f'{wall:.2f}s ({cpu:.2f}s)':>18}"
        ratio, cpu_ratio = medians(times, path)[2], medians(times, path, index=1)[2]
        cells += f"{f'{ratio:.2f}x ({cpu_ratio:.2f}x)':>18}"
        if opts.baseline:
            ratio, cpu_ratio = medians(times, path, other="before")[2], medians(times, path, other="before", index=1)[2]
            cells += f"{f'{ratio:.2f}x ({cpu_ratio:.2f}x)':>18}"
        print(f"{path:<12}{cells}")
    print()
    selection_table(selection)


if __name__ == "__main__":
    main()
