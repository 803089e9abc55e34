"""The no-op `corral lock`: pylock.toml is what a lock would write now, told before argparse or the context.

`unchanged_report(start)` is the one answer: the lock stamp's verdict (`services.lock_stamp.unchanged`, stdlib only)
for the project around `start`, as `LockReport.to_dict()`'s shape, or None (lock the full way). `cli.lock_cmd`'s
`fast_path` asks it after parsing the command line; `answer` asks it for the plain command lines only (`corral
lock`, `corral lock -q` / `--quiet`), before `cli.main` imports argparse and builds the parser (~10 ms), so
`cli.quick` can hand those to it first. Anything else, and any doubt or error, is None: the full command line,
which asks the same question again and reports what is wrong.

It prints what `lock_cmd` prints for the same report, to the byte (`unchanged: PATH (N packages, S s)` on stderr,
nothing with -q).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself costs ~2 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

__all__ = ["PLAIN", "answer", "unchanged_report"]

PLAIN = (["lock"], ["lock", "-q"], ["lock", "--quiet"])  # the command lines `answer` takes


def unchanged_report(start: Path, environ: Mapping[str, str], started: float) -> dict[str, Any] | None:
    """What `corral lock` reports when its stamp says pylock.toml is current (`started`: monotonic), else None."""
    import time

    from corral.core.lock_fingerprint import LOCK_FILE
    from corral.infra.paths import CorralPaths
    from corral.services.lock_stamp import unchanged
    from corral.services.sync.stamp import locate

    found = locate(start)
    if found is None:
        return None
    pyproject, env = found
    if os.path.islink(pyproject.parent / LOCK_FILE):
        return None  # a linked lock is judged the full way (refused when the link leads out of the project)
    stamp = unchanged(CorralPaths.from_environment(), pyproject=pyproject, env=env, environ=environ)
    if stamp is None:
        return None
    return {
        "path": str(pyproject.parent / LOCK_FILE),
        "written": False,
        "packages": stamp["packages"],
        "added": [],
        "removed": [],
        "updated": [],
        "seconds": round(time.monotonic() - started, 3),
    }


def answer(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """0 once a plain no-op `corral lock` is reported; None: take the full path (any other argv, any doubt)."""
    if argv not in PLAIN:
        return None
    try:
        import time
        from pathlib import Path

        report = unchanged_report(Path(os.getcwd()), environ, time.monotonic())
        if report is None:
            return None
        if len(argv) == 1:
            from corral.render.output import terminal_safe

            line = f"unchanged: {report['path']} ({report['packages']} packages, {report['seconds']:.2f} s)"
            sys.stderr.write(terminal_safe(line) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - any doubt goes the full way, which reports what is wrong
        return None
    return 0
