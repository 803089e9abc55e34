"""Benchmark: build the same locked web stack several ways and compare (not a test; needs the real index once).

    python benchmarks/bench_sync.py [--python 3.12] [--rounds 5] [--keep DIR] [--no-pip] [--baseline PYTHON] [--fates]

Setup (untimed, needs the network the first time): a project depending on a ~30-package web stack is locked
by `corral lock` (pylock.toml) and `uv lock` (uv.lock), and exported to requirements.txt; one warm-up round
fills the uv and pip caches. Each timed round then starts from no env at all and measures, paired:

  corral          `corral sync` (creates the env, seeded with pip as corral's default is, installs)
  corral-noseed   the same with CORRAL_SEED=0 (no pip, as `uv sync` does)
  uv-pip-sync     `uv venv --seed` + `uv pip sync pylock.toml` (the same work as corral)
  uv-pip-sync-off the same with `--offline` (no HTTP revalidation of the wheel URLs)
  uv-sync         `uv sync --locked --offline` from uv.lock (uv's fastest project path; no pip)
  pip             `python -m venv` + `pip install -r requirements.txt`
  corral-noop     `corral sync` again on the synced env (the stamp's fast path)
  before, before-noseed  with --baseline PYTHON: `corral sync` (and CORRAL_SEED=0) run by another corral's
                  interpreter (an install of the code before a change), paired in the same rounds

The ways run in one order in odd rounds and in the reverse order in even ones. Each corral keeps its own folders
(XDG_*_HOME under the work folder, uv's cache shared), so corral commands run elsewhere meanwhile change none of
its records. It prints the median of each and the median of the paired ratios, of the wall time and of the CPU
time (user + system of the processes, which a loaded machine stretches less). Targets (issue 16): corral within
1.1x of uv-pip-sync-off (or +20 ms), corral-noseed within 1.5x of uv-sync.
`--fates` says what each timed run of a corral was (replayed, declined and why, adopted, full), read from its fault
log (`bench_projects.fate`): a replay declined in some rounds makes the medians bimodal.
Only the stdlib is used; tool runs are isolated from the machine's pip/uv configuration.
"""

# A standalone script that reports on stdout: printing is its job.

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

STACK = [
    "fastapi",
    "uvicorn[standard]",
    "sqlalchemy",
    "httpx",
    "pydantic",
    "jinja2",
    "python-multipart",
    "alembic",
    "itsdangerous",
]
HERE = Path(sys.executable).parent
CORRALS = ("corral", "before")  # the ways a corral runs (`--fates` watches them)
Table = dict[str, tuple[Path, list[list[str]], dict[str, str], Path]]  # way -> (cwd, steps, env, env folder)


def tool(name: str) -> str:
    """A program next to this interpreter (the venv corral runs from), else on PATH."""
    local = HERE / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench_sync: {name} not found next to {sys.executable} or on PATH")
    return found


def environ(**extra: str) -> dict[str, str]:
    """The caller's environment without pip/uv/corral settings (the machine's pip config is ignored)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "CORRAL_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never"
    )
    env.update(extra)
    return env


def sh(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run, failing loudly."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"bench_sync: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def timed(steps: list[list[str]], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of running `steps` one after the other."""
    return timed_cpu(steps, cwd, env)[0]


def timed_cpu(steps: list[list[str]], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) time of running `steps`: CPU is user + system of the processes and what they waited for.

    A loaded machine stretches the wall more than the CPU; a detached process (the daily cache prune) is not counted.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for step in steps:
        sh(step, cwd, env)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def python_path(spec: str) -> str:
    """A path for '3.12'-style specs (pyenv folder or PATH), or the spec itself."""
    if os.sep in spec:
        return spec
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for folder in sorted(pyenv.glob(f"{spec}.*"), reverse=True):
        exe = folder / "bin" / f"python{spec}"
        if exe.exists():
            return str(exe)
    return shutil.which(f"python{spec}") or sys.exit(f"bench_sync: no Python {spec} found")


