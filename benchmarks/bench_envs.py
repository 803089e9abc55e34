"""`corral envs list` over 1 000 real envs (cold and warm size cache) and `corral envs scan` of 10 000 folders.

    python benchmarks/bench_envs.py [--envs 1000] [--bases 20] [--rounds 5] [--folders 10000] [--keep DIR]
                                    [--before OTHER_PYTHON] [--baseline OTHER_PYTHON] [--drop-caches]
                                    [--warm-only] [--no-scan]

Setup (untimed, offline): `--bases` real envs made by `uv venv` + `uv pip install` from tests/.wheelhouse (ipython,
jedi, pygments, jupyter_client, tornado, setuptools, pip in several mixes: 400-8 700 files each, hard-linked from a
private uv cache as uv installs them), copied with `cp -al` until there are `--envs` of them (bin/ scripts and
activate rewritten for each copy's path, so every env is healthy and no two are the same folder), registered in
a private CORRAL_HOME's inventory by `corral envs scan`. `--keep DIR` builds there once and reuses it.

Timed, each a fresh `corral` process, in alternating rounds:
- `envs list --json` cold: corral's size and health caches deleted first (as the first listing after `envs scan` found
  the envs, or after an upgrade of corral): it measures for its time budget, shows the rest as missing and leaves them
  to a background process; the bench then waits (untimed) until that process has filled the cache and reports how
  long that took (target: 1 000 envs in about 1 s, honestly: how many sizes were missing is printed too);
- `envs list --json --wait` cold: the same, waiting for every size (what every cold listing did before);
- `envs list --json` warm: the caches hold every env (the usual case; target: 1 000 envs in under 1 s); with
  `--baseline PYTHON`, the corral installed for that interpreter (the tree before a change) lists warm in the same
  rounds, alternately, and the median of the paired ratios is printed;
- `envs scan` of a tree of `--folders` empty folders (100 per level) holding a few envs: wall time and how many
  progress lines it printed (one a second while the walk lasts).
Each complete listing's total is checked against the others (the cache must not change a figure; a listing with
missing sizes adds up to less). `--before PYTHON` also times `envs list` of the corral installed for that
interpreter (e.g. a release without the budget) with an empty size cache. `--drop-caches` (root, Linux) empties the
kernel's page cache before each cold round and each warm one, as after a reboot (it slows everything else running
on the machine for a while). `--warm-only` times only the warm listings (the cache filled by a run before, with
--keep), `--no-scan` skips `envs scan`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHEELHOUSE = REPO / "tests" / ".wheelhouse"
SETS = (
    ["jedi", "parso"],
    ["ipython"],
    ["pygments", "prompt_toolkit"],
    ["jupyter_client", "tornado"],
    ["setuptools"],
    ["pip"],
)


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not os.path.exists(found):
        sys.exit("uv not found on PATH or beside this python")
    return found


def _environ(home: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "VIRTUAL_ENV", "UV_"))}
    env.update(CORRAL_HOME=str(home), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=str(tmp / "uv-cache"))
    return env


def _build_bases(tmp: Path, count: int, python: str, env: dict[str, str]) -> list[Path]:
    uv, bases = _uv(), []
    for n in range(count):
        base = tmp / "bases" / f"b{n:02d}"
        bases.append(base)
        if (base / "pyvenv.cfg").exists():
            continue
        packages = [p for k in range(1 + n // len(SETS) % 3) for p in SETS[(n + k) % len(SETS)]]
        subprocess.run([uv, "venv", "-q", "--python", python, str(base)], env=env, check=True)
        install = [uv, "pip", "install", "-q", "--offline", "--no-index", "--find-links", str(WHEELHOUSE)]
        subprocess.run([*install, "--python", str(base / "bin" / "python"), *packages], env=env, check=True)
    return bases


def _copy(base: Path, dest: Path) -> None:
    """`cp -al` of `base`, with the files of bin/ that name the base's path rewritten (unlinked first)."""
    subprocess.run(["cp", "-al", str(base), str(dest)], check=True)
    old, new = os.fsencode(base), os.fsencode(dest)
    for entry in os.scandir(dest / "bin"):
        if entry.is_file(follow_symlinks=False):
            data = Path(entry.path).read_bytes()
            if old in data:
                mode = os.stat(entry.path).st_mode
                os.unlink(entry.path)
                Path(entry.path).write_bytes(data.replace(old, new))
                os.chmod(entry.path, mode)


