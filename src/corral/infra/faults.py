"""Fault injection for crash tests: `checkpoint(name)` kills the process when CORRAL_FAULT selects that point.

CORRAL_FAULT holds comma-separated entries:
  * a point's name (`txn.after-journal`), or a glob over names (`write:*pylock.toml*:before-rename`, `engine:*`);
  * `random:SEED:PROBABILITY` — every checkpoint draws from a generator seeded with SEED and dies with that
    probability, so a test can kill at a reproducible random point.
When CORRAL_FAULT_LOG names a file, every checkpoint reached appends its name there (the last line is where a
killed process died). Unset, a checkpoint costs one dictionary lookup. Stdlib only; imported by infra.fs.

Points: `write:NAME:before-rename` / `write:NAME:after-rename` (every atomic write, NAME = the file's name),
`engine:WHAT` / `engine-done:WHAT` (every external program run through infra.proc, WHAT = its `what=` label),
`txn.*` (transaction), `add.*`, `recreate:*`, `upgrade:*`, `sync:*`, `remove-env:*` (envs rm/gc), `native:*` (the
native creator: folders and links made, scripts written, pyvenv.cfg written).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Any


__all__ = ["FAULT_LOG_VARIABLE", "FAULT_VARIABLE", "checkpoint"]

FAULT_VARIABLE = "CORRAL_FAULT"
FAULT_LOG_VARIABLE = "CORRAL_FAULT_LOG"

_state: dict[str, Any] = {}


def _rng(seed: str) -> Any:  # noqa: ANN401 - random.Random, imported lazily
    key = f"rng:{seed}"
    if key not in _state:
        import random

        _state[key] = random.Random(f"{seed}:{os.getpid()}" if seed.endswith("+pid") else seed)  # noqa: S311
    return _state[key]


def _selected(name: str, wanted: str) -> bool:
    for raw in wanted.split(","):
        entry = raw.strip()
        if not entry:
            continue
        if entry.startswith("random:"):
            parts = entry.split(":")
            try:
                seed, chance = parts[1], float(parts[2])
            except (IndexError, ValueError):
                continue
            if _rng(seed).random() < chance:
                return True
        elif entry == name:
            return True
        elif any(c in entry for c in "*?["):
            from fnmatch import fnmatchcase

            if fnmatchcase(name, entry):
                return True
    return False


def checkpoint(name: str) -> None:
    """SIGKILL ourselves here when CORRAL_FAULT selects `name`; no-op otherwise (see the module docstring)."""
    environ = os.environ
    log = environ.get(FAULT_LOG_VARIABLE)
    if log:
        for _ in range(3):  # a fifo's reader (a test) that let go between our open and write: its next open reads it
            try:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(f"{os.getpid()} {name}\n")
            except BrokenPipeError:
                continue
            except OSError:
                pass
            break
    wanted = environ.get(FAULT_VARIABLE)
    if wanted and _selected(name, wanted):
        import signal  # here: its enums cost every command ~1 ms, and only a crash test comes this far

        os.kill(os.getpid(), signal.SIGKILL)
