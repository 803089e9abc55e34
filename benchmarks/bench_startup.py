"""Start-up of the paths people run most: `corral --version`, no-op `sync`, `run`, `lock` (not a test: timings vary).

    python benchmarks/bench_startup.py [--rounds 30] [--before SRC] [--python 3.12] [--corral PROGRAM] [--no-uv]
        [--baseline PROGRAM]

Setup (untimed, no network): a project with no dependencies, synced once, left to settle two seconds (the quick
record is written only for inputs that old) and asked once more, so the quick record answers the no-op paths.
Each round starts a new process. `--before SRC` also times another corral source tree (say an export of an
older commit: `git archive HEAD~5 src | tar -x -C /tmp/before`, then `--before /tmp/before/src`) on its own
project, interleaving the two so machine load hits both alike, and prints the difference of the medians.
`--corral PROGRAM` times an installed `corral` console script (as users start it) instead of `python -m corral`.
`--baseline PROGRAM` times another installed corral (say one of the commit before a change) the same way, on a
project and in a corral home of its own, in the same rounds (`before`).

Install the corrals to time with a current pip (or uv): an older pip (23.2.1, ensurepip's in 3.12.1) writes a
console script that imports `re` first (~10 ms of CPU here, 38% of a quick no-op's instructions: 64 M against
40 M in callgrind); pip 26.3 and uv write one without it. The benchmark says so when it times such a script.

`sync (trust moved)` is a no-op `sync` right after corral allowed another env (untimed, each round): trust.json is
rewritten, this env's entry is not. `lock (no-op)` is a plain `corral lock` against `uv lock --offline`.

uv is timed in the same rounds on a copy of the project that `uv lock` and `uv sync` set up: `sync (no-op)`
against `uv sync --locked --offline`, `run true` against `uv run --locked --offline true`; the last column is the
median of the paired ratios (corral / uv, per round). `--no-uv` leaves uv out.

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
import shutil
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
    "run true": ["run", "true"],
    "lock (no-op)": ["lock"],
    "sync (trust moved)": ["sync"],
}
# an untimed step before a case, each round: another env allowed (trust.json rewritten)
BEFORE_CASE = {"sync (trust moved)": ["allow", "{other}"]}
# an untimed step after a case, each round: the lock record follows trust.json too (lock (no-op) measures its own path)
AFTER_CASE = {"sync (trust moved)": ["lock", "-q"]}
# uv doing the same no-op work on the same project (set up by `uv lock` + `uv sync`)
UV_CASES = {
    "sync (no-op)": ["sync", "--locked", "--offline"],
    "run true": ["run", "--locked", "--offline", "true"],
    "lock (no-op)": ["lock", "--offline"],
}
SETTLE = 2.1  # seconds: cli.quick records no input younger than its settle margin (2 s where stamps are rounded)


def environ(src: Path | None, home: Path) -> dict[str, str]:
    """The caller's environment without pip/uv/corral settings; PYTHONPATH picks the source tree under test."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "CORRAL_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env.update(CORRAL_HOME=str(home), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", CORRAL_NAME_CHECK="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def write_project(folder: Path, python: str) -> None:
    """A project with no dependencies."""
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0"\nrequires-python = ">={python}"\n'
        "dependencies = []\n[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (folder / ".python-version").write_text(python + "\n", encoding="utf-8")


def setup(folder: Path, python: str, env: dict[str, str], program: list[str]) -> None:
    """The project, locked and synced (the no-op paths then have their stamp); and another env to allow."""
    write_project(folder, python)
    subprocess.run([*program, "sync"], cwd=folder, env=env, check=True, capture_output=True)
    other = folder.parent / f"{folder.name}-other"
    (other / "bin").mkdir(parents=True)
    (other / "pyvenv.cfg").write_text("home = /nowhere\n", encoding="utf-8")


def setup_uv(folder: Path, python: str, uv: str, env: dict[str, str]) -> None:
    """The same project, locked and synced by uv (uv.lock and uv's .venv)."""
    write_project(folder, python)
    for argv in (["lock", "--offline"], ["sync", "--locked", "--offline"]):
        subprocess.run([uv, *argv, "--python", python], cwd=folder, env=env, check=True, capture_output=True)


