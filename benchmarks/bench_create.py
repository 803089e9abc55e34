"""Benchmark: making an env natively (creators/native.py) against `uv venv` and `python -m venv` (not a test).

    python benchmarks/bench_create.py [--python 3.12] [--rounds 15] [--corral PATH]

Run it with a corral installed the way users get it (its own venv, compiled bytecode), e.g.
`python -m venv V && V/bin/pip install . && V/bin/python benchmarks/bench_create.py`. Rounds alternate between
the variants; it prints the median (and minimum) of each and the median of the paired ratios.

  creator work      the env alone, no pip: `NativeCreator().create` in this process, against the processes
                    `uv venv --no-project` and `python -m venv --without-pip`
  corral venv       `corral venv --no-seed` with `--creator native` against `--creator uv` (whole CLI runs)
  fresh sync        `corral sync` of a small project (one local wheel, locked) into no env, CORRAL_SEED=0 and
                    seeded (pip from uv's cache), with CORRAL_CREATOR=native against CORRAL_CREATOR=uv

Offline: the project's one dependency is a wheel built here, named by its file URL.
Only the stdlib (and corral, for the in-process creator) is used; tool runs are isolated from the machine's
pip/uv/corral configuration.
"""

# A standalone script that reports on stdout: printing is its job.

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from bench_sync import environ, python_path, tool

from corral.core.interpreter import InterpreterInfo
from corral.core.protocols import CreateRequest
from corral.creators.native import NativeCreator
from corral.discovery.prober import CachedProber
from corral.infra.paths import CorralPaths


def isolated(home: Path) -> dict[str, str]:
    """bench_sync's isolated environment, corral's folders under `home`."""
    return environ(CORRAL_HOME=str(home), CORRAL_NAME_CHECK="0")


