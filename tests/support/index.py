"""A real PEP 503 "simple" package index on 127.0.0.1 for the tests.

`serve_index(*dirs)` scans the given folders for wheels and sdists once and
serves them from a `ThreadingHTTPServer` on a free port in a daemon thread:

* ``<url>/simple/`` lists the projects (normalized names);
* ``<url>/simple/<project>/`` lists its files, each anchor carrying a
  ``#sha256=`` fragment and, when the metadata declares one, an escaped
  ``data-requires-python`` attribute;
* ``<url>/files/<filename>`` serves the file itself.

A project page asked for without its trailing slash, or under a
non-normalized name, is redirected to the canonical ``/simple/<project>/``.
"""

from __future__ import annotations

import email.parser
import functools
import hashlib
import html
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

SDIST_SUFFIXES = (".tar.gz", ".zip")
CHUNK = 1 << 16
POLL_INTERVAL = 0.05  # seconds; bounds how long stop() waits for the serving loop


def normalize(name: str) -> str:
    """Return the PEP 503 normalized form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class IndexedFile:
    """One distribution file the index serves."""

    path: Path
    project: str  # normalized
    sha256: str
    requires_python: str | None

    @property
    def filename(self) -> str:
        """Return the file's name, as it appears in URLs."""
        return self.path.name


def is_distribution(path: Path) -> bool:
    """Tell whether `path` names a wheel or an sdist."""
    return path.is_file() and (path.name.endswith(".whl") or path.name.endswith(SDIST_SUFFIXES))


def read_wheel_metadata(path: Path) -> str | None:
    """Return the METADATA text of a wheel, or None if it cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            return archive.read(names[0]).decode("utf-8") if names else None
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return None


def read_sdist_metadata(path: Path) -> str | None:
    """Return the PKG-INFO text of a .tar.gz sdist, or None if it cannot be read."""
    if not path.name.endswith(".tar.gz"):
        return None
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = next((m for m in archive.getmembers() if re.fullmatch(r"[^/]+/PKG-INFO", m.name)), None)
            stream = archive.extractfile(member) if member is not None else None
            return stream.read().decode("utf-8") if stream is not None else None
    except (OSError, tarfile.TarError, UnicodeDecodeError):
        return None


def read_metadata(path: Path) -> str | None:
    """Return the core metadata text of a distribution file, if readable."""
    return read_wheel_metadata(path) if path.name.endswith(".whl") else read_sdist_metadata(path)


def name_from_filename(filename: str) -> str:
    """Return the project name a distribution's file name tells."""
    if filename.endswith(".whl"):
        return filename.split("-", 1)[0]
    stem = next(filename[: -len(s)] for s in SDIST_SUFFIXES if filename.endswith(s))
    return stem.rsplit("-", 1)[0]


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def index_file(path: Path) -> IndexedFile:
    """Describe one distribution file, preferring its metadata to its file name."""
    metadata = read_metadata(path)
    headers = email.parser.Parser().parsestr(metadata, headersonly=True) if metadata else None
    name = (headers.get("Name") if headers else None) or name_from_filename(path.name)
    requires_python = headers.get("Requires-Python") if headers else None
    return IndexedFile(path, normalize(name), file_sha256(path), requires_python)


def scan(dirs: tuple[Path, ...]) -> dict[str, IndexedFile]:
    """Index every distribution in `dirs` by file name; the first folder given wins a clash."""
    files: dict[str, IndexedFile] = {}
    for folder in dirs:
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if is_distribution(path) and path.name not in files:
                files[path.name] = index_file(path)
    return files


def page(title: str, anchors: list[str]) -> bytes:
    """Return a PEP 503 HTML page holding `anchors`."""
    body = "\n".join(f"    {anchor}<br/>" for anchor in anchors)
    text = (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n{body}\n  </body>\n</html>\n"
    )
    return text.encode("utf-8")


def file_anchor(entry: IndexedFile) -> str:
    """Return the anchor that links one file, with its hash and Requires-Python."""
    href = html.escape(f"/files/{entry.filename}#sha256={entry.sha256}")
    attribute = ""
    if entry.requires_python:
        attribute = f' data-requires-python="{html.escape(entry.requires_python, quote=True)}"'
    return f'<a href="{href}"{attribute}>{html.escape(entry.filename)}</a>'


