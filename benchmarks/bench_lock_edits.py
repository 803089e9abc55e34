"""Benchmark: `corral lock` after a pyproject.toml edit no lock reads, against a baseline corral and `uv lock`.

    python benchmarks/bench_lock_edits.py --baseline OTHER_CORRAL_PYTHON [--rounds 3] [--only click,flask]

Not a test; needs the real index for the first locks. The projects of benchmarks/projects/ (bench_projects.py's),
one git copy each for this corral, the baseline corral and uv, each locked once. Each round then applies, per
project and per kind of edit, a new edit to every copy's pyproject.toml and times the lock right after it, the
three tools in alternating order (round 0 warms up and is not counted). The edits accumulate: each step changes
one of them, the others stay as they were.

  comment       the appended comment line says another number
  ruff          `[tool.ruff] cache-dir` set to a new value (the table added when the file has no `[tool.ruff]` line)
  description   `[project] description` set to a new value

A project whose version is dynamic and reaches its lock (pluggy, typer, packaging: a locked package depends on the
project) resolves on the first edit of a clean checkout (`git describe --dirty` changes; the warm-up round takes
that one) and on every description edit (the build backend states the version from the whole `[project]` table).
It prints medians (ms) and the median paired ratios after/uv and after/before. Only the stdlib.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_projects import PROJECTS, copy_project, run
from bench_sync import environ, python_path, tool

EDITS = ("comment", "ruff", "description")
WHO = ("after", "before", "uv")


def edited(text: str, marks: dict[str, int]) -> str:
    """`text` with the current edit of each kind (`marks`: kind -> its number); no value a lock reads changes."""
    text += f"\n# edit {marks['comment']}\n"
    ruff = f'cache-dir = ".ruff-cache-{marks["ruff"]}"\n'
    text = (
        text.replace("[tool.ruff]\n", "[tool.ruff]\n" + ruff, 1)
        if "[tool.ruff]\n" in text
        else text + "[tool.ruff]\n" + ruff
    )
    return re.sub(r'(?m)^description = ".*"$', f'description = "edited {marks["description"]}"', text, count=1)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated project names (default: all)")
    parser.add_argument("--baseline", required=True, help="another corral's python: the code before a change")
    opts = parser.parse_args()
    python = python_path(opts.python)
    names = opts.only.split(",") if opts.only else sorted(p.name for p in PROJECTS.iterdir() if p.is_dir())
    work = Path(tempfile.mkdtemp(prefix="corral-bench-lock-edits-"))
    corral_env, uv_env = environ(CORRAL_PYTHON=python), environ()
    commands = {
        "after": ([tool("corral"), "lock", "-q"], corral_env),
        "before": ([str(Path(opts.baseline).parent / "corral"), "lock", "-q"], corral_env),
        "uv": ([tool("uv"), "lock", "-q", "--python", python], uv_env),
    }
    dirs = {(name, who): copy_project(name, work / who / name) for name in names for who in WHO}
    texts = {name: (PROJECTS / name / "pyproject.toml").read_text(encoding="utf-8") for name in names}
    for (_, who), folder in dirs.items():
        run(commands[who][0], folder, commands[who][1])
    times: dict[tuple[str, str, str], list[float]] = {}
    n = 0
    marks = {name: dict.fromkeys(EDITS, 0) for name in names}  # each project's current edits
    for round_no in range(opts.rounds + 1):
        print(f"round {round_no}/{opts.rounds} ...", file=sys.stderr)
        for name in names:
            for kind in EDITS:
                n += 1
                marks[name][kind] = n  # only this kind's edit changes: the others stay as they were
                order = WHO if (round_no + n) % 2 else WHO[::-1]
                for who in order:
                    folder = dirs[name, who]
                    (folder / "pyproject.toml").write_text(edited(texts[name], marks[name]), encoding="utf-8")
                    took = run(commands[who][0], folder, commands[who][1])
                    if round_no:
                        times.setdefault((name, kind, who), []).append(took)
    print(f"\nPython {python}, {opts.rounds} rounds; medians in ms; ratios: median of paired ratios\n")
    print(f"{'project':<11}" + "".join(f"{k + ' after/before/uv':>34}{'a/b':>7}{'a/uv':>7}" for k in EDITS))
    for name in names:
        cells = ""
        for kind in EDITS:
            a, b, u = (times[name, kind, who] for who in WHO)
            meds = "/".join(f"{statistics.median(x) * 1000:.0f}" for x in (a, b, u))
            ab = statistics.median(x / y for x, y in zip(a, b, strict=True))
            au = statistics.median(x / y for x, y in zip(a, u, strict=True))
            cells += f"{meds:>34}{ab:>7.3f}{au:>7.2f}"
        print(f"{name:<11}{cells}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