def once(program: list[str], args: list[str], folder: Path, env: dict[str, str]) -> float:
    """Seconds for one fresh process."""
    started = time.perf_counter()
    subprocess.run([*program, *args], cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def find_uv() -> str | None:
    """The uv program next to this interpreter (the dev venv has it), else on PATH."""
    local = Path(sys.executable).parent / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def main() -> int:
    """Print one row per case: the median (with --before the other tree's and the difference; uv's and the ratio)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--before", type=Path, help="another corral source tree (its `src` folder) to compare")
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--corral", help="an installed corral program to time instead of `python -m corral`")
    parser.add_argument("--no-uv", action="store_true", help="do not time uv")
    parser.add_argument("--baseline", help="another installed corral program, timed as 'before'")
    args = parser.parse_args()
    if args.before and args.baseline:
        parser.error("--before and --baseline both name the 'before' corral: pick one")
    program = [args.corral] if args.corral else [sys.executable, "-m", "corral"]
    for script in (args.corral, args.baseline):
        if script and "\nimport re\n" in Path(script).read_text(encoding="utf-8", errors="replace")[:500]:
            print(f"note: {script} imports re first (an old pip's console script): ~10 ms more", file=sys.stderr)
    uv = None if args.no_uv else find_uv()
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp:
        trees = {"after": (None, program)}
        if args.before:
            trees["before"] = (args.before, [sys.executable, "-m", "corral"])
        elif args.baseline:
            trees["before"] = (None, [args.baseline])
        worlds = {}
        for label, (src, prog) in trees.items():
            env = environ(src, Path(tmp) / f"home-{label}")
            setup(Path(tmp) / label, args.python, env, prog)
            worlds[label] = (Path(tmp) / label, env, prog)
        if uv is not None:
            setup_uv(Path(tmp) / "uv", args.python, uv, worlds["after"][1])
        time.sleep(SETTLE)
        for folder, env, prog in worlds.values():  # the full no-op paths write the quick records
            for case in UV_CASES:
                subprocess.run([*prog, *CASES[case]], cwd=folder, env=env, check=True, capture_output=True)
        times = timed_rounds(args.rounds, worlds, uv, Path(tmp) / "uv")
        report(times, [*worlds, *(["uv"] if uv is not None else [])])
    return 0


World = tuple[Path, dict[str, str], list[str]]  # the project folder, the environment, the corral program


def timed_rounds(
    rounds: int, worlds: dict[str, World], uv: str | None, uv_folder: Path
) -> dict[tuple[str, str], list[float]]:
    """Seconds per (case, label): each round runs every case once per corral (who goes first alternates), then uv."""
    times: dict[tuple[str, str], list[float]] = {}
    for round_no in range(rounds):
        for case, argv in CASES.items():
            order = list(worlds.items()) if round_no % 2 else list(worlds.items())[::-1]
            for label, (folder, env, prog) in order:
                if case in BEFORE_CASE:
                    other = str(folder.parent / f"{folder.name}-other")
                    step = [arg.replace("{other}", other) for arg in BEFORE_CASE[case]]
                    subprocess.run([*prog, *step], cwd=folder, env=env, check=True, capture_output=True)
                times.setdefault((case, label), []).append(once(prog, argv, folder, env))
                if case in AFTER_CASE:
                    subprocess.run([*prog, *AFTER_CASE[case]], cwd=folder, env=env, check=True, capture_output=True)
            if uv is not None and case in UV_CASES:
                times.setdefault((case, "uv"), []).append(once([uv], UV_CASES[case], uv_folder, worlds["after"][1]))
    return times


def report(times: dict[tuple[str, str], list[float]], labels: list[str]) -> None:
    """One row per case: each label's median, after - before, and the median of the paired after/uv ratios."""
    header = f"{'case':<14}" + "".join(f"{label:>12}" for label in labels)
    print(header + ("    after-before" if "before" in labels else "") + ("    after/uv" if "uv" in labels else ""))
    for case in CASES:
        medians = {label: statistics.median(times[(case, label)]) * 1000 for label in labels if (case, label) in times}
        row = f"{case:<14}" + "".join(
            f"{medians[label]:>9.1f} ms" if label in medians else f"{'':>12}" for label in labels
        )
        if "before" in medians:
            row += f"    {medians['after'] - medians['before']:+.1f} ms"
        if (case, "uv") in times:
            ratios = [a / b for a, b in zip(times[(case, "after")], times[(case, "uv")], strict=True)]
            row += f"    x{statistics.median(ratios):.2f}"
        print(row)


if __name__ == "__main__":
    raise SystemExit(main())
