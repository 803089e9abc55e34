"""PEP 723 inline script metadata: find, parse and rewrite the `# /// script` block."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corral.errors import ConfigError

__all__ = ["ScriptBlock", "find_block", "render_block"]

# The reference regular expression from the PEP 723 specification.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScriptBlock:
    """The `script` block of a file: its TOML text and where it sits in the file."""

    toml: str
    start: int
    end: int

    @property
    def raw(self) -> str:
        """The TOML text, for hashing (stable as long as the block is unchanged)."""
        return self.toml


def find_block(source: str, *, filename: str = "<script>") -> ScriptBlock | None:
    """The `script` block, None when there is none; two blocks are an error (PEP 723)."""
    blocks = [m for m in _BLOCK.finditer(source) if m["type"] == "script"]
    if len(blocks) > 1:
        msg = f"{filename}: more than one `# /// script` block; PEP 723 allows exactly one"
        raise ConfigError(msg)
    if not blocks:
        return None
    match = blocks[0]
    lines = match["content"].splitlines(keepends=True)
    toml = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    return ScriptBlock(toml=toml, start=match.start(), end=match.end())


def render_block(toml: str) -> str:
    """A `# /// script` block holding `toml`."""
    body = "".join(f"# {line}".rstrip() + "\n" for line in toml.rstrip("\n").splitlines())
    return f"# /// script\n{body}# ///"
