"""Benchmark: corral and uv on real projects' pyproject files (not a test; needs the real index once).

    python benchmarks/bench_projects.py [--python 3.12] [--rounds 3] [--only click,flask] [--paths ...] [--offline]
                                        [--baseline PYTHON] [--fates]

The projects in benchmarks/projects/ are the pyproject.toml files of click, flask, attrs, pluggy, requests,
packaging and typer with stub packages (an `__init__.py` holding what the build backend reads), so their
editable installs build for real. Each is copied twice (one copy per tool) into a git repository with a tag
(hatch-vcs and setuptools-scm read versions from it). One warm-up round fills every cache and is not counted;
each timed round then runs, per project, every path for corral and uv alternately (who goes first alternates):

  lock-fresh   `corral lock`                    vs `uv lock`                (no lock file, warm caches)
  lock-noop    `corral lock` again              vs `uv lock` again          (nothing changed)
  sync-noseed  `corral sync` into a new .venv with CORRAL_SEED=0 (no pip)  vs `uv sync --locked --offline`
  sync-fresh   the same as corral's default (seeds pip)    vs `uv sync --locked --offline`
  sync-noop    `corral sync` again              vs `uv sync --locked --offline` again
  run          `corral run true`                vs `uv run --locked --offline true`

The no-op rows measure corral's quick path (`corral.cli.quick`) only once the project's files are two seconds old
(it records nothing younger): after the warm-up round the benchmark waits that long. With sync-fresh or
sync-noseed in the same run, each round rebuilds the env first, so sync-noop and run then measure the full no-op
path a command takes right after a sync; `--paths sync-noop,run` measures the settled state.

It prints the median of each and the median of the paired ratios (corral / uv) per path and project, in wall time
and in CPU time (user + system of the processes, which a loaded machine stretches less). With
`--baseline PYTHON` (another corral's interpreter: the code before a change), sync-noseed, sync-fresh and lock-fresh
are also timed with that corral in the same rounds, and a second table gives before/uv and after/before. The
baseline syncs (and locks) a copy of its own: corral keeps a rebuild record and a served-set marker per project
folder, and each install runs its own uv binary, so two corrals syncing one folder would replay each other's records
(a head start that mismatches, and uv run twice) and time that instead; it keeps corral's folders of its own too
(XDG_*_HOME under the work folder, uv's cache shared), so neither corral writes the other's records and caches
(trust, inventory, interpreter cache, cache prune). Only the stdlib is used; tool runs are isolated from the
machine's pip/uv configuration.

`--fates` says what each timed rebuild of a corral was (sync-noseed, sync-fresh), read from its fault log
(`CORRAL_FAULT_LOG`, the `headstart:*` checkpoints): `replayed` (answered by `cli.rebuild_replay`), `declined(why)`
(a replay was recorded but not taken, `headstart:replay-declined-why:` says why; the full path adopted uv's
outcome), `adopted` (a head start without a replay), `mismatch`, or `full` (no head start at all). A rebuild that is
not replayed takes ~2x as long. The first timed round is `adopted`: the warm-up's rebuild ran uv twice (offline,
then online), and only a rebuild of one uv command records a replay.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import environ, python_path, tool

PROJECTS = Path(__file__).parent / "projects"
FRESH_SYNCS = ("sync-noseed", "sync-fresh")
BASELINE_PATHS = (*FRESH_SYNCS, "lock-fresh")  # the paths `--baseline` times with the other corral too
PATHS = ("lock-fresh", "lock-noop", "sync-noseed", "sync-fresh", "sync-noop", "run")  # sync-noop follows sync-fresh


def fate(log: Path) -> str:
    """What a rebuild was, from its fault log's `headstart:*` lines (see `--fates`)."""
    try:
        names = [line.split(" ", 1)[-1] for line in log.read_text().splitlines()]
    except FileNotFoundError:
        names = []
    why = [name.rsplit(":", 1)[1] for name in names if name.startswith("headstart:replay-declined-why:")]
    for mark, word in (
        ("headstart:replayed", "replayed"),
        ("headstart:replay-declined", "declined" + "".join(f"({w})" for w in why)),
        ("headstart:mismatch", "mismatch"),
        ("headstart:adopted", "adopted"),
    ):
        if mark in names:
            return word
    return "full"


