"""The long crash test: >= 100 kill -9 trials across sync, add, remove, recreate, upgrade --python and envs gc.

Every fault point each command passes is tried (named), plus random points (CORRAL_FAULT=random:SEED:P) and
kills at random times (SIGKILL to the whole process group). After each kill the record files must be the old
or the new ones, byte for byte, and the next corral command must leave a working env with a fresh lock and
nothing half-built. Prints the figures: trials, killed, passes, failures by kind.

    .venv/bin/python tools/torture.py                 # every named point + 4 random points + 4 random times each
    .venv/bin/python tools/torture.py --quick         # a sample (CI runs one: tests/reliability/test_kill_trials.py)
    .venv/bin/python tools/torture.py --scenario add --random 20 --seed 7 --json out.json

Needs the dev venv (tests/support builds the packages and serves them on 127.0.0.1; no internet).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import socketserver
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reliability")]

from killtrials import PACKAGES, SCENARIOS, Lab, Outcome, plan_trials, run_plan  # noqa: E402

from support.fixtures import isolated_environ  # noqa: E402
from support.index import serve_index  # noqa: E402
from support.wheels import Package, build_packages  # noqa: E402


def _out(text: str = "", *, flush: bool = False) -> None:
    sys.stdout.write(text + "\n")
    if flush:
        sys.stdout.flush()


def _pythons() -> dict[str, Path]:
    found = {}
    for version in ("3.12", "3.13"):
        candidates = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*"))
        if not candidates:
            sys.exit(f"torture needs pyenv's CPython {version}")
        found[version] = candidates[-1] / "bin" / f"python{version}"
    return found


def base_environ() -> dict[str, str]:
    """The machine's environment without pip/uv/corral/venv settings (as the test suite isolates it)."""
    environ = isolated_environ()
    for key in list(environ):
        if key.startswith(("CORRAL_", "PYTHONPATH", "PYTHONHOME", "JUPYTER_")):
            del environ[key]
    return environ


def _quiet_index() -> None:
    """A killed download resets its connection: expected here, so the index server need not print it."""
    socketserver.BaseServer.handle_error = lambda *_args: None  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Run the trials and print the figures; exit 1 when any trial broke a promise."""
    _quiet_index()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="only these (repeatable)")
    parser.add_argument("--named", type=int, default=None, help="named points per scenario (default: all)")
    parser.add_argument("--random", type=int, default=4, help="random-point trials per scenario")
    parser.add_argument("--timer", type=int, default=4, help="random-time trials per scenario")
    parser.add_argument("--quick", action="store_true", help="3 named + 1 random + 1 timer per scenario")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.named, args.random, args.timer = 3, 1, 1
    names = args.scenario or list(SCENARIOS)
    work = Path(tempfile.mkdtemp(prefix="corral-torture-"))
    started = time.monotonic()
    build_packages(work / "pkgs", tuple(Package(n, v) for n in PACKAGES for v in ("1.0", "2.0")))
    with serve_index(work / "pkgs") as index:
        lab = Lab(
            work / "lab",
            index_url=index.simple_url,
            pythons=_pythons(),
            base_environ=base_environ(),
            corral=[sys.executable, "-m", "corral"],
        )
        plan = plan_trials(
            lab,
            names=names,
            named_per_scenario=args.named,
            random_per_scenario=args.random,
            timer_per_scenario=args.timer,
            seed=args.seed,
        )
        _out(f"{len(plan)} trials planned across {', '.join(names)} (seed {args.seed}); work folder {work}")

        def report(outcome: Outcome) -> None:
            mark = "ok  " if outcome.passed else "FAIL"
            killed = f"killed at {outcome.died_at}" if outcome.killed else "not killed (ran to the end)"
            _out(f"{mark} {outcome.scenario:<8} {outcome.fault:<48.48} {killed}", flush=True)
            for line in outcome.detail:
                _out(f"       {line}", flush=True)

        outcomes = run_plan(lab, plan, report)
    _summary(outcomes, time.monotonic() - started)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(o.passed for o in outcomes) else 1


def _summary(outcomes: list[Outcome], seconds: float) -> None:
    kinds = collections.Counter(kind for o in outcomes for kind in o.failures)
    by_scenario = collections.Counter(o.scenario for o in outcomes)
    _out()
    _out(f"trials:   {len(outcomes)}  ({', '.join(f'{k} {v}' for k, v in by_scenario.items())})")
    _out(f"killed:   {sum(o.killed for o in outcomes)}  (the rest finished before their fault point or timer)")
    _out(f"passes:   {sum(o.passed for o in outcomes)}")
    _out(f"failures: {sum(not o.passed for o in outcomes)}" + (f"  by kind: {dict(kinds)}" if kinds else ""))
    _out(f"time:     {seconds:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
