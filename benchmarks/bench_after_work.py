"""Benchmark: the first no-op right after work (not a test): after a sync, a lock, an add and a remove.

`sync`/`run true` after a sync, `lock` after a lock, `lock` after `add` and after `remove`:

    python benchmarks/bench_after_work.py --corral PROGRAM [--baseline PROGRAM] [--only requests,click] [--rounds 5]
                                          [--cases "lock after add,lock after remove"] [--drop-versions]

The projects are benchmarks/projects' (copied into git repositories tagged 1.0.0, as bench_projects.py does). Each
round, per project and per corral (alternating who goes first): `rm -rf .venv && corral sync -q` (untimed), then
`corral sync -q` and `corral run true` timed at once; `rm pylock.toml && corral lock -q` (untimed), then `corral
lock -q` timed at once. uv does the same in the same rounds (`uv sync --locked --offline`, `uv run --locked
--offline true`, `uv lock --offline` right after `uv sync` / `uv lock`). These are the commands a user runs right after
the work; before issue 16's sixth round each took corral's full path (the files just written were younger than the
quick records' settle margin). Then `corral add -q --group bench NAME` (untimed; NAME: the first registry package
of the project's lock, so nothing new is resolved), `corral lock -q` timed, `corral remove -q --group bench NAME`
(untimed), `corral lock -q` timed; uv: `uv add`/`uv remove` the same, each followed by `uv lock --offline` timed.
Each round's add starts from the committed pyproject.toml (`git checkout`), so `git describe --dirty` turns dirty:
before the fix of the version's git input, typer's and packaging's lock then asked the build backend and resolved
again. The dirty version is cached after the first round: the medians show a resolution from uv's cache, not the
build backend's seconds (the first add's), unless `--drop-versions`: then corral's cached project versions are removed
before each timed lock after add/remove, so every round asks the build backend as the first lock of a new state
does (pluggy, attrs: what services.foreign.metadata costs). Prints medians and the median of the paired ratios against
the baseline. The index is asked by the untimed fresh locks and adds (warm caches: run bench_projects.py once first).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the benchmark runs on 3.11+
    import tomli as tomllib

sys.path.insert(0, str(Path(__file__).parent))
from bench_projects import copy_project
from bench_sync import environ, tool

CASES = ("sync after sync", "run after sync", "lock after lock", "lock after add", "lock after remove")
_EDITS = ("lock after add", "lock after remove")


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of `cmd` in ms, failing loudly."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = (time.perf_counter() - start) * 1000
    if done.returncode:
        sys.exit(f"bench_after_work: {' '.join(cmd)} in {cwd} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return took


def added_name(root: Path) -> str:
    """The first registry package of the project's pylock.toml: adding it to a group resolves nothing new."""
    data = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    return str(min(p["name"] for p in data["packages"] if "version" in p and "directory" not in p))


def restore(root: Path, env: dict[str, str]) -> None:
    """pyproject.toml as committed: a round's add then dirties a clean tree (a remove may not give the bytes back)."""
    run(["git", "checkout", "-q", "--", "pyproject.toml"], root, env)


def corral_round(corral: str, root: Path, env: dict[str, str], name: str | None, *, drop: bool = False) -> list[float]:
    """A new env, then the no-ops at once; a fresh lock, then the no-op lock at once; add/remove, then the lock.

    `drop`: corral's cached project versions are removed before each timed lock after add/remove.
    """

    def dropped() -> None:
        if drop:
            shutil.rmtree(Path(env["CORRAL_HOME"]) / "cache" / "project-versions", ignore_errors=True)

    shutil.rmtree(root / ".venv", ignore_errors=True)
    run([corral, "sync", "-q"], root, env)
    times = [run([corral, "sync", "-q"], root, env), run([corral, "run", "true"], root, env)]
    (root / "pylock.toml").unlink()
    run([corral, "lock", "-q"], root, env)
    times.append(run([corral, "lock", "-q"], root, env))
    if name is not None:  # then the lock after add and after remove, from a clean tree (`git describe` flips)
        restore(root, env)
        run([corral, "add", "-q", "--group", "bench", name], root, env)
        dropped()
        times.append(run([corral, "lock", "-q"], root, env))
        run([corral, "remove", "-q", "--group", "bench", name], root, env)
        dropped()
        times.append(run([corral, "lock", "-q"], root, env))
    return times


