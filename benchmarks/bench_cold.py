"""Benchmark: `corral lock` + `corral sync` against `uv lock` + `uv sync` with EMPTY caches (opt-in: real index).

    python benchmarks/bench_cold.py [--python 3.12] [--rounds 3] [--only flask,requests,webstack] [--keep DIR]
                                    [--ways corral-noseed,uv] [--before OTHER/bin/corral] [--timeline | --sync-only]

Not a test, and it needs the network every round: every run starts with an empty uv cache (a fresh
UV_CACHE_DIR) and, for corral, an empty corral cache (a fresh CORRAL_HOME), so both tools download what the
project needs from the real index (PyPI; the machine's pip/uv settings are dropped). Projects: the pyproject files of
benchmarks/projects/ (stub packages, copied into a tagged git repository as bench_projects.py does, so the
project's own editable install builds for real) and `webstack`, the ~30-package stack of bench_sync.py (no
build system: nothing of the project is installed). Per round and project, who goes first alternates between

  corral          `corral lock` then `corral sync` (seeds pip, corral's default)
  corral-noseed   the same with CORRAL_SEED=0 (no pip, as `uv sync` does)
  uv              `uv lock` then `uv sync --locked`
  before(-noseed) with --before: the same as corral(-noseed) with another corral (a before/after in one run)

It prints the medians (lock, sync, both; wall time) and the CPU time all their processes used (network waits
do not count, and the machine's load moves it less), the medians of the paired ratios against uv, then what each way
downloaded that uv did not (or the other way round), read from the uv cache it filled: index pages
(simple-v*/), wheel metadata (wheels-v*/**/*.msgpack), wheels (wheels-v*/**/*.http) and source archives
(sdists-v*/, not the project's own editable build), and the cache's size. With the same files downloaded, the
ratio is the tools' own overhead. Last, the SHA-256 of each corral way's pylock.toml: a before/after run must
write the same bytes.
`--sync-only` times the sync alone: each way locks once (untimed), then every round restores the uv cache and
corral home that lock left (pages and metadata, no wheels; the project in place, no `.venv`) and times the sync, so
rounds repeat no lock, its network time and its noise, yet download every wheel again.
`--timeline` instead runs each way once per project under `strace -f` (execve and exit only: seccomp-filtered,
little overhead) and prints every process lock and sync started, from when to when: which uv commands, interpreter
probes and build hooks run, in what order, and where a tool waits on one step before the next.
Only the stdlib is used; tool runs are isolated from the machine's pip/uv configuration.
"""

# A standalone script that reports on stdout: printing is its job.

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

sys.path.insert(0, str(Path(__file__).parent))
from bench_projects import PROJECTS, copy_project, run
from bench_sync import STACK, environ, python_path, tool

WAYS = ("corral", "corral-noseed", "uv")
BEFORE_WAYS = ("before", "before-noseed")
DEFAULT_PROJECTS = ("flask", "requests", "webstack")


def make_project(name: str, dest: Path, python: str) -> Path:
    """A fresh copy of project `name` at `dest` (webstack: written here; the others: copied and git-tagged)."""
    if name != "webstack":
        return copy_project(name, dest)
    code = "import sys; print(sys.version_info[0], sys.version_info[1])"
    minor = ".".join(subprocess.check_output([python, "-c", code], text=True).split())
    dest.mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in STACK)
    text = f'[project]\nname = "webstack"\nversion = "0.1.0"\nrequires-python = ">={minor}"\ndependencies = [{deps}]\n'
    (dest / "pyproject.toml").write_text(text, encoding="utf-8")
    return dest


def commands(way: str, python: str, before: str | None = None) -> tuple[list[str], list[str], dict[str, str]]:
    """(lock command, sync command, extra environment) of a way (`before`: the corral of the before-ways)."""
    if way == "uv":
        uv = tool("uv")
        return [uv, "lock", "-q", "--python", python], [uv, "sync", "--locked", "-q", "--python", python], {}
    corral = before if way.startswith("before") and before else tool("corral")
    extra = {"CORRAL_PYTHON": python} | ({"CORRAL_SEED": "0"} if way.endswith("-noseed") else {})
    return [corral, "lock", "-q"], [corral, "sync", "-q"], extra


