"""What a failed build said: the installer's lines naming it and the end of the build backend's own output.

uv words a build backend that ran and failed as `Failed to build `NAME @ URL``, `The build backend returned an
error`, `Call to `HOOK` failed (exit status: N)`, then the backend's `[stdout]` and `[stderr]` (indented), then a
`hint:`. pip says `Getting requirements to build editable did not run successfully.` (after a cross) and shows
the backend's lines between `╰─> [N lines of output]` and `[end of output]`. A build whose requirements could not
be had (uv offline, a cache without setuptools) is no backend failure: no hook ran.

`summary` keeps the installer's own lines and the last lines of the backend's output (where a traceback ends),
each cut to a bounded width, joined on one line: corral's error line, which the CLI prints with its control
characters escaped. The text is the backend's: never parsed for anything but these markers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

__all__ = ["backend_failed", "built_project", "summary"]

# The words uv (0.5.10+) and pip use when a build backend ran and returned an error.
_BACKEND_FAILED: Final = ("The build backend returned an error", "did not run successfully")
_HEAD_LINES: Final = 4  # the installer's lines: what failed to build, and why
_TAIL_LINES: Final = 8  # the backend's last lines: a traceback's end
_WIDTH: Final = 240  # a line longer than this is cut (a minified file, a long command line)
_SECTIONS: Final = ("[stdout]", "[stderr]")
_CROSS: Final = "\N{MULTIPLICATION SIGN}"  # pip's mark before what failed


def backend_failed(output: str) -> bool:
    """Whether the installer's `output` says a build backend ran and failed (its requirements were there)."""
    return any(words in output for words in _BACKEND_FAILED)


def built_project(output: str, root: Path) -> bool:
    """Whether what uv says failed to build is the directory `root` (`Failed to build `NAME @ file://ROOT``)."""
    for line in output.splitlines():
        text = line.strip().removeprefix("error: ")
        if not text.startswith("Failed to build `") or " @ file://" not in text:
            continue
        url = text.split(" @ ", 1)[1].split("`", 1)[0]
        try:
            return Path(unquote(urlsplit(url).path)).resolve() == root.resolve()
        except (OSError, ValueError):
            return False
    return False


def summary(output: str) -> str:
    """The installer's lines about the failed build, then the backend's last lines: ' | '-joined, bounded."""
    head: list[str] = []
    sections: list[list[str]] = []
    inside = False
    for line in output.splitlines():
        text = line.strip()
        if text.startswith(("error: Failed to build", "Failed to build", _CROSS)):
            _add(head, text.removeprefix("error: ").lstrip(_CROSS + " "))
        elif text.startswith(("cause: ", "Caused by: ")) and head:
            _add(head, text.split(": ", 1)[1])
        elif text.startswith("│ exit code") and head:
            _add(head, text.lstrip("│ "))
        elif text in _SECTIONS or text.startswith("╰─>"):
            sections.append([])
            inside = True
        elif text == "[end of output]" or (line.startswith("hint:") and inside):
            inside = False
        elif inside and text.strip("^~ "):  # a traceback's carets point at nothing on one line
            sections[-1].append(text)
    tail = next((lines for lines in reversed(sections) if lines), [])[-_TAIL_LINES:]
    if not head and not tail:
        tail = [line.strip() for line in output.splitlines() if line.strip()][-3:]
    return " | ".join(_cut(line) for line in [*head[:_HEAD_LINES], *tail]) or "no output"


def _add(lines: list[str], line: str) -> None:
    if line not in lines:  # pip says what failed twice: above the output and in its closing note
        lines.append(line)


def _cut(line: str) -> str:
    return line if len(line) <= _WIDTH else line[: _WIDTH - 3] + "..."