def _build_envs(tmp: Path, bases: list[Path], count: int) -> Path:
    root = tmp / "envs"
    root.mkdir(exist_ok=True)
    for n in range(count):
        dest = root / f"e{n:04d}"
        if not dest.exists():
            _copy(bases[n % len(bases)], dest)
    return root


def _build_tree(tmp: Path, folders: int, bases: list[Path]) -> Path:
    root = tmp / f"tree-{folders}"
    if root.exists():
        return root
    width = 100
    for n in range(folders):
        (root / f"d{n // width:03d}" / f"d{n % width:03d}").mkdir(parents=True)
    for n, base in enumerate(bases[:5]):
        _copy(base, root / f"d{n:03d}" / "d000" / ".venv")
    return root


def _corral(
    env: dict[str, str], *args: str, python: str = sys.executable
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([python, "-m", "corral", *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"corral {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done


def _listing(
    env: dict[str, str], cache: Path, *args: str, cold: bool, python: str = sys.executable, drop: bool = False
) -> tuple[float, int, int, int]:
    """(seconds, total, sizes from the cache, sizes missing) of one `envs list --json`."""
    if cold:
        cache.unlink(missing_ok=True)
        cache.with_name("env-health.json").unlink(missing_ok=True)
    if drop:
        _drop_caches()
    elapsed, done = _corral(env, "envs", "list", "--json", *args, python=python)
    data = json.loads(done.stdout)["data"]
    cached = sum(bool(e["size_cached"]) for e in data["envs"])
    if cold and cached:
        sys.exit("a cold listing used the cache")
    return elapsed, data["total"], cached, data.get("unmeasured", 0)


def _drop_caches() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n", encoding="ascii")


def _filled(cache: Path, timeout: float = 600.0) -> float:
    """Seconds until the background measurement is done: its to-do list gone and its lock free."""
    start = time.perf_counter()
    todo, lock = cache.with_name("env-sizes.todo.json"), cache.with_name("env-sizes.lock")
    while time.perf_counter() - start < timeout:
        if not todo.exists():
            with lock.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass
                else:
                    return time.perf_counter() - start
        time.sleep(0.1)
    sys.exit("the background measurement did not end")


def _summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:.0f} ms "
        f"(fastest {min(samples) * 1000:.0f}, slowest {max(samples) * 1000:.0f}; {len(samples)} rounds)"
    )


def main() -> int:
    """Build (or reuse) the envs, then print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=1000)
    parser.add_argument("--bases", type=int, default=20, help="distinct real envs the others are copies of")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds; cold, --before and --wait: every 3rd")
    parser.add_argument("--folders", type=int, default=10_000, help="folders in the tree `envs scan` walks")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the envs (default: this one)")
    parser.add_argument("--keep", type=Path, help="build in (and reuse) this folder instead of a temporary one")
    parser.add_argument("--before", help="python of another corral install (an older one) to time in the same rounds")
    parser.add_argument("--drop-caches", action="store_true", help="empty the page cache before cold and warm rounds")
    parser.add_argument("--baseline", help="python of another corral install to time warm listings against, paired")
    parser.add_argument("--no-scan", action="store_true", help="do not time `envs scan`")
    parser.add_argument("--warm-only", action="store_true", help="only warm listings (a cache filled before)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corral-bench-envs-") as scratch:
        tmp = args.keep.absolute() if args.keep else Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        home = tmp / "home"
        env = _environ(home, tmp)
        start = time.perf_counter()
        bases = _build_bases(tmp, args.bases, args.python, env)
        root = _build_envs(tmp, bases, args.envs)
        _corral(env, "envs", "scan", str(root))
        tree = _build_tree(tmp, args.folders, bases)
        print(f"setup: {args.envs} envs from {len(bases)} bases in {time.perf_counter() - start:.0f} s")
        time.sleep(2.5)  # the cache trusts no stat identity newer than 2 s before its walk (coarse fs clocks)
        _time_listings(args, env, home / "cache" / "env-sizes.json")
        if not args.no_scan:
            _time_scan(tmp, tree, args.rounds, args.folders)
    return 0


def _time_listings(args: argparse.Namespace, env: dict[str, str], cache: Path) -> None:
    """Cold (budget), cold --wait, --before (cold) and warm `envs list` in alternating rounds; print the medians."""
    times: dict[str, list[float]] = {"cold": [], "wait": [], "warm": [], "before": [], "fill": [], "baseline": []}
    missing: list[int] = []
    totals: set[int] = set()
    partial: list[int] = []
    drop = args.drop_caches
    for n in range(args.rounds):
        if args.warm_only:
            pass
        elif args.before and n % 3 == 1:
            elapsed, total, _, _ = _listing(env, cache, cold=True, python=args.before, drop=drop)
            times["before"].append(elapsed)
            totals.add(total)
        if n % 3 == 0 and not args.warm_only:
            elapsed, total, _, unmeasured = _listing(env, cache, cold=True, drop=drop)
            times["cold"].append(elapsed)
            missing.append(unmeasured)
            (partial.append(total) if unmeasured else totals.add(total))
            times["fill"].append(_filled(cache))
        if n % 3 == 2 and not args.warm_only:  # noqa: PLR2004 - the third of every three rounds
            elapsed, total, _, unmeasured = _listing(env, cache, "--wait", cold=True, drop=drop)
            times["wait"].append(elapsed)
            totals.add(total)
            if unmeasured:
                sys.exit("a cold --wait listing left sizes out")
        totals |= _warm_round(args, env, cache, times, first=n % 2 == 0)
    if len(totals) != 1 or any(total > min(totals) for total in partial):
        sys.exit(f"the totals differ between listings: {sorted(totals)}, partial {partial}")
    _print_listings(args, times, missing, totals.pop())


def _print_listings(args: argparse.Namespace, times: dict[str, list[float]], missing: list[int], total: int) -> None:
    drop = args.drop_caches
    page = " and page cache" if drop else ""
    what = f"envs list, {args.envs} envs"
    if times["cold"]:
        print(f"{what}, cold (size cache{page} empty): {_summary(times['cold'])}; sizes missing: {missing}")
    if times["fill"]:
        print(f"  the background measurement then filled the cache in {_summary(times['fill'])}")
    if times["wait"]:
        print(f"{what} --wait, cold (size cache{page} empty): {_summary(times['wait'])}")
    print(f"{what}, warm (size cache valid{'; page cache empty' if drop else ''}): {_summary(times['warm'])}")
    if times["baseline"]:
        ratio = statistics.median(a / b for a, b in zip(times["warm"], times["baseline"], strict=True))
        print(f"{what}, warm, the corral of {args.baseline}: {_summary(times['baseline'])}; paired ratio {ratio:.2f}x")
    if times["before"]:
        print(f"{what}, cold (size cache{page} empty), the corral of {args.before}: {_summary(times['before'])}")
    print(f"  total {total / 1e9:.2f} GB on disk, hard links counted once")


def _warm_round(
    args: argparse.Namespace, env: dict[str, str], cache: Path, times: dict[str, list[float]], *, first: bool
) -> set[int]:
    """One warm listing of this corral and, with --baseline, of that one (`first`: which goes first); their totals."""
    totals = set()
    warm = [("warm", sys.executable), *([("baseline", args.baseline)] if args.baseline else [])]
    for who, python in warm[::-1] if first else warm:
        elapsed, total, cached, _ = _listing(env, cache, cold=False, python=python, drop=args.drop_caches)
        times[who].append(elapsed)
        totals.add(total)
        if cached != args.envs:
            sys.exit(f"only {cached} of {args.envs} sizes came from the cache")
    return totals


def _time_scan(tmp: Path, tree: Path, rounds: int, folders: int) -> None:
    scan_env = _environ(tmp / "scan-home", tmp)
    scans, lines, found = [], [], 0
    for _ in range(rounds):
        shutil.rmtree(tmp / "scan-home", ignore_errors=True)
        elapsed, done = _corral(scan_env, "envs", "scan", str(tree), "--json")
        scans.append(elapsed)
        lines.append(sum(line.startswith("scanning:") for line in done.stderr.splitlines()))
        found = len(json.loads(done.stdout)["data"]["found"])
    print(f"envs scan, {folders} folders ({found} envs): {_summary(scans)}; progress lines per scan: {sorted(lines)}")


if __name__ == "__main__":
    sys.exit(main())