def tiny_wheel(folder: Path) -> Path:
    """A one-module wheel, `benchdep 1.0`, written with zipfile."""
    files = [
        ("benchdep.py", b'__version__ = "1.0"\n'),
        ("benchdep-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: benchdep\nVersion: 1.0\n\n"),
        (
            "benchdep-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    rows = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{name},sha256={digest},{len(data)}")
    rows.append("benchdep-1.0.dist-info/RECORD,,")
    files.append(("benchdep-1.0.dist-info/RECORD", ("\n".join(rows) + "\n").encode()))
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "benchdep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
    return wheel


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Milliseconds `action` took: wall clock, and CPU (this process's and its children's, user + system).

    The CPU time hardly moves with the machine's load, so it shows what a variant costs when other work shares
    the cores; the wall clock is what a user waits.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, (time.process_time() - cpu + children) * 1000


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    """Run `cmd`; exit with its output when it fails."""
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_create: {' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")


def report(title: str, results: dict[str, list[tuple[float, float]]], base: str) -> None:
    """Print each variant's median and minimum (wall, then CPU), and the medians of its paired ratios to `base`."""
    print(f"\n{title}")
    for name, values in results.items():
        wall = [w for w, _ in values]
        cpu = [c for _, c in values]
        wall_ratio = statistics.median(w / b for (w, _), (b, _) in zip(values, results[base], strict=True))
        cpu_ratio = statistics.median(c / b for (_, c), (_, b) in zip(values, results[base], strict=True))
        print(
            f"  {name:<20} wall median {statistics.median(wall):6.1f} ms min {min(wall):6.1f} x{wall_ratio:.2f}"
            f" | cpu median {statistics.median(cpu):6.1f} ms x{cpu_ratio:.2f}  (ratios to {base})"
        )


def bench_creators(python: str, rounds: int, work: Path, env: dict[str, str]) -> None:
    """The creators' own work: the native one in this process, uv's and venv's as the processes corral runs."""
    os.environ.update(env)
    data = CachedProber(CorralPaths.from_environment(env).interpreter_cache).probe(Path(python))
    interpreter = InterpreterInfo.from_probe(data, path=python)
    reason = NativeCreator().cannot_create(interpreter)
    if reason:
        sys.exit(f"bench_create: the native creator cannot serve {python}: {reason}")
    uv = tool("uv")
    variants: dict[str, Callable[[Path], object]] = {
        "native (in-process)": lambda d: NativeCreator().create(
            CreateRequest(dest=d, interpreter=interpreter, seed=False)
        ),
        "uv venv": lambda d: run([uv, "venv", str(d), "--python", python, "--no-project", "-q"], env),
        "python -m venv": lambda d: run([python, "-m", "venv", "--without-pip", str(d)], env),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for i in range(rounds + 1):
        for n, (name, make) in enumerate(variants.items()):
            dest = work / f"c{i}-{n}"
            spent = timed(lambda make=make, dest=dest: make(dest))
            if i:  # the first round warms caches
                results[name].append(spent)
            shutil.rmtree(dest)
    report("creator work (an env, no pip)", results, "uv venv")


def bench_cli(python: str, rounds: int, work: Path, env: dict[str, str], corral: str) -> None:
    """`corral venv --no-seed`, whole CLI runs, by creator."""
    results: dict[str, list[tuple[float, float]]] = {"corral venv native": [], "corral venv uv": []}
    for i in range(rounds + 1):
        for creator in ("native", "uv"):
            dest = work / f"v{i}-{creator}"
            cmd = [corral, "venv", "--no-seed", "--python", python, "--creator", creator, str(dest)]
            spent = timed(lambda cmd=cmd: run(cmd, env, cwd=work))
            if i:
                results[f"corral venv {creator}"].append(spent)
            shutil.rmtree(dest)
    report("corral venv --no-seed", results, "corral venv uv")


def bench_sync(python: str, rounds: int, work: Path, env: dict[str, str], corral: str) -> None:
    """A fresh `corral sync` of a one-wheel project, without pip and seeded, by creator.

    Seeded, the sync installs pip with the lock's files (services.seed) and asks the creator for an env without
    it on Python 3.12+, so the native creator serves there too.
    """
    wheels = work / "wheels"
    project = work / "proj"
    project.mkdir()
    wheel = tiny_wheel(wheels)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "benchproj"\nversion = "0.1"\nrequires-python = ">=3.8"\n'
        f'dependencies = ["benchdep @ {wheel.as_uri()}"]\n',
        encoding="utf-8",
    )
    base = {**env, "CORRAL_PYTHON": python, "UV_OFFLINE": "1"}
    run([corral, "lock"], base, cwd=project)
    for seed, title in (("0", "CORRAL_SEED=0"), ("1", "seeded: pip from uv's cache")):
        results: dict[str, list[tuple[float, float]]] = {"corral sync native": [], "corral sync uv": []}
        for i in range(rounds + 1):
            for creator in ("native", "uv"):
                environ = {**base, "CORRAL_CREATOR": creator, "CORRAL_SEED": seed}
                spent = timed(lambda environ=environ: run([corral, "sync"], environ, project))
                if i:
                    results[f"corral sync {creator}"].append(spent)
                shutil.rmtree(project / ".venv")
        report(f"fresh corral sync ({title}, one local wheel)", results, "corral sync uv")


def main() -> None:
    """Run the three comparisons."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--corral", default=None, help="the corral program (default: next to this Python)")
    args = parser.parse_args()
    python = python_path(args.python)
    corral = args.corral or tool("corral")
    with tempfile.TemporaryDirectory(prefix="bench-create-") as tmp:
        work = Path(tmp)
        env = isolated(work / "home")
        print(f"python {python}; corral {corral}; load {os.getloadavg()[0]:.2f}")
        bench_creators(python, args.rounds, work, env)
        bench_cli(python, args.rounds, work, env, corral)
        bench_sync(python, args.rounds, work, env, corral)
        print(f"\nload at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