def downloads(cache: Path) -> dict[str, set[str]]:
    """What a uv cache holds from the index: pages, wheel metadata, wheels and sdists (by name)."""

    def rel(pattern: str, strip: str = "") -> set[str]:
        parts = (str(p.relative_to(cache)).split("/", 2) for p in cache.glob(pattern))
        return {p[-1].removesuffix(strip) for p in parts if p[1] != "editable"}  # the project's own build

    return {
        "pages": rel("simple-v*/*/*.rkyv", ".rkyv"),
        "metadata": rel("wheels-v*/*/*/*.msgpack", ".msgpack"),
        "wheels": rel("wheels-v*/*/*/*.http", ".http"),
        "sdists": rel("sdists-v*/*/*/*"),
    }


def size_mb(folder: Path) -> float:
    """Bytes under `folder` (not following links), in MB."""
    files = (os.path.join(base, name) for base, _dirs, names in os.walk(folder) for name in names)
    return sum(os.lstat(f).st_size for f in files) / 1e6


def cpu_seconds() -> float:
    """User + system CPU time of every finished child process so far (their own children included)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def one_run(
    way: str, name: str, folder: Path, python: str, before: str | None = None, *, trace: Path | None = None
) -> tuple[tuple[float, float, float], Got1]:
    """Lock and sync project `name` cold in `folder`: ((lock s, sync s, their CPU s), (downloads, cache MB, lock)).

    lock: the SHA-256 of the pylock.toml corral wrote (uv's way: of its uv.lock), so the ways' locks can be compared.

    `trace`: run both under strace, its logs written to `trace`.lock and `trace`.sync.
    """
    shutil.rmtree(folder, ignore_errors=True)
    project = make_project(name, folder / "project", python)
    lock, sync, env = _way_setup(way, python, before, folder)
    if trace is not None:
        lock, sync = (_straced(cmd, Path(f"{trace}.{step}")) for cmd, step in ((lock, "lock"), (sync, "sync")))
    cpu = cpu_seconds()
    took_lock = run(lock, project, env)
    took_sync = run(sync, project, env)
    cpu = cpu_seconds() - cpu
    written = project / ("uv.lock" if way == "uv" else "pylock.toml")
    digest = hashlib.sha256(written.read_bytes()).hexdigest() if written.is_file() else "-"
    return (took_lock, took_sync, cpu), (downloads(folder / "uv-cache"), size_mb(folder / "uv-cache"), digest)


def _straced(cmd: list[str], log: Path) -> list[str]:
    """`cmd` under strace: every process's execve and exit, with absolute timestamps, into `log`."""
    strace = shutil.which("strace") or sys.exit("bench_cold: --timeline needs strace")
    flags = ["-f", "-qq", "--seccomp-bpf", "-ttt", "-s", "120", "-e", "trace=execve,exit_group", "-e", "signal=none"]
    return [strace, *flags, "-o", str(log), *cmd]


_EXEC = re.compile(r'(\d+) +([0-9.]+) execve\("[^"]*", \[(.*?)\](?:, 0x| \.\.\.)')
_EXIT = re.compile(r"(\d+) +([0-9.]+) (?:exit_group\(|\+\+\+ exited)")


def timeline(log: Path) -> list[str]:
    """The processes of a strace log: start and end (s from the first start), and a short argv, in start order."""
    started: dict[str, tuple[float, str]] = {}
    ended: dict[str, float] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "execve(" in line and " = -1 " not in line:
            found = _EXEC.match(line)
            if found:  # a process's last exec is what it ran (a script's interpreter after its launcher)
                args = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(3))
                started[found.group(1)] = (float(found.group(2)), _short(args))
        elif (gone := _EXIT.match(line)) is not None:
            ended.setdefault(gone.group(1), float(gone.group(2)))
    if not started:
        return []
    zero = min(t for t, _ in started.values())
    rows = sorted((t, ended.get(pid, t), what) for pid, (t, what) in started.items())
    return [f"{t - zero:8.3f} {end - zero:8.3f} {end - t:7.3f}  {what}" for t, end, what in rows]


_PATH_PARTS = 2  # a path argument is shown by its last parts
_ARG_WIDTH = 60


