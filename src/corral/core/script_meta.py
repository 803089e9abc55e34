"""PEP 723 inline script metadata: find, parse and rewrite the `# /// script` block; what a script lock is made of."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from corral.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ScriptBlock", "find_block", "render_block", "script_inputs_hash"]

# The reference regular expression from the PEP 723 specification.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


class ScriptBlock:
    """The `script` block of a file: its TOML text and where it sits in the file.

    A plain class, not a dataclass: `corral run script.py` reads it on its warm path, where importing
    dataclasses (and inspect) would cost ~9 ms.
    """

    __slots__ = ("end", "start", "toml")

    def __init__(self, *, toml: str, start: int, end: int) -> None:
        self.toml = toml
        self.start = start
        self.end = end

    @property
    def raw(self) -> str:
        """The TOML text, for hashing (stable as long as the block is unchanged)."""
        return self.toml


def find_block(source: str, *, filename: str = "<script>") -> ScriptBlock | None:
    """The `script` block, None when there is none; two blocks are an error (PEP 723).

    A byte order mark before the first line is no part of it (Python reads such a file as if it were not there).
    """
    skip = 1 if source.startswith("\ufeff") else 0
    blocks = [m for m in _BLOCK.finditer(source[skip:]) if m["type"] == "script"]
    if len(blocks) > 1:
        msg = f"{filename}: more than one `# /// script` block; PEP 723 allows exactly one"
        raise ConfigError(msg)
    if not blocks:
        return None
    match = blocks[0]
    lines = match["content"].splitlines(keepends=True)
    toml = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    return ScriptBlock(toml=toml, start=match.start() + skip, end=match.end() + skip)


def render_block(toml: str) -> str:
    """A `# /// script` block holding `toml`."""
    body = "".join(f"# {line}".rstrip() + "\n" for line in toml.rstrip("\n").splitlines())
    return f"# /// script\n{body}# ///"


def script_inputs_hash(data: Mapping[str, Any], *, index_urls: list[str]) -> str:
    """`sha256:<hex>` of what a script's lock is resolved from: its block's dependencies and requires-python, indexes.

    `data` is the parsed block. Canonical JSON, so only values count (never the block's formatting); stored in the
    script lock's `[tool.corral]` as a project lock stores `core.lock_fingerprint.inputs_hash`.
    """
    import hashlib
    import json

    from corral.core.urls import strip_credentials

    payload = {
        "kind": "script",
        "dependencies": data.get("dependencies", []),
        "requires-python": data.get("requires-python"),
        "index-urls": [strip_credentials(u).rstrip("/") for u in index_urls],
        "format": 1,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()