def setup(work: Path, python: str, env: dict[str, str]) -> dict[str, Path]:
    """Write the projects and their locks (untimed)."""
    code = "import sys; print(sys.version_info[0], sys.version_info[1])"
    minor = ".".join(subprocess.check_output([python, "-c", code], text=True).split())
    pyproject = (
        f'[project]\nname = "webstack"\nversion = "0.1.0"\nrequires-python = ">={minor}"\n'
        f"dependencies = {STACK!r}\n".replace("'", '"')
    )
    dirs = {}
    for name in ("corral", "uvsync", "uvpip", "pip"):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        dirs[name] = folder
    print("setup: corral lock, uv lock, exports (network on first use) ...", file=sys.stderr)
    sh([sys.executable, "-m", "corral", "lock"], dirs["corral"], dict(env, CORRAL_PYTHON=python))
    sh([tool("uv"), "lock", "--python", python], dirs["uvsync"], env)
    sh([tool("uv"), "sync", "--locked", "-q", "--python", python], dirs["uvsync"], env)  # the wheels into uv's cache
    shutil.rmtree(dirs["uvsync"] / ".venv")
    shutil.copy(dirs["corral"] / "pylock.toml", dirs["uvpip"] / "pylock.toml")
    sh(
        [
            tool("uv"),
            "export",
            "--format",
            "requirements.txt",
            "--no-emit-project",
            "-o",
            "requirements.txt",
            "--quiet",
            "--python",
            python,
        ],
        dirs["uvsync"],
        env,
    )
    shutil.copy(dirs["uvsync"] / "requirements.txt", dirs["pip"] / "requirements.txt")
    return dirs


