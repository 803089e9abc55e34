"""Benchmark: what `corral cache prune` costs on a big cache, and what the automatic prune's check costs a command.

    python benchmarks/bench_cache_prune.py [--projects 300] [--rounds 7]

Builds a cache in a temporary CORRAL_HOME with, per project, the records corral writes (a quick record from
`cli.quick.observe`, a rebuild record of ~200 kB with its uv input, a quick lock record, a lock stamp) plus, per
project, 3 lock-choices files and markers; a third of the projects are then deleted. Measured, medians of
--rounds, in this process:

  prune-dry     `services.cache_prune.prune(dry_run=True)` over the whole cache (reads every record)
  auto-not-due  `services.cache_auto.prune_if_due` when the last automatic prune is recent (what a command pays)
  stat          one os.stat of a file (the floor of the line above)

and once: the real prune (removes the deleted projects' records), and `corral cache info`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from corral import __version__
from corral.cli import quick
from corral.cli.headstart import inputs, rebuild_record_path
from corral.services.cache import info
from corral.services.cache_auto import STAMP, prune_if_due
from corral.services.cache_prune import prune
from corral.services.context import Context


def build(home: Path, projects: int) -> list[Path]:
    """Records of `projects` projects in corral's cache under `home`; a third of the projects then deleted."""
    dirs = quick.corral_dirs(os.environ)
    if dirs is None:
        raise SystemExit("corral's folders are not where cli.quick looks")
    cache = Path(dirs[1])
    roots = []
    for number in range(projects):
        root = home / "projects" / f"p{number}"
        (root / ".venv").mkdir(parents=True)
        (root / "pyproject.toml").write_text(f'[project]\nname = "p{number}"\n', encoding="utf-8")
        (root / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
        lines, _ = quick.observe(str(root), str(root / ".venv"), dirs, os.environ)
        head = [quick._HEADER, f"project {root}", f"env {root / '.venv'}", "selection default"]  # noqa: SLF001
        quick.write_record(quick.record_path(dirs[1], str(root)), "\n".join([*head, *lines, "end"]))
        digest = f"{number:032x}"
        uv_input = cache / "uv-input" / digest / "pylock.toml"
        uv_input.parent.mkdir(parents=True)
        uv_input.write_text("x" * 20000, encoding="utf-8")
        observed = inputs(str(root), dirs, os.environ)
        body = [
            f"project {str(root).encode().hex()}",
            f"input {str(uv_input).encode().hex()} {'ab' * 100}",
            *(f"file {'aa' * 8} {'cd' * 1000}" for _ in range(100)),
            f"observed {len(observed)}",
        ]
        text = "\n".join([f"corral-rebuild-record 1 {__version__}", *body, *observed, "end"])
        quick.write_record(rebuild_record_path(dirs[1], str(root), observed), text)
        for index in range(3):
            choice = cache / "lock-choices" / f"{number:029x}{index:03x}.json"
            choice.parent.mkdir(exist_ok=True)
            choice.write_text("[]" * 5000, encoding="utf-8")
        roots.append(root)
    for root in roots[::3]:
        shutil.rmtree(root)
    return roots


def median_ms(func: Callable[[], object], rounds: int) -> float:
    """The median of `rounds` calls, in ms."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Build the cache, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="corral-bench-cache-"))
    os.environ["CORRAL_HOME"] = str(home)
    try:
        build(home, args.projects)
        ctx = Context(cwd=home)
        print(f"load: {os.getloadavg()}")
        print(f"cache: {info(ctx).total / 1e6:.1f} MB, {args.projects} projects (a third deleted)")
        (ctx.paths.cache / STAMP).touch()
        dry = median_ms(lambda: prune(ctx, dry_run=True), args.rounds)
        due = median_ms(lambda: prune_if_due(ctx.paths.cache), args.rounds * 100)
        floor = median_ms(lambda: os.stat(ctx.paths.cache / STAMP), args.rounds * 100)
        start = time.perf_counter()
        report = prune(ctx)
        real = (time.perf_counter() - start) * 1000
        print(f"prune-dry     {dry:8.1f} ms")
        print(f"auto-not-due  {due * 1000:8.1f} us")
        print(f"stat          {floor * 1000:8.1f} us")
        print(f"prune (real)  {real:8.1f} ms: removed {len(report.removed)} entries, {report.freed / 1e6:.1f} MB")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