class Took(float):
    """A run's wall time, with its CPU time (user + system of the processes it waited for) as `cpu`."""

    cpu = 0.0


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> Took:
    """Wall time of `cmd` (and its CPU time), failing loudly."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = Took(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    took.cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode:
        sys.exit(f"bench_projects: {' '.join(cmd)} in {cwd} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return took


def copy_project(name: str, dest: Path) -> Path:
    """The stub project as a git repository tagged 1.0.0 (what VCS-versioned backends need)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(PROJECTS / name, dest)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "stub"], ["tag", "1.0.0"]):
        subprocess.run([*git, *cmd], cwd=dest, check=True, capture_output=True)
    return dest


def steps(
    path: str, corral_env: dict[str, str], python: str
) -> tuple[list[str], dict[str, str], list[str], str | None]:
    """(corral command, its environment, uv command, what to delete first: 'lock' or 'venv')."""
    corral, uv = tool("corral"), tool("uv")
    uv_sync = [uv, "sync", "--locked", "--offline", "-q", "--python", python]
    table = {
        "lock-fresh": ([corral, "lock", "-q"], corral_env, [uv, "lock", "-q", "--python", python], "lock"),
        "lock-noop": ([corral, "lock", "-q"], corral_env, [uv, "lock", "-q", "--python", python], None),
        "sync-fresh": ([corral, "sync", "-q"], corral_env, uv_sync, "venv"),
        "sync-noseed": ([corral, "sync", "-q"], dict(corral_env, CORRAL_SEED="0"), uv_sync, "venv"),
        "sync-noop": ([corral, "sync", "-q"], corral_env, uv_sync, None),
        "run": (
            [corral, "run", "true"],
            corral_env,
            [uv, "run", "--locked", "--offline", "-q", "--python", python, "true"],
            None,
        ),
    }
    return table[path]


def apart(env: dict[str, str], home: Path | None) -> dict[str, str]:
    """`env` with corral's folders under `home` (the baseline's own: see the module's docstring); None: `env`."""
    if home is None:
        return env
    return {**env, **{f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("DATA", "CACHE", "CONFIG")}}


def lock_all(
    dirs: dict[str, tuple[Path, Path, Path | None]],
    corral_env: dict[str, str],
    python: str,
    before: str | None,
    *,
    baseline_only: bool,
    before_home: Path | None = None,
) -> None:
    """`corral lock` and `uv lock` in every project copy, the baseline's with the baseline corral (untimed).

    `baseline_only`: the rounds lock the other copies themselves (lock-fresh); the baseline's syncs need theirs.
    """
    corral_cmd, env, uv_cmd, _ = steps("lock-noop", corral_env, python)
    for corral_dir, uv_dir, before_dir in dirs.values():
        if not baseline_only:
            run(corral_cmd, corral_dir, env)
            run(uv_cmd, uv_dir, environ())
        if before and before_dir:
            run([before, *corral_cmd[1:]], before_dir, apart(env, before_home))


def timed(cmd: list[str], folder: Path, env: dict[str, str], log: Path | None, *, warm_up: bool) -> tuple[Took, str]:
    """`run`, online in the warm-up (it fills uv's cache from the index); with a fault log, what the rebuild was."""
    if log is not None:
        log.unlink(missing_ok=True)
        env = {**env, "CORRAL_FAULT_LOG": str(log)}
    took = run([c for c in cmd if c != "--offline"] if warm_up else cmd, folder, env)
    return took, fate(log) if log is not None else ""


