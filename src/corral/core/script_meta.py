"""PEP 723 inline script metadata: find, parse and rewrite the `# /// script` block; what a script lock is made of."""

from __future__ import annotations

from corral.errors import ConfigError

TYPE_CHECKING = False  # typing is not imported on `corral run script.py`'s quick path (cli.script_quick)
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

__all__ = ["ScriptBlock", "find_block", "render_block", "script_inputs_hash"]

_TYPE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_CLOSE = "# ///"


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
    blocks = [found for found in _blocks(source[skip:]) if found[0] == "script"]
    if len(blocks) > 1:
        msg = f"{filename}: more than one `# /// script` block; PEP 723 allows exactly one"
        raise ConfigError(msg)
    if not blocks:
        return None
    _, content, start, end = blocks[0]
    lines = content.splitlines(keepends=True)
    toml = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    return ScriptBlock(toml=toml, start=start + skip, end=end + skip)


def _blocks(text: str) -> Iterator[tuple[str, str, int, int]]:
    r"""(type, content, start, end) of each block, as PEP 723's reference expression finds them (`finditer`).

    That expression, `(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$`, read line by line
    (no `re`: ~6 ms of start-up on `corral run script.py`): `$\s` is a newline, so an opening line `# /// TYPE` and
    every content line (`#`, or `# ` and anything) end with one; the content is greedy, so the block closes at the
    last `# ///` line of the run of comment lines after the opening, at least one content line before it (a last
    line of the text needs no newline). The search goes on after the closing line. Checked against the expression
    itself on generated texts (tests/unit/test_script_meta.py).
    """
    lines = text.split("\n")
    starts = [0] * len(lines)
    for number in range(1, len(lines)):
        starts[number] = starts[number - 1] + len(lines[number - 1]) + 1
    last = len(lines) - 1
    number = 0
    while number < last:  # an opening line needs a newline after it
        line = lines[number]
        kind = line[6:]
        if not line.startswith("# /// ") or not kind or not _TYPE_CHARACTERS.issuperset(kind):
            number += 1
            continue
        run_end = number + 1  # the first line after the run of content lines (each with its newline)
        while run_end < last and _is_comment(lines[run_end]):
            run_end += 1
        close = run_end if lines[run_end] == _CLOSE and run_end == last else run_end - 1
        while close > number + 1 and lines[close] != _CLOSE:
            close -= 1
        if close <= number + 1:
            number += 1
            continue
        content = "".join(f"{lines[k]}\n" for k in range(number + 1, close))
        yield kind, content, starts[number], starts[close] + len(_CLOSE)
        number = close + 1


def _is_comment(line: str) -> bool:
    """A content line of a block: `#` alone, or `# ` and anything."""
    return line == "#" or line.startswith("# ")


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
