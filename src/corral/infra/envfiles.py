"""Read the absolute paths an env's files carry (activate's VIRTUAL_ENV, console-script shebangs).

Shared by doctor's relocation check and the inventory's one-word health; reads only the first bytes of each file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

__all__ = ["activate_location", "script_interpreter"]

_ACTIVATE_RE: Final = re.compile(r"""^\s*(?:export\s+)?VIRTUAL_ENV=["']?([^"'\n]+?)["']?\s*$""", re.MULTILINE)
# pip writes a /bin/sh trampoline for paths too long for a #! line: the second line is `'''exec' "/path/python" ...`
_EXEC_RE: Final = re.compile(r"""^'''exec' ["']?([^"' ]+)["']?""")
_HEAD_BYTES: Final = 1024
_SH_TRAMPOLINES: Final = frozenset({"/bin/sh", "/usr/bin/env sh", "/usr/bin/env"})


def activate_location(bin_dir: Path) -> str | None:
    """The VIRTUAL_ENV hard-coded in bin/activate (None when there is no such script or line)."""
    try:
        text = (bin_dir / "activate").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # Newer activate scripts compute the path (`VIRTUAL_ENV="$CURRENT_ENV"`, virtualenv 21; uv's relocatable
    # `$(dirname ...)`): only a literal path was baked in at creation and can go stale.
    for match in _ACTIVATE_RE.finditer(text):
        value = match.group(1)
        if "$" not in value and "`" not in value:
            return value
    return None


def script_interpreter(path: Path) -> str | None:
    """The python a console script runs: its `#!` line, or pip's `'''exec'` line for long paths."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    lines = head.decode("utf-8", errors="replace").splitlines()
    shebang = lines[0][2:].strip()
    if shebang in _SH_TRAMPOLINES and len(lines) > 1:
        match = _EXEC_RE.match(lines[1])
        return match.group(1) if match else None
    program = shebang.split()[0] if shebang.split() else ""
    return program if "python" in os.path.basename(program) else None