def print_fates(fates: dict[tuple[str, str, str], list[str]]) -> None:
    """What each timed rebuild was (`--fates`); none watched: nothing."""
    if fates:
        print("\nwhat each timed rebuild was, round by round (--fates):")
        for (name, path, who), seen in fates.items():
            print(f"  {name:<11}{path:<13}{who:<8}{' '.join(seen)}")


def reset(folder: Path, what: str | None) -> None:
    """Delete the lock files or the env before a fresh-lock or fresh-sync round."""
    if what == "lock":
        for name in ("pylock.toml", "uv.lock"):
            (folder / name).unlink(missing_ok=True)
    elif what == "venv":
        shutil.rmtree(folder / ".venv", ignore_errors=True)


def runners(
    path: str,
    dirs: tuple[Path, Path, Path | None],
    envs: tuple[dict[str, str], dict[str, str]],
    python: str,
    before: str | None,
    before_home: Path | None = None,
) -> tuple[str | None, list[tuple[str, Path, list[str], dict[str, str]]]]:
    """(what to delete first, [(who, folder, command, environment)]): corral, the baseline corral if any, uv."""
    corral_cmd, env, uv_cmd, what = steps(path, envs[0], python)
    order = [("corral", dirs[0], corral_cmd, env), ("uv", dirs[1], uv_cmd, envs[1])]
    if before and dirs[2] and path in BASELINE_PATHS:  # its own copy (see the docstring); each run starts afresh
        order.insert(1, ("before", dirs[2], [before, *corral_cmd[1:]], apart(env, before_home)))
    return what, order


def print_cpu(times: dict[tuple[str, str, str], list[Took]], names: list[str], paths: list[str]) -> None:
    """The same table in CPU time (user + system of the processes), which a loaded machine stretches less."""
    print(f"\nCPU time:\n{'project':<11}" + "".join(f"{p:>24}" for p in paths))
    for name in names:
        cells = []
        for path in paths:
            mine, theirs = ([t.cpu for t in times[name, path, who]] for who in ("corral", "uv"))
            ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True) if b)
            cells.append(f"{statistics.median(mine) * 1000:.0f}/{statistics.median(theirs) * 1000:.0f} {ratio:.2f}x")
        print(f"{name:<11}" + "".join(f"{c:>24}" for c in cells))