def _short(args: list[str]) -> str:
    """An argv as one short line: each path by its last two parts, `-c` code by its first words."""
    out = []
    for arg in args[:12]:
        text = arg.replace("\\n", " ")
        if text.startswith("/") and " " not in text and text.count("/") > _PATH_PARTS:
            text = "…/" + "/".join(text.rsplit("/", _PATH_PARTS)[-_PATH_PARTS:])
        out.append(text if len(text) <= _ARG_WIDTH else text[: _ARG_WIDTH - 3] + "...")
    return " ".join(out)[:200]


def report_timelines(names: list[str], ways: list[str], python: str, work: Path, before: str | None) -> None:
    """One run per project and way under strace: each one's processes, lock then sync."""
    for name in names:
        for way in ways:
            folder = work / "timeline" / way / name
            trace = work / f"trace-{way}-{name}"
            try:
                (took_lock, took_sync, cpu), _got = one_run(way, name, folder, python, before, trace=trace)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            print(f"\n{name} / {way}: lock {took_lock:.2f} s, sync {took_sync:.2f} s, cpu {cpu:.2f} s (under strace)")
            print(f"{'start':>8} {'end':>8} {'took':>7}  process")
            for step in ("lock", "sync"):
                print(f"  -- {step}")
                print("\n".join(timeline(Path(f"{trace}.{step}"))))


_CACHES = ("uv-cache", "corral-home")  # what a lock fills besides the project's own files


SyncTimes = dict[tuple[str, str], list[tuple[float, float]]]


def sync_only(names: list[str], ways: list[str], rounds: int, python: str, work: Path, before: str | None) -> None:
    """The sync alone, from the state a cold lock leaves: each way locks once, then every round restores that state.

    The state: the uv cache and corral home as the lock left them (index pages and metadata, no wheels), the project
    untouched in place (its files' stats are what corral's lock stamp vouches for) and no `.venv`. Each round
    restores copies of the caches and times the sync, so the rounds repeat no lock (its network time and noise) and
    still download every wheel. Prints medians, paired ratios against uv and their spread.
    """
    times: SyncTimes = {}
    for name in names:
        folders = {way: _locked_once(way, name, python, before, work / "sync-only" / way / name) for way in ways}
        try:
            for round_no in range(rounds):
                print(f"{name}: sync round {round_no + 1}/{rounds} ...", file=sys.stderr)
                for way in ways if round_no % 2 == 0 else ways[::-1]:
                    times.setdefault((name, way), []).append(_restored_sync(*folders[way]))
        finally:
            for folder, _sync, _env in folders.values():
                shutil.rmtree(folder, ignore_errors=True)
    report_sync_only(times, names, ways, rounds)


def _locked_once(
    way: str, name: str, python: str, before: str | None, folder: Path
) -> tuple[Path, list[str], dict[str, str]]:
    """Project `name` locked by `way` in `folder`, its caches kept as `pristine/`; (folder, sync command, env)."""
    shutil.rmtree(folder, ignore_errors=True)
    project = make_project(name, folder / "project", python)
    lock, sync, env = _way_setup(way, python, before, folder)
    run(lock, project, env)
    for part in (p for p in _CACHES if (folder / p).exists()):
        shutil.copytree(folder / part, folder / "pristine" / part, symlinks=True)
    return folder, sync, env


def _restored_sync(folder: Path, sync: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s) of `sync` after the caches are restored to what the lock left and `.venv` is removed."""
    for part in (*_CACHES, "project/.venv"):
        shutil.rmtree(folder / part, ignore_errors=True)
    for part in (p for p in _CACHES if (folder / "pristine" / p).exists()):
        shutil.copytree(folder / "pristine" / part, folder / part, symlinks=True)
    cpu = cpu_seconds()
    took = run(sync, folder / "project", env)
    return took, cpu_seconds() - cpu


def report_sync_only(times: SyncTimes, names: list[str], ways: list[str], rounds: int) -> None:
    """Medians, paired ratios against uv and their spread (lowest-highest round) of `sync_only`'s times."""
    print(
        f"\n{rounds} rounds, sync only from a cold lock's state, load average {os.getloadavg()[0]:.1f}; medians in ms"
    )
    print(f"{'project':<10}{'way':<15}{'sync':>8}{'cpu':>8}   {'ratio sync':>10}{'cpu':>7}   spread sync / cpu")
    for name in names:
        base = times[name, "uv"]
        for way in ways:
            rows = times[name, way]
            sync_ms, cpu_ms = (statistics.median(r[i] for r in rows) * 1000 for i in (0, 1))
            paired = [sorted(r[i] / b[i] for r, b in zip(rows, base, strict=True)) for i in (0, 1)]
            cells = "".join(f"{statistics.median(x):>7.2f}x" for x in paired)
            ranges = " / ".join(f"{x[0]:.2f}-{x[-1]:.2f}" for x in paired)
            print(f"{name:<10}{way:<15}{sync_ms:>8.0f}{cpu_ms:>8.0f}  {cells}    {ranges}")