def ways(dirs: dict[str, Path], python: str, baseline: str | None = None) -> Table:
    """Name -> (cwd, steps, env, env folder to delete before each round)."""
    uv, env = tool("uv"), environ()
    corral = [sys.executable, "-m", "corral", "sync", "-q"]
    corral_env = environ(CORRAL_PYTHON=python)
    uvpip_env = dirs["uvpip"] / ".venv"
    pylock_sync = [
        uv,
        "pip",
        "sync",
        "--python",
        str(uvpip_env / "bin" / "python"),
        "pylock.toml",
        "--preview-features",
        "pylock",
        "-q",
    ]
    pip_env = dirs["pip"] / ".venv"
    before = [baseline, *corral[1:]] if baseline else None
    venv = dirs["corral"] / ".venv"
    # Each corral keeps its folders apart (uv's cache shared): the rebuild record names the uv of the corral that
    # wrote it, so with one record `corral` and `before` would each undo the other's head start every round; and
    # corral commands run elsewhere on the machine meanwhile (their interpreter cache, trust record, inventory)
    # change neither.
    uv_cache = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv")
    shared = {"UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or uv_cache}

    def apart(home: Path) -> dict[str, str]:
        return {**shared, **{f"XDG_{k}_HOME": str(home / k.lower()) for k in ("DATA", "CACHE", "CONFIG")}}

    before_env = dict(corral_env, **apart(dirs["corral"].parent / "before-home"))
    corral_env = dict(corral_env, **apart(dirs["corral"].parent / "corral-home"))
    return {
        "corral": (dirs["corral"], [corral], corral_env, dirs["corral"] / ".venv"),
        "corral-noseed": (dirs["corral"], [corral], dict(corral_env, CORRAL_SEED="0"), dirs["corral"] / ".venv"),
        **(
            {
                "before": (dirs["corral"], [before], before_env, venv),
                "before-noseed": (dirs["corral"], [before], dict(before_env, CORRAL_SEED="0"), venv),
            }
            if before
            else {}
        ),
        "uv-pip-sync": (
            dirs["uvpip"],
            [[uv, "venv", "-q", "--seed", "-p", python, str(uvpip_env)], pylock_sync],
            env,
            uvpip_env,
        ),
        "uv-pip-sync-off": (
            dirs["uvpip"],
            [[uv, "venv", "-q", "--seed", "--offline", "-p", python, str(uvpip_env)], [*pylock_sync, "--offline"]],
            env,
            uvpip_env,
        ),
        "uv-sync": (
            dirs["uvsync"],
            [[uv, "sync", "--locked", "--offline", "-q", "--python", python]],
            env,
            dirs["uvsync"] / ".venv",
        ),
        "pip": (
            dirs["pip"],
            [
                [python, "-m", "venv", str(pip_env)],
                [str(pip_env / "bin" / "python"), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
            ],
            env,
            pip_env,
        ),
    }


def fate(log: Path) -> str:
    """What a corral's rebuild was, from its fault log (`bench_projects.fate`; that module imports this one)."""
    from bench_projects import fate as read  # noqa: PLC0415 - imported here: bench_projects imports this module

    return read(log)


def watched(table: Table, log: Path) -> Table:
    """The corrals' ways with `CORRAL_FAULT_LOG`, the same value every round (a replay compares the environment)."""
    return {
        name: (cwd, steps, dict(env, CORRAL_FAULT_LOG=str(log)) if name.startswith(CORRALS) else env, env_dir)
        for name, (cwd, steps, env, env_dir) in table.items()
    }


def measure(
    table: Table, rounds: int, log: Path | None
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[str]]]:
    """(wall times, CPU times, fates) of each way over `rounds` timed rounds, after one that warms the caches."""
    times: dict[str, list[float]] = {name: [] for name in [*table, "corral-noop"]}
    cpu: dict[str, list[float]] = {name: [] for name in table}
    fates: dict[str, list[str]] = {name: [] for name in table if log is not None and name.startswith(CORRALS)}
    for round_no in range(rounds + 1):  # round 0 warms every cache and is not counted
        for name, (cwd, steps, env, env_dir) in list(table.items())[:: 1 if round_no % 2 else -1]:  # alternating
            shutil.rmtree(env_dir, ignore_errors=True)
            if log is not None:
                log.unlink(missing_ok=True)
            took, used = timed_cpu(steps, cwd, env)
            if round_no:
                times[name].append(took)
                cpu[name].append(used)
                if name in fates and log is not None:
                    fates[name].append(fate(log))
        cwd, steps, env, _ = table["corral"]
        sh(steps[0], cwd, env)
        noop = min(timed(steps, cwd, env) for _ in range(5))
        if round_no:
            times["corral-noop"].append(noop)
    return times, cpu, fates


def report(times: dict[str, list[float]], cpu: dict[str, list[float]], fates: dict[str, list[str]]) -> None:
    """The medians, the paired ratios and (`--fates`) what each corral's run was."""
    print(f"{'way':<18}{'median':>10}{'min':>10}{'CPU':>10}")
    for name, values in times.items():
        spent = f"{statistics.median(cpu[name]) * 1000:>8.0f}ms" if name in cpu else ""
        print(f"{name:<18}{statistics.median(values) * 1000:>8.0f}ms{min(values) * 1000:>8.0f}ms{spent}")
    print("\npaired ratios (median of per-round ratios):")
    pairs = [
        ("corral", "uv-pip-sync"),
        ("corral", "uv-pip-sync-off"),
        ("corral-noseed", "uv-sync"),
        ("corral", "pip"),
        ("before", "uv-pip-sync-off"),
        ("before-noseed", "uv-sync"),
        ("corral", "before"),
        ("corral-noseed", "before-noseed"),
    ]
    for a, b in ((a, b) for a, b in pairs if a in times and b in times):
        ratios = [x / y for x, y in zip(times[a], times[b], strict=True)]
        diff = statistics.median(x - y for x, y in zip(times[a], times[b], strict=True)) * 1000
        cpu_ratios = [x / y for x, y in zip(cpu[a], cpu[b], strict=True)]
        cpu_diff = statistics.median(x - y for x, y in zip(cpu[a], cpu[b], strict=True)) * 1000
        print(
            f"  {a} / {b}: {statistics.median(ratios):.2f}x ({diff:+.0f} ms); "
            f"CPU {statistics.median(cpu_ratios):.2f}x ({cpu_diff:+.0f} ms)"
        )
    print(f"  corral-noop: {statistics.median(times['corral-noop']) * 1000:.0f} ms (target < 50 ms)")
    if fates:
        print("\nwhat each timed run was, round by round (--fates):")
        for name, seen in fates.items():
            print(f"  {name:<16}{' '.join(seen)}")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--no-pip", action="store_true", help="leave out the pip way (seconds a round)")
    parser.add_argument("--baseline", help="another corral's python (the code before a change), timed as 'before'")
    parser.add_argument(
        "--fates", action="store_true", help="say what each timed run of a corral was (replayed or not)"
    )
    opts = parser.parse_args()
    python = python_path(opts.python)
    work = opts.keep or Path(tempfile.mkdtemp(prefix="corral-bench-"))
    dirs = setup(work, python, environ())
    table = ways(dirs, python, opts.baseline)
    if opts.no_pip:
        del table["pip"]
    log = work / "fault.log" if opts.fates else None
    times, cpu, fates = measure(watched(table, log) if log is not None else table, opts.rounds, log)
    count = len(list((dirs["uvsync"] / ".venv").glob("lib/*/site-packages/*.dist-info")))
    print(f"\n{count} distributions in the env, Python {python}, {opts.rounds} rounds, warm caches\n")
    report(times, cpu, fates)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
