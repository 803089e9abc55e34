"""What `uv export` printed for a lock's resolution, kept for the next lock that resolves the project to the same bytes.

`uv export --frozen --offline` reads nothing but the temporary project (its pyproject.toml and uv.lock), uv's
configuration files and its environment, and is uv's own deterministic function of them (it never connects and
never resolves). So when a lock's `uv lock` wrote exactly the uv.lock of the last lock of the same project, in a
folder beside the same parent, from the same pyproject text, with the same uv binary (path and stat), the same
environment and configuration files, every export of it prints what it printed then: the outputs are taken from
the record instead of starting the processes again. Anything else (another byte anywhere in the key, a record
that is not the user's own private regular file, unreadable or damaged) runs the exports as before. The outputs
are parsed as a process's would be, so the lock is the one the processes give.

One record per project (`<cache>/lock-exports/<hash of the project's path>.bin`: a JSON line naming the key and each
export's size in bytes, then the outputs, UTF-8; replaced atomically), written only when every export of the lock
succeeded. It also holds the dependency graph read from that uv.lock (`GRAPH`, as JSON: a function of uv.lock's
bytes, which the key covers), so a lock that expects the same resolution can build its whole document while uv
runs (resolvers.uv: `Resolving.finish`'s `compose`).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from corral.infra.proc import Completed

__all__ = ["FOLDER", "GRAPH", "ExportMemo", "entry_name", "graph_of", "recorded"]

FOLDER = "lock-exports"
_FORMAT = "corral-lock-exports 3"  # 3: exports run in the project's folder (a sibling's sibling's path was wrong)
_LIMIT = 1 << 26  # the exports of a 200-package stack are a few megabytes
# besides the configuration files the caller names: what uv would read in `/` (the exports now start in the
# temporary project, whose pyproject.toml, holding a [tool.uv] table, is the one uv reads there; kept in the key)
_ROOT_FILES = ("/uv.toml", "/pyproject.toml")


class ExportMemo:
    """The exports of one resolution: recalled when recorded under the same key, else run and recorded."""

    def __init__(self, record: Path, key: str, recorded: dict[str, str]) -> None:
        self._record, self._key, self._recorded = record, key, recorded
        self._ran: dict[str, str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key_for(*, uv: str, tmp: Path, environ: Mapping[str, str], files: Sequence[str]) -> str | None:
        """The key of the resolution in `tmp` (what its exports read); None when it cannot be read (then no memo)."""
        if os.name != "posix":
            return None  # the record's owner and mode are what make it the user's own
        try:
            return _key(uv, tmp, environ, [*files, *_ROOT_FILES])
        except OSError:
            return None

    @classmethod
    def open(
        cls,
        folder: Path,
        project_root: Path,
        *,
        uv: str,
        tmp: Path,
        environ: Mapping[str, str],
        files: Sequence[str],
        key: str | None = None,
    ) -> ExportMemo | None:
        """The memo of `project_root`'s lock resolved in `tmp` (`key`: its `key_for`, when known); None: no memo."""
        if key is None:
            key = cls.key_for(uv=uv, tmp=tmp, environ=environ, files=files)
        if key is None:
            return None
        record = _record(folder, project_root)
        found = _read(record)
        return cls(record, key, found[1] if found is not None and found[0] == key else {})

    @property
    def key(self) -> str:
        """The digest of everything this resolution's exports read."""
        return self._key

    def export(self, where: str, flags: Sequence[str], run: Callable[[], Completed], cmd: list[str]) -> Completed:
        """The export of `flags` in the folder `where` names: recalled, else `run` (its output kept on success)."""
        from corral.infra.proc import Completed

        name = entry_name(where, flags)
        recalled = self._recorded.get(name)
        if recalled is not None:
            with self._lock:
                self._ran[name] = recalled
            return Completed(cmd, 0, recalled, "")
        done = run()
        if done.returncode == 0:
            with self._lock:
                self._ran[name] = done.stdout
        return done

    def save(self, graph: Mapping[str, Sequence[str]] | None = None) -> None:
        """Record this resolution's exports (all of them succeeded) and `graph`, read from its uv.lock (`GRAPH`).

        A failure only costs the next lock time.
        """
        import json

        if graph is not None:
            self._ran[GRAPH] = json.dumps(graph, ensure_ascii=True)
        if self._ran == self._recorded:
            return
        names = sorted(self._ran)
        texts = [self._ran[name].encode("utf-8", "surrogateescape") for name in names]
        sizes = [[name, len(text)] for name, text in zip(names, texts, strict=True)]
        head = json.dumps({"format": _FORMAT, "key": self._key, "sizes": sizes}, ensure_ascii=True).encode()
        folder = self._record.parent
        tmp = folder / f".{self._record.name}.{os.getpid()}.corral-.tmp"
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, b"".join([head, b"\n", *texts]))
            finally:
                os.close(fd)
            os.replace(tmp, self._record)
        except OSError:
            try:  # noqa: SIM105 - no contextlib needed for one unlink
                os.unlink(tmp)
            except OSError:
                pass


