"""Benchmark: `corral outdated` over a lock of many packages on a local index (not a test).

    python benchmarks/bench_outdated.py --corral PROGRAM [--baseline PROGRAM] [--packages 117] [--rounds 5]
                                        [--latency-ms 0] [--python PYTHON]

Builds `--packages` tiny projects (1.0 each) with the test suite's wheel builder, serves them with its local index,
locks and syncs a project needing all of them, then adds a 2.0 of each to the index: every locked package is
outdated. Each round times `corral outdated -q` once per corral (alternating who goes first) and
`uv pip list --outdated` on the same env. `--latency-ms` delays each index answer (a real index is tens of ms
away; the local one answers in about one). Prints medians and the median of the paired ratios against the baseline.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support import index as index_module  # noqa: E402 - the tests' folder is put on the path first
from support.index import serve_index  # noqa: E402
from support.wheels import Package, build_packages  # noqa: E402

UV = ROOT / ".venv" / "bin" / "uv"


def _slow_index(latency: float) -> None:
    # the test index's server keeps socketserver's listen backlog of 5: under load, the sixth connection at once waits
    # out a SYN retry (1 s); an index serving many clients keeps a long one
    index_module.IndexServer.request_queue_size = 128
    if latency <= 0:
        return
    answer = index_module.IndexHandler.do_GET

    def delayed(self: index_module.IndexHandler) -> None:
        time.sleep(latency)
        answer(self)

    index_module.IndexHandler.do_GET = delayed  # type: ignore[method-assign]


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{done.stderr}")
    return elapsed


def main() -> int:
    """Build, lock, serve, time; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corral", required=True)
    parser.add_argument("--baseline")
    parser.add_argument("--packages", type=int, default=117)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    args = parser.parse_args()
    names = [f"bench-{i:03d}" for i in range(args.packages)]
    with tempfile.TemporaryDirectory(prefix="corral-bench-outdated-") as tmp:
        work = Path(tmp)
        build_packages(work / "pkgs", tuple(Package(n, "1.0") for n in names))
        root = work / "proj"
        root.mkdir()
        deps = ", ".join(f'"{n}"' for n in names)
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = [{deps}]\n'
        )
        (root / ".python-version").write_text(args.python + "\n")
        env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", CORRAL_SEED="0", UV_NO_CONFIG="1")
        env["CORRAL_HOME"] = str(work / "home")
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
        with serve_index(work / "pkgs") as index:
            env["UV_INDEX_URL"] = index.simple_url
            _timed([args.corral, "sync", "-q"], root, env)
        build_packages(work / "pkgs", tuple(Package(n, "2.0") for n in names))
        _slow_index(args.latency_ms / 1000)
        with serve_index(work / "pkgs") as index:
            env["UV_INDEX_URL"] = index.simple_url
            tools = {"corral": [args.corral, "outdated", "-q"]}
            if args.baseline:
                tools["baseline"] = [args.baseline, "outdated", "-q"]
            tools["uv"] = [str(UV), "pip", "list", "--outdated", "--python", str(root / ".venv" / "bin" / "python")]
            times: dict[str, list[float]] = {name: [] for name in tools}
            for n in range(args.rounds):
                order = list(tools) if n % 2 == 0 else list(reversed(tools))
                for name in order:
                    times[name].append(_timed(tools[name], root, env))
        print(f"{args.packages} packages, latency {args.latency_ms} ms, {args.rounds} rounds, load {os.getloadavg()}")
        for name, values in times.items():
            print(f"  {name:9} median {statistics.median(values):.3f} s  ({', '.join(f'{v:.3f}' for v in values)})")
        if args.baseline:
            ratios = [b / c for b, c in zip(times["baseline"], times["corral"], strict=True)]
            print(f"  baseline/corral paired median ratio {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