class IndexHandler(BaseHTTPRequestHandler):
    """Answers the simple index's and the files' URLs; logs nothing."""

    server: IndexServer
    protocol_version = "HTTP/1.1"
    no_cache: ClassVar[dict[str, str]] = {"Cache-Control": "no-store"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self.route(send_body=True)

    def do_HEAD(self) -> None:
        """Serve a HEAD."""
        self.route(send_body=False)

    def route(self, *, send_body: bool) -> None:
        """Dispatch a request by its path."""
        path = unquote(urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            self.serve_root(path, send_body=send_body)
        elif len(parts) == 2 and parts[0] == "simple":
            self.serve_project(path, parts[1], send_body=send_body)
        elif len(parts) == 2 and parts[0] == "files" and parts[1] in self.server.files:
            self.serve_file(self.server.files[parts[1]], send_body=send_body)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def serve_root(self, path: str, *, send_body: bool) -> None:
        """Serve the list of projects."""
        if path != "/simple/":
            self.redirect("/simple/")
            return
        projects = sorted({entry.project for entry in self.server.files.values()})
        anchors = [f'<a href="/simple/{html.escape(p)}/">{html.escape(p)}</a>' for p in projects]
        self.send_bytes(page("Simple index", anchors), "text/html; charset=utf-8", send_body=send_body)

    def serve_project(self, path: str, name: str, *, send_body: bool) -> None:
        """Serve one project's page, redirecting to its canonical URL first."""
        project = normalize(name)
        canonical = f"/simple/{project}/"
        entries = [e for e in self.server.files.values() if e.project == project]
        if not entries:
            self.send_error(HTTPStatus.NOT_FOUND)
        elif path != canonical:
            self.redirect(canonical)
        else:
            anchors = [file_anchor(e) for e in sorted(entries, key=lambda e: e.filename)]
            self.send_bytes(page(f"Links for {project}", anchors), "text/html; charset=utf-8", send_body=send_body)

    def serve_file(self, entry: IndexedFile, *, send_body: bool) -> None:
        """Serve one distribution file."""
        content_type = "application/zip" if entry.filename.endswith(".whl") else "application/octet-stream"
        self.send_bytes(entry.path.read_bytes(), content_type, send_body=send_body)

    def redirect(self, location: str) -> None:
        """Answer with a permanent redirect to `location`."""
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_bytes(self, data: bytes, content_type: str, *, send_body: bool) -> None:
        """Answer 200 with `data`."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for header, value in self.no_cache.items():
            self.send_header(header, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)


class IndexServer(ThreadingHTTPServer):
    """The HTTP server, holding the indexed files for its handlers."""

    daemon_threads = True

    def __init__(self, files: dict[str, IndexedFile]) -> None:
        """Bind to a free port on 127.0.0.1."""
        self.files = files
        super().__init__(("127.0.0.1", 0), IndexHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client goes away mid-request (the kill trials SIGKILL installers on purpose)."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalIndex:
    """A running local index; stop it with `stop()` or by leaving its `with` block."""

    def __init__(self, *dirs: Path) -> None:
        """Index `dirs` and start serving them."""
        self.dirs = tuple(Path(d) for d in dirs)
        self.server = IndexServer(scan(self.dirs))
        port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self.simple_url = f"{self.url}/simple"
        serve = functools.partial(self.server.serve_forever, poll_interval=POLL_INTERVAL)
        self.thread = threading.Thread(target=serve, name="local-index", daemon=True)
        self.thread.start()

    @property
    def files(self) -> dict[str, IndexedFile]:
        """Return the served files by file name."""
        return self.server.files

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()

    def __enter__(self) -> Self:
        """Return the running index."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Stop the index."""
        self.stop()

    def __repr__(self) -> str:
        """Return a short description."""
        return f"LocalIndex({self.simple_url!r}, files={len(self.files)})"


def serve_index(*dirs: Path) -> LocalIndex:
    """Start a PEP 503 index over the wheels and sdists in `dirs` (usable as a context manager)."""
    return LocalIndex(*dirs)
