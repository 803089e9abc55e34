"""What both engines share: the hash-checked requirements file and naming the requirement that failed.

Why requirement lines with `--no-deps --require-hashes` instead of handing the engine pylock.toml itself:
`uv pip sync pylock.toml` is still experimental in uv 0.13 (it warns, and its behaviour changed between minor
releases), and `pip install -r pylock.toml` exists only in pip >= 26.1 on Python >= 3.10. Hash-checked
requirement lines have been understood by every pip since 19 and by every uv, so one install path serves every
interpreter corral manages, legacy pips included; corral itself has already chosen each file for the target
(markers, tags, groups), so the engine only downloads, verifies and unpacks.

A file the lock took from an index is installed as an index package, `name==version --hash=sha256:...` with
the hashes of every file of that lock entry (and nothing else can match), so the installer records no PEP 610
`direct_url.json`: `pip freeze` prints `name==version` and upgrade checks see index packages. Only what the lock
holds as a URL, path, archive, directory or VCS checkout is installed as `name @ url`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corral.core.safe_text import NAME_RE, reject_control_chars
from corral.errors import EngineError, UnsafeText

if TYPE_CHECKING:
    from corral.core.plan import SyncPlan
    from corral.core.pylock_select import Chosen

# A path a requirements line holds as it is (no whitespace, `#` comment or quoting to get wrong).
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_.+@=,~/-]*")

__all__ = [
    "PLAIN_PATH",
    "apply_plan",
    "check_lines",
    "failing_requirement",
    "hashed_lines",
    "links_page",
    "removal_names",
    "remove_names",
    "requirement_lines",
    "requirements_file",
    "requirements_text",
    "split_hashed",
]

# install(items, hashed) installs lock entries (all hash-checked files, or all unhashed sources);
# uninstall(names) removes distributions.
Install = Callable[[Sequence["Chosen"], bool], None]
Uninstall = Callable[[list[str]], None]


def apply_plan(
    plan: SyncPlan, *, install: Install, uninstall: Uninstall, progress: Callable[[str, str], None] | None
) -> None:
    """The order every engine follows: say what, install hash-pinned lines, then unhashed ones, then remove."""
    items = plan.to_install
    names = removal_names(plan)
    hashed, unhashed = split_hashed(items)
    if items and progress:
        progress("installing", f"{len(items)} package(s): {', '.join(c.name for c in items)}")
    if hashed:
        install(hashed, True)
    if unhashed:
        install(unhashed, False)
    remove_names(names, uninstall=uninstall, progress=progress)


def removal_names(plan: SyncPlan) -> list[str]:
    """The names `plan` removes, each checked to be a package name (UnsafeText) before anything is changed."""
    names = [name for name, _ in plan.remove]
    bad = [n for n in names if not NAME_RE.match(n)]
    if bad:  # read from the env's metadata: a name like `-r/etc/passwd` would be an option to the engine
        msg = (
            f"the env holds a distribution named {bad[0]!r} (from its metadata), which is not a package name; "
            "nothing was changed; rebuild the env with `corral recreate`"
        )
        raise UnsafeText(msg)
    return names


def remove_names(names: list[str], *, uninstall: Uninstall, progress: Callable[[str, str], None] | None) -> None:
    """Say what is removed, then remove it (`names` from `removal_names`)."""
    if names:
        if progress:
            progress("removing", f"{len(names)} package(s): {', '.join(names)}")
        uninstall(names)


def split_hashed(items: Sequence[Chosen]) -> tuple[list[Chosen], list[Chosen]]:
    """(hash-checked files, sources without a file hash: local directories and VCS checkouts)."""
    return [c for c in items if c.hashed], [c for c in items if not c.hashed]


def hashed_lines(items: Sequence[Chosen]) -> list[str]:
    """`name==version --hash=...` for files the lock took from an index, `name @ url --hash=...` for the rest."""
    return [
        f"{c.name}=={c.version}" + "".join(f" --hash=sha256:{h}" for h in c.hashes or (c.sha256,))
        if c.from_index
        else c.requirement_line()
        for c in items
    ]


def requirement_lines(items: Sequence[Chosen]) -> list[str]:
    """Requirement lines; editable local directories become `-e <path>`, or `-e <file URL>` (percent-encoded).

    The URL for a path a line cannot spell plainly: pip and uv split `-e ../my lib` at the space, and the rest
    became an option.
    """
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    lines = []
    for c in items:
        path = url2pathname(urlsplit(c.url).path) if c.editable else ""
        lines.append(
            (f"-e {path}" if PLAIN_PATH.fullmatch(path) else f"-e {c.url}") if c.editable else c.requirement_line()
        )
    return lines


@contextlib.contextmanager
def requirements_file(lines: Sequence[str]) -> Iterator[Path]:
    """A temporary requirements file holding `lines`, removed afterwards.

    Every line is one requirement: a line holding a newline (or any control character) would add lines of its
    own, such as `-r /etc/passwd` or `--index-url`, so it is refused (UnsafeText) before the file exists. The
    lock's values are validated when it is read (core.pylock_check); this is the second wall.
    """
    with _temp_file("corral-sync-", ".txt", requirements_text(lines)) as path:
        yield path


def requirements_text(lines: Sequence[str]) -> str:
    """`lines` as requirements text (a file's, or what `-r -` reads on stdin), each checked to be one line."""
    check_lines(lines)
    return "\n".join(lines) + "\n"


def check_lines(lines: Sequence[str]) -> None:
    """Refuse (UnsafeText) a requirement line holding a newline or another control character.

    Such a line would add lines of its own to what the installer reads (`-r /etc/passwd`, `--index-url`).
    """
    for line in lines:
        reject_control_chars(
            line,
            "requirement line",
            "the requirements file for the installer",
            fix="run `corral lock` to regenerate pylock.toml",
        )


@contextlib.contextmanager
def _temp_file(prefix: str, suffix: str, text: str) -> Iterator[Path]:
    import tempfile  # with shutil ~1.5 ms, for the pip engine only: uv reads its lines on stdin

    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


@contextlib.contextmanager
def links_page(items: Sequence[Chosen]) -> Iterator[Path]:
    """A temporary HTML page linking each entry's chosen file, `#sha256=` attached, removed afterwards.

    Given to pip as `--find-links`, it makes the lock's own file URLs index candidates: pip installs them as
    index packages (no `direct_url.json`), fetches them as it fetched `name @ url` lines (its HTTP cache,
    offline too), and needs no index page. The URLs were validated with the lock (core.pylock_check) and
    are escaped here; a control character is refused as in a requirements file.
    """
    import html

    anchors = []
    for item in items:
        reject_control_chars(
            item.url, "file URL", "the links page for the installer", fix="run `corral lock` to regenerate pylock.toml"
        )
        href = f"{item.url.split('#', 1)[0]}#sha256={item.sha256}"
        anchors.append(f'<a href="{html.escape(href)}">{html.escape(item.filename or "")}</a><br/>')
    with _temp_file(
        "corral-links-", ".html", "<!DOCTYPE html>\n<html><body>\n" + "\n".join(anchors) + "\n</body></html>\n"
    ) as page:
        yield page


def failing_requirement(err: EngineError, items: Sequence[Chosen], engine: str) -> EngineError:
    """`err` re-worded to name the requirement the tool's output blames (the first one it mentions)."""
    text = err.output.lower()
    blamed = None
    best = len(text) + 1
    for item in items:
        for needle in filter(None, (item.filename, item.name, item.name.replace("-", "_"))):
            at = text.find(needle.lower())
            if 0 <= at < best:
                best, blamed = at, item
    what = (
        f"{blamed.name} {blamed.version or ''} ({blamed.filename or blamed.url})".replace("  ", " ")
        if blamed
        else f"{len(items)} package(s)"
    )
    mismatch = _hash_mismatch(err.output)
    if mismatch:
        msg = (
            f"{engine} refused {what}: the downloaded file does not match the hash in the lock ({mismatch}); "
            "it changed after locking (replaced on the index, or corrupted): nothing from it was installed; "
            "re-lock only if you trust the new file"
        )
    else:
        msg = f"{engine} could not install {what}: {err}"
    return EngineError(msg, cmd=err.cmd, code=err.code, output=err.output)


def _hash_mismatch(output: str) -> str | None:
    """ "expected sha256:X, got sha256:Y" when uv's or pip's output reports a hash mismatch."""
    if not re.search(r"hash mismatch|hashes do not match|do not match the hashes", output, re.IGNORECASE):
        return None
    digests = re.findall(r"(?:sha256[:= ]\s*)?\b([0-9a-f]{64})\b", output)
    if len(digests) >= 2:  # noqa: PLR2004 - expected, then computed
        return f"expected sha256:{digests[0]}, got sha256:{digests[-1]}"  # whole: two edits may share a prefix
    return "hash mismatch"