def _way_setup(way: str, python: str, before: str | None, folder: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """(lock command, sync command, environment) of `way` with its caches in `folder`."""
    lock, sync, extra = commands(way, python, before)
    env = environ(UV_CACHE_DIR=str(folder / "uv-cache"), **extra)
    if way != "uv":
        env["CORRAL_HOME"] = str(folder / "corral-home")
        # a fresh corral home is due its daily background prune, which starts 10 s after the sync: during the next
        # way's run (at low priority, but still CPU on a 2-core machine) and in a folder this script removes
        env["CORRAL_AUTO_PRUNE"] = "0"
    return lock, sync, env


Got1 = tuple[dict[str, set[str]], float, str]  # what one run downloaded, its uv cache's size in MB, its lock's digest
Times = dict[tuple[str, str], list[tuple[float, float, float]]]
Got = dict[tuple[str, str], Got1]


def measure(
    names: list[str], ways: list[str], rounds: int, python: str, work: Path, *, keep: bool, before: str | None = None
) -> tuple[Times, Got]:
    """Every round, every project, every way (who goes first alternates): the times and the last downloads."""
    times: Times = {(n, w): [] for n in names for w in ways}
    got: Got = {}
    for round_no in range(1, rounds + 1):
        print(f"round {round_no}/{rounds} ...", file=sys.stderr)
        try:
            done = dict(_one_round(round_no, names, ways, python, work, keep=keep, before=before))
        except SystemExit as failed:  # a run failed (the network, a full disk): report the rounds done so far
            print(f"{failed}\nround {round_no} failed: reporting the rounds before it", file=sys.stderr)
            if round_no == 1:
                raise
            break
        for key, (times_of_run, got[key]) in done.items():
            times[key].append(times_of_run)
    return times, got


def _one_round(
    round_no: int, names: list[str], ways: list[str], python: str, work: Path, *, keep: bool, before: str | None
) -> list[tuple[tuple[str, str], tuple[tuple[float, float, float], Got1]]]:
    """One round: every project, every way (who goes first alternates with the round)."""
    done = []
    for name in names:
        for way in ways if round_no % 2 else ways[::-1]:
            folder = work / f"r{round_no}" / way / name
            try:
                done.append(((name, way), one_run(way, name, folder, python, before)))
            finally:
                if not keep:
                    shutil.rmtree(folder, ignore_errors=True)
    return done


def report_times(times: Times, names: list[str], ways: list[str]) -> None:
    """Medians and paired ratios against uv (wall time, and the CPU time all their processes used), then the spread."""
    head = f"{'project':<10}{'way':<15}{'lock':>8}{'sync':>8}{'both':>8}{'cpu':>8}"
    print(head + f"   {'ratio lock':>10}{'sync':>7}{'both':>7}{'cpu':>7}")
    parts: tuple[Callable[[tuple[float, float, float]], float], ...] = (
        lambda r: r[0],
        lambda r: r[1],
        lambda r: r[0] + r[1],
        lambda r: r[2],
    )
    spread = []
    for name in names:
        base = times[name, "uv"]
        for way in ways:
            rows = times[name, way]
            lock, sync = (statistics.median(r[i] for r in rows) * 1000 for i in (0, 1))
            both = statistics.median(r[0] + r[1] for r in rows) * 1000
            cpu = statistics.median(r[2] for r in rows) * 1000
            paired = [sorted(f(r) / f(b) for r, b in zip(rows, base, strict=True)) for f in parts]
            cells = "".join(f"{statistics.median(x):>7.2f}x" for x in paired)
            print(f"{name:<10}{way:<15}{lock:>8.0f}{sync:>8.0f}{both:>8.0f}{cpu:>8.0f}  {cells}")
            if way != "uv":
                ranges = "  ".join(f"{label} {x[0]:.2f}-{x[-1]:.2f}" for label, x in zip(_PARTS, paired, strict=True))
                walls = ", ".join(f"{r[0]:.2f}+{r[1]:.2f}" for r in rows)
                spread.append(f"  {name}/{way}: {ranges}; lock+sync s per round {walls}")
        spread.append(f"  {name}/uv: lock+sync s per round " + ", ".join(f"{r[0]:.2f}+{r[1]:.2f}" for r in base))
    print("\nspread of the paired ratios (lowest-highest round) and each round's seconds:")
    print("\n".join(spread))


_PARTS = ("lock", "sync", "both", "cpu")


def report_downloads(got: Got, names: list[str], ways: list[str]) -> None:
    """What each way's cache holds that uv's does not, and the other way round."""
    print("\nwhat each way downloaded against uv (last round; + more than uv, - less than uv):")
    for name in names:
        theirs, their_mb, _ = got[name, "uv"]
        for way in (w for w in ways if w != "uv"):
            mine, mb, _ = got[name, way]
            diff = [
                f"{kind} {sign}{item}"
                for kind in mine
                for sign, items in (("+", mine[kind] - theirs[kind]), ("-", theirs[kind] - mine[kind]))
                for item in sorted(items)
            ]
            counts = ", ".join(f"{len(v)} {k}" for k, v in mine.items())
            print(f"  {name}/{way}: {counts}; cache {mb:.1f} MB vs uv {their_mb:.1f} MB")
            print("    " + ("; ".join(diff) if diff else "the same files as uv"))


def report_locks(got: Got, names: list[str], ways: list[str]) -> None:
    """The SHA-256 of each corral way's pylock.toml (last round): every way of one project must write the same bytes."""
    print("\nSHA-256 of the pylock.toml each corral way wrote (last round):")
    for name in names:
        digests = {way: got[name, way][2] for way in ways if way != "uv"}
        same = "the same" if len(set(digests.values())) == 1 else "DIFFERENT"
        print(f"  {name}: {same}: " + ", ".join(f"{way} {digest[:16]}" for way, digest in digests.items()))


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help=f"comma-separated projects (default: {','.join(DEFAULT_PROJECTS)})")
    parser.add_argument("--ways", help=f"comma-separated ways among {', '.join(WAYS)} (default: all)")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--before", help="another corral executable, measured as the before-ways in the same rounds")
    parser.add_argument("--timeline", action="store_true", help="one run per way under strace: its processes")
    parser.add_argument("--sync-only", action="store_true", help="time the sync alone, from a cold lock's state")
    opts = parser.parse_args()
    python = python_path(opts.python)
    names = opts.only.split(",") if opts.only else list(DEFAULT_PROJECTS)
    unknown = [n for n in names if n != "webstack" and not (PROJECTS / n).is_dir()]
    if unknown:
        known = ", ".join(sorted(os.listdir(PROJECTS)))
        sys.exit(f"bench_cold: no project {unknown[0]!r} (webstack or one of {known})")
    offered = WAYS + (BEFORE_WAYS if opts.before else ())
    ways = [w for w in offered if not opts.ways or w in opts.ways.split(",")]
    ways += [] if "uv" in ways else ["uv"]  # the baseline of every ratio
    work = opts.keep or Path(tempfile.mkdtemp(prefix="corral-bench-cold-"))
    if opts.timeline:
        print(f"load average {os.getloadavg()[0]:.1f}; times in s from the first process of each step")
        try:
            report_timelines(names, ways, python, work, opts.before)
        finally:
            if not opts.keep:
                shutil.rmtree(work, ignore_errors=True)
        return
    if opts.sync_only:
        try:
            sync_only(names, ways, opts.rounds, python, work, opts.before)
        finally:
            if not opts.keep:
                shutil.rmtree(work, ignore_errors=True)
        return
    load_before = os.getloadavg()[0]
    times, got = measure(names, ways, opts.rounds, python, work, keep=opts.keep is not None, before=opts.before)
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(f"\nPython {python}, {opts.rounds} rounds, EMPTY caches each run (real index), {load}; medians in ms")
    print("cpu = user+system CPU time of all the processes of lock+sync (less moved by the machine's load)")
    print("ratio = median of the paired per-round ratios against uv (lock / sync / lock+sync / cpu)\n")
    report_times(times, names, ways)
    report_downloads(got, names, ways)
    report_locks(got, names, ways)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
