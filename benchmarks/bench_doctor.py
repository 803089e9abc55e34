"""`corral doctor` on a healthy env: wall time of a fresh process (not a test: timings vary with the machine's load).

    python benchmarks/bench_doctor.py [--python 3.12] [--rounds 15] [--corral PY] [--baseline PY] [--git] [--full]

Setup (untimed; needs the package index once, for `six`): a project made by `corral init`, with `six` added, so
the env is synced and stamped. Each round then runs `corral doctor` in a new process and times it. On a healthy env
doctor reads files only and starts no interpreter (tests/integration/test_doctor.py checks that part); target
(issue 16): median under 100 ms. `--corral PY` times `PY -m corral` (an installed corral; default: this
interpreter's); `--baseline PY` also times another corral (say the commit before a change) on a project and home of
its own, alternating rounds, and prints the median of the paired ratios. `--git`: the projects are git repositories
(doctor reads git's index for whether the env's files are tracked, and asks git whether they are ignored only when
the env's own `.gitignore` is not `*`).
Measured 2026-12-01 (load 3, 2 cores): 114 ms median, 115 ms of CPU, against
43 ms for `corral --version` and 15 ms for a quick no-op sync: imports dominate (dataclasses+inspect ~15 ms, the
kernels check's registry and services ~35 M of 348 M instructions, argparse, tomllib, pathlib).
Later that day (0127d72 against 478ec3c, load 5-8, instructions by `valgrind --tool=callgrind` of one run): plain
project 232 -> 227 M instructions (CPU 0.95x); git project 449 -> 232 M and no git process (CPU 0.56x, wall 0.55x).
`--git` makes the repository after the sync, so the sync stamp (which records git's index) no longer vouches for the
env: doctor compares the env with the lock, which cost `packaging` and the resolver's imports (~210 M) before the
selection came from the sync's cache. Imports are ~95% of a healthy doctor's instructions; the collector ~3-9 ms.
2026-12-01, fourth session (callgrind, one run each, against e6c9def): git project 225.9 -> 212.6 M instructions once
doctor's record vouches for the env (`services.doctor_record`: the stamp holds in all but git's index, and no
distribution's metadata moved; the first doctor after such a change records it, 234.2 M); plain project 209.9 ->
209.8 M. Paired wall (load 4-6): git project 0.85-0.87x of before (median 99 vs 118 ms at load 6), CPU 0.89x;
plain unchanged (CPU 0.99-1.04x). In `--git`'s first round doctor records (a full check); the others are vouched.
Of a plain doctor's ~210 M: Python's start 42 M, up to the doctor's handle (cli.main, argparse, the parser, the
context, the output) 91 M, the project's pyproject.toml (tomllib) 29 M, the target 14 M, the ten checks 34 M
(kernels 8, interpreter 4, relocation 2.5, pip 2). Over `re`, which the path needs anyway, typing costs ~14 M and
pathlib ~22 M; a doctor without argparse at all measured only 5 M less. What would take it far below: a doctor
record answered before these imports (every input of every check, observed as stats, like cli.quick's record).
2026-12-01, fifth session: that record (`cli.doctor_quick`). The first round's doctor takes the full path and
records; the others are answered before argparse. `--full` times `corral doctor -v` instead, which the quick path
leaves to the full one (the full path's own cost, the recorder's observations included). Against dc68ad7, load
6-19 (wall times mean little there): CPU 99-124 -> 27-33 ms (paired 0.26-0.28x), plain and `--git` alike; wall
151 -> 44 ms and 180 -> 41 ms at load 6. Callgrind, one run each: doctor 209.5 -> 51.2 M instructions (a quick
no-op sync: 46.0 M); the full path (`doctor -v`) 210.1 -> 232.1 M (the recorder observes before and after).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def setup(corral: list[str], tmp: Path, name: str, python: str, *, git: bool) -> tuple[Path, dict[str, str]]:
    """A project made by `corral init` with `six` added (synced and stamped), and the environment to run it in."""
    root = tmp / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "VIRTUAL_ENV"))}
    env["CORRAL_HOME"] = str(tmp / f"{name}-home")
    for step in (["init", "--python", python, str(root)], ["-C", str(root), "add", "six"]):
        subprocess.run([*corral, *step], env=env, cwd=tmp, check=True, capture_output=True)
    if git:
        for step in (["init", "-q"], ["add", "pyproject.toml"]):
            subprocess.run(["git", *step], cwd=root, check=True, capture_output=True)
    return root, env


def timed(corral: list[str], root: Path, env: dict[str, str], *, full: bool = False) -> tuple[float, float] | None:
    """(wall, CPU) time of `corral doctor` in a new process; None when it did not find the env healthy.

    CPU: the process's and its children's user + system time, which a loaded machine stretches less than the wall.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    argv = [*corral, "doctor", *(["-v"] if full else [])]
    done = subprocess.run(argv, env=env, cwd=root, check=False, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(f"doctor did not find the env healthy:\n{done.stdout}{done.stderr}")
        return None
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    """Print the median, the fastest and the slowest round (and the paired ratio against `--baseline`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="interpreter spec for the project (default 3.12)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--corral", default=sys.executable, help="the Python whose corral is timed")
    parser.add_argument("--baseline", help="another corral's Python, timed in the same rounds")
    parser.add_argument("--git", action="store_true", help="make the projects git repositories")
    parser.add_argument("--full", action="store_true", help="time `corral doctor -v`: always the full path")
    args = parser.parse_args()
    tools = {"after": [args.corral, "-m", "corral"]}
    if args.baseline:
        tools["before"] = [args.baseline, "-m", "corral"]
    samples: dict[str, list[float]] = {name: [] for name in tools}
    cpu: dict[str, list[float]] = {name: [] for name in tools}
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        places = {name: setup(cmd, Path(tmp), name, args.python, git=args.git) for name, cmd in tools.items()}
        for round_no in range(args.rounds):
            order = list(tools) if round_no % 2 == 0 else list(reversed(tools))
            for name in order:
                took = timed(tools[name], *places[name], full=args.full)
                if took is None:
                    return 1
                samples[name].append(took[0])
                cpu[name].append(took[1])
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name}: corral doctor on a healthy env, {args.rounds} fresh processes: median {median * 1000:.0f} ms "
            f"(fastest {min(values) * 1000:.0f} ms, slowest {max(values) * 1000:.0f} ms; target: median < 100 ms); "
            f"CPU median {statistics.median(cpu[name]) * 1000:.0f} ms"
        )
    if "before" in samples:
        for what, series in (("wall", samples), ("CPU", cpu)):
            ratios = [a / b for a, b in zip(series["after"], series["before"], strict=True)]
            print(f"after/before ({what}): median of the paired ratios {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