def print_baseline(times: dict[tuple[str, str, str], list[Took]], names: list[str], paths: list[str]) -> None:
    """The baseline's paths: before/uv (median ms and ratio) and after/before (paired ratio); none: nothing."""
    if not paths:
        return
    print(f"\n{'project':<11}" + "".join(f"{p + ' before/uv':>26}{'after/before':>14}" for p in paths))
    for name in names:
        cells = []
        for path in paths:
            old, theirs, new = (times[name, path, who] for who in ("before", "uv", "corral"))
            vs_uv = statistics.median(a / b for a, b in zip(old, theirs, strict=True))
            gain = statistics.median(a / b for a, b in zip(new, old, strict=True))
            cells.append(f"{statistics.median(old) * 1000:.0f}/{statistics.median(theirs) * 1000:.0f} {vs_uv:.2f}x")
            cells.append(f"{gain:.2f}x")
        print(f"{name:<11}" + "".join(f"{c:>26}" if i % 2 == 0 else f"{c:>14}" for i, c in enumerate(cells)))
    print(f"\nCPU time, after/before:\n{'project':<11}" + "".join(f"{p:>26}" for p in paths))
    for name in names:
        gains = [
            statistics.median(
                a.cpu / b.cpu for a, b in zip(times[name, p, "corral"], times[name, p, "before"], strict=True)
            )
            for p in paths
        ]
        print(f"{name:<11}" + "".join(f"{g:>25.2f}x" for g in gains))


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated project names (default: all)")
    parser.add_argument("--paths", help=f"comma-separated paths among {', '.join(PATHS)} (default: all)")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--baseline", help="another corral's python, timed as 'before' on the fresh sync/lock paths")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="UV_OFFLINE=1 for every tool: uv answers from its cache (run once without it to fill the cache), so "
        "lock-fresh times corral's own work beside `uv lock` without the index's round trips",
    )
    parser.add_argument("--fates", action="store_true", help="say what each timed rebuild was (replayed or not)")
    opts = parser.parse_args()
    python = python_path(opts.python)
    names = opts.only.split(",") if opts.only else sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())
    paths = [p for p in PATHS if not opts.paths or p in opts.paths.split(",")]
    work = opts.keep or Path(tempfile.mkdtemp(prefix="corral-bench-projects-"))
    offline = {"UV_OFFLINE": "1"} if opts.offline else {}
    corral_env, uv_env = environ(CORRAL_PYTHON=python, **offline), environ(**offline)
    # corral's folders of its own, as the baseline's: the machine's own inventory and trust record grow with every env
    # made there (tests, other benchmarks), and a rebuild writes both (+10-20 ms against a fresh home's)
    corral_env = apart(corral_env, work / "corral-home")
    before = opts.baseline and str(Path(opts.baseline).parent / "corral")
    dirs = {
        name: (
            copy_project(name, work / "corral" / name),
            copy_project(name, work / "uv" / name),
            copy_project(name, work / "before" / name) if before else None,
        )
        for name in names
    }
    # the baseline keeps corral's folders of its own (uv's cache shared): see the module's docstring
    before_home = work / "before-home" if before else None
    uv_cache = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv")
    corral_env.setdefault("UV_CACHE_DIR", os.environ.get("UV_CACHE_DIR") or uv_cache)
    lock_all(dirs, corral_env, python, before, baseline_only="lock-fresh" in paths, before_home=before_home)
    times: dict[tuple[str, str, str], list[Took]] = {
        (name, path, who): [] for name in names for path in paths for who in ("corral", "uv", "before")
    }
    fates: dict[tuple[str, str, str], list[str]] = {}
    for round_no in range(opts.rounds + 1):  # round 0 warms every cache and is not counted
        print(f"round {round_no}/{opts.rounds} ...", file=sys.stderr)
        for name, folders in dirs.items():
            for path in paths:
                what, order = runners(path, folders, (corral_env, uv_env), python, before, before_home)
                for who, folder, cmd, cmd_env in order if round_no % 2 else order[::-1]:
                    reset(folder, what)
                    # the same variable in every round (the replay compares the whole environment)
                    log = work / "fault.log" if opts.fates and who != "uv" and path in FRESH_SYNCS else None
                    took, seen = timed(cmd, folder, cmd_env, log, warm_up=not round_no)
                    if round_no:
                        times[name, path, who].append(took)
                    if round_no and seen:
                        fates.setdefault((name, path, who), []).append(seen)
        # after the warm-up, let the inputs settle: the quick record is written only for files two seconds old
        time.sleep(2.1 if not round_no and {"sync-noop", "run"} & set(paths) else 0)
    cache = "warm caches, offline (UV_OFFLINE=1)" if opts.offline else "warm caches"
    print(f"\nPython {python}, {opts.rounds} rounds, {cache}; medians in ms, ratio = median of paired ratios\n")
    print(f"{'project':<11}" + "".join(f"{p:>24}" for p in paths))
    for name in names:
        cells = []
        for path in paths:
            mine, theirs = times[name, path, "corral"], times[name, path, "uv"]
            ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
            cells.append(f"{statistics.median(mine) * 1000:.0f}/{statistics.median(theirs) * 1000:.0f} {ratio:.2f}x")
        print(f"{name:<11}" + "".join(f"{c:>24}" for c in cells))
    print("\n(each cell: corral/uv median, then corral/uv ratio)")
    print_cpu(times, names, paths)
    print_baseline(times, names, [p for p in paths if p in BASELINE_PATHS and times[names[0], p, "before"]])
    print_fates(fates)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
