"""Start-up of the paths people run most: `corral --version`, no-op `sync`, warm `run` (not a test: timings vary).

    python benchmarks/bench_startup.py [--rounds 30] [--before SRC] [--python 3.12]

Setup (untimed, no network): a project with no dependencies, synced once, so the stamp's fast path answers.
Each round starts a new process. `--before SRC` also times another corral source tree (say an export of an
older commit: `git archive HEAD~5 src | tar -x -C /tmp/before`, then `--before /tmp/before/src`) on its own
project, interleaving the two so machine load hits both alike, and prints the difference of the medians.

Recorded for issue 15 (completion, did-you-mean, --json error envelope, live progress, grouped help): before =
7100f42, after = the working tree with the issue-15 commits (and other helpers' work of the day), on a shared
2-core machine with other jobs running, medians of two runs (20 and 30 rounds):

    case           before           after            after - before
    --version      31.2 / 28.2 ms   30.7 / 25.5 ms   -0.5 / -2.8 ms
    --help         37.7 / 36.3 ms   29.7 / 29.9 ms   -8.0 / -6.3 ms  (the grouped list is built only for --help)
    sync (no-op)   68.5 / 70.9 ms   70.0 / 65.8 ms   +1.5 / -5.1 ms
    run (warm)     84.0 / 65.4 ms   71.6 / 67.7 ms   -12.5 / +2.2 ms

Not slower: every difference is within the run-to-run noise (±5 ms here). `python -X importtime -m corral
--version`: corral.cli.main 5.3 ms before, 4.1 ms after (median of 5; no `typing`, no render module imported).
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

CASES = {
    "--version": ["--version"],
    "--help": ["--help"],
    "sync (no-op)": ["sync"],
    "run (warm)": ["run", "python", "-c", "pass"],
}


def environ(src: Path | None, home: Path) -> dict[str, str]:
    """The caller's environment without pip/uv/corral settings; PYTHONPATH picks the source tree under test."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "CORRAL_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env.update(CORRAL_HOME=str(home), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", CORRAL_NAME_CHECK="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def setup(folder: Path, python: str, env: dict[str, str]) -> None:
    """A project with no dependencies, locked and synced (the no-op paths then have their stamp)."""
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0"\nrequires-python = ">={python}"\n'
        "dependencies = []\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (folder / ".python-version").write_text(python + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "corral", "sync"], cwd=folder, env=env, check=True, capture_output=True)


def once(args: list[str], folder: Path, env: dict[str, str]) -> float:
    """Seconds for one fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corral", *args], cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    """Print one row per case: the median (and, with --before, the other tree's median and the difference)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--before", type=Path, help="another corral source tree (its `src` folder) to compare")
    parser.add_argument("--python", default="3.12")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        trees = {"after": None} | ({"before": args.before} if args.before else {})
        worlds = {}
        for label, src in trees.items():
            env = environ(src, Path(tmp) / f"home-{label}")
            setup(Path(tmp) / label, args.python, env)
            worlds[label] = (Path(tmp) / label, env)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for case, argv in CASES.items():
                for label, (folder, env) in worlds.items():
                    times.setdefault((case, label), []).append(once(argv, folder, env))
        header = f"{'case':<14}" + "".join(f"{label:>12}" for label in worlds)
        print(header + ("    after-before" if args.before else ""))
        for case in CASES:
            medians = {label: statistics.median(times[(case, label)]) * 1000 for label in worlds}
            row = f"{case:<14}" + "".join(f"{medians[label]:>9.1f} ms" for label in worlds)
            if args.before:
                row += f"    {medians['after'] - medians['before']:+.1f} ms"
            print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
