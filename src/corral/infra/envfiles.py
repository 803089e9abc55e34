"""Read an env's own small files: pyvenv.cfg, and the absolute paths activate and console scripts carry.

Shared by doctor, inspection, activation and the inventory. An env may be a repository's, so each file is read
through `infra.safe_read` (a fifo or `/dev/zero` in its place is an OSError, never a hang); activate and scripts
only for their first bytes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from corral.core.env import Env
from corral.infra.safe_read import read_small

TYPE_CHECKING = False  # typing itself is not imported: ~6 ms on the paths that start uv
if TYPE_CHECKING:
    from typing import Final


__all__ = ["activate_location", "read_env", "read_pyvenv_cfg", "script_interpreter"]

_ACTIVATE_RE: Final = re.compile(r"""^\s*(?:export\s+)?VIRTUAL_ENV=["']?([^"'\n]+?)["']?\s*$""", re.MULTILINE)
# pip writes a /bin/sh trampoline for paths too long for a #! line: the second line is `'''exec' "/path/python" ...`
_EXEC_RE: Final = re.compile(r"""^'''exec' ["']?([^"' ]+)["']?""")
_HEAD_BYTES: Final = 1024
_ACTIVATE_BYTES: Final = 256 * 1024  # activate scripts are a few KB; VIRTUAL_ENV is set near the top
_CFG_BYTES: Final = 1 << 20  # a pyvenv.cfg is a few lines
_SH_TRAMPOLINES: Final = frozenset({"/bin/sh", "/usr/bin/env sh", "/usr/bin/env"})


def read_pyvenv_cfg(env: Path) -> bytes:
    """The bytes of `env`'s pyvenv.cfg; OSError when it is missing or unreadable (UnreadableFile: not a file, huge)."""
    return read_small(env / "pyvenv.cfg", limit=_CFG_BYTES, what="pyvenv.cfg")


def read_env(env: Path, *, limit: int = _CFG_BYTES, strict: bool = False, windows: bool | None = None) -> Env:
    """The env at `env` with its pyvenv.cfg read and parsed (the one reader: doctor, services, inventory).

    `limit`: the most bytes a pyvenv.cfg may have. `strict`: bytes that are not UTF-8 raise UnicodeDecodeError
    (otherwise they read as U+FFFD). `windows`: the layout (default: the running OS's). Raises OSError when the
    file is missing or unreadable (UnreadableFile: not a regular file, or larger than `limit`).
    """
    data = read_small(env / "pyvenv.cfg", limit=limit, what="pyvenv.cfg")
    return Env.from_cfg(env, data, strict=strict, windows=windows)


def activate_location(bin_dir: Path) -> str | None:
    """The VIRTUAL_ENV hard-coded in bin/activate (None when there is no such script or line, or it is no file)."""
    try:
        data = read_small(bin_dir / "activate", limit=_ACTIVATE_BYTES, what="activate script", truncate=True)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
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
        head = read_small(path, limit=_HEAD_BYTES, what="console script", truncate=True)
    except OSError:  # missing, unreadable, or a fifo or device where a script should be
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