def uv_round(uv: str, python: str, root: Path, env: dict[str, str], name: str | None) -> list[float]:
    """The same with uv (ms, in CASES' order)."""
    shutil.rmtree(root / ".venv", ignore_errors=True)
    run([uv, "sync", "--locked", "--offline", "-q", "--python", python], root, env)
    times = [
        run([uv, "sync", "--locked", "--offline", "-q", "--python", python], root, env),
        run([uv, "run", "--locked", "--offline", "-q", "--python", python, "true"], root, env),
    ]
    (root / "uv.lock").unlink()
    run([uv, "lock", "-q", "--python", python], root, env)
    times.append(run([uv, "lock", "--offline", "-q", "--python", python], root, env))
    if name is not None:
        restore(root, env)
        run([uv, "add", "-q", "--python", python, "--group", "bench", name], root, env)
        times.append(run([uv, "lock", "--offline", "-q", "--python", python], root, env))
        run([uv, "remove", "-q", "--python", python, "--group", "bench", name], root, env)
        times.append(run([uv, "lock", "--offline", "-q", "--python", python], root, env))
    return times


def main() -> int:
    """Time every case, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corral", required=True, help="the corral program to time")
    parser.add_argument("--baseline", help="another corral program, timed in the same rounds")
    parser.add_argument("--only", default="requests,click", help="projects (benchmarks/projects)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    parser.add_argument("--cases", default=",".join(CASES), help="which rows to print (add/remove only when asked)")
    parser.add_argument(
        "--drop-versions", action="store_true", help="remove corral's cached project versions before each edit's lock"
    )
    args = parser.parse_args()
    cases = tuple(CASES if not args.cases else [c for c in CASES if c in args.cases.split(",")])
    timed = CASES if any(c in cases for c in _EDITS) else CASES[: -len(_EDITS)]
    names = args.only.split(",")
    tools = {"after": args.corral, **({"before": args.baseline} if args.baseline else {})}
    uv = tool("uv")
    times: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="corral-after-work-") as tmp:
        places = {}
        added: dict[str, str | None] = {}
        for name in names:
            for who in (*tools, "uv"):
                root = copy_project(name, Path(tmp) / who / name)
                env = environ(CORRAL_HOME=str(Path(tmp) / who / "home"), UV_PYTHON_DOWNLOADS="never")
                if who == "uv":
                    run([uv, "lock", "-q", "--python", args.python], root, env)
                else:
                    (root / ".python-version").write_text(args.python + "\n", encoding="utf-8")
                    run([tools[who], "lock", "-q"], root, env)
                places[name, who] = (root, env)
            added[name] = added_name(places[name, "after"][0]) if timed == CASES else None
        for round_no in range(args.rounds):
            for name in names:
                order = [*tools, "uv"] if round_no % 2 == 0 else ["uv", *reversed(tools)]
                for who in order:
                    root, env = places[name, who]
                    got = (
                        uv_round(uv, args.python, root, env, added[name])
                        if who == "uv"
                        else corral_round(tools[who], root, env, added[name], drop=args.drop_versions)
                    )
                    for case, took in zip(timed, got, strict=True):
                        times.setdefault((name, case, who), []).append(took)
    print(f"{'project':<10} {'case':<17}" + "".join(f"{w:>10}" for w in (*tools, "uv")) + "  after/uv  after/before")
    for name in names:
        for case in cases:
            row = {w: times[name, case, w] for w in (*tools, "uv")}
            cells = "".join(f"{statistics.median(v):>8.1f}ms" for v in row.values())
            vs_uv = statistics.median(a / b for a, b in zip(row["after"], row["uv"], strict=True))
            vs_before = (
                f"{statistics.median(a / b for a, b in zip(row['after'], row['before'], strict=True)):>12.2f}"
                if "before" in row
                else ""
            )
            print(f"{name:<10} {case:<17}{cells}  {vs_uv:>8.2f}{vs_before}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