def entry_name(where: str, flags: Sequence[str]) -> str:
    """How a record names the export of `flags` in the folder `where` names ("": the temporary project)."""
    return f"{where}\0{chr(31).join(flags)}"


GRAPH = entry_name("graph", ())  # the graph's entry: no export is run in a folder named so


def graph_of(texts: Mapping[str, str]) -> dict[str, list[str]] | None:
    """The dependency graph a record holds (name -> the names it depends on); None: it holds none, or another shape."""
    import json

    text = texts.get(GRAPH)
    try:
        graph = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(graph, dict):
        return None
    for names in graph.values():
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return None
    return graph


def recorded(folder: Path, project_root: Path) -> tuple[str, dict[str, str]] | None:
    """(the key, the exports) of `project_root`'s record, whatever resolution it was; None when there is none."""
    if os.name != "posix":
        return None
    return _read(_record(folder, project_root))


def _record(folder: Path, project_root: Path) -> Path:
    import hashlib

    name = hashlib.sha256(str(project_root).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return folder / f"{name}.bin"


def _key(uv: str, tmp: Path, environ: Mapping[str, str], files: Sequence[str]) -> str:
    """The SHA-256 of everything an export reads (see the module's text), each part length-prefixed."""
    import hashlib

    digest = hashlib.sha256()

    def feed(part: str | bytes) -> None:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(f"{len(data)}:".encode())
        digest.update(data)

    feed(_FORMAT)
    st = os.stat(uv)
    feed(f"{uv}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}")
    feed(str(tmp.parent))
    for name in ("pyproject.toml", "uv.lock"):
        feed(_regular(tmp / name, required=True) or b"")
    for name, value in sorted(environ.items()):
        feed(f"{name}={value}")
    for path in files:
        found = _regular(path, required=False)
        feed(f"{path}\0" + ("absent" if found is None else "present"))
        feed(found or b"")
    return digest.hexdigest()


def _regular(path: str | os.PathLike[str], *, required: bool) -> bytes | None:
    """The bytes of a regular file (followed, as uv does), None when absent; OSError for anything unreadable."""
    from corral.infra.safe_read import read_small

    try:
        return read_small(path, limit=_LIMIT, what="file uv reads")
    except FileNotFoundError:
        if required:
            raise
        return None
    except ValueError as err:  # not a regular file, too large: no key
        raise OSError(str(err)) from err


def _read(record: Path) -> tuple[str, dict[str, str]] | None:
    """(the key, the exports) recorded; None for anything else (absent, foreign, damaged)."""
    import json

    raw = _own_bytes(record)
    head, _, body = (raw or b"").partition(b"\n")
    try:
        data = json.loads(head) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("key"), str):
        return None
    sizes = data.get("sizes")
    if not isinstance(sizes, list) or not all(_size_entry(entry) for entry in sizes):
        return None
    if sum(size for _, size in sizes) != len(body):
        return None
    exports: dict[str, str] = {}
    start = 0
    try:
        for name, size in sizes:
            exports[name] = body[start : start + size].decode("utf-8")
            start += size
    except UnicodeDecodeError:
        return None
    return data["key"], exports


def _size_entry(entry: object) -> bool:
    """[name, size] of a record's header: a text and a count of bytes."""
    return (
        isinstance(entry, list)
        and len(entry) == 2  # noqa: PLR2004 - name and size
        and isinstance(entry[0], str)
        and type(entry[1]) is int
        and entry[1] >= 0
    )


def _own_bytes(record: Path) -> bytes | None:
    """The bytes of `record` when it is the user's own regular file nobody else may write (no link, no fifo)."""
    import stat

    try:
        fd = os.open(record, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _LIMIT or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
