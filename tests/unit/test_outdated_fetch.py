"""`services.outdated.fetch_all`: the index asked for many names at once answers each as one request would."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from support.index import serve_index
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from pathlib import Path

NAMES = [f"pkg-{i:02d}" for i in range(40)]


def test_answers_in_task_order_as_one_by_one(tmp_path: Path) -> None:
    from corral.services.outdated import fetch_all, index_versions

    # given: 40 projects, each with i % 3 + 1 releases, one with a release 3.11 cannot install
    build_packages(
        tmp_path,
        (
            *(Package(n, f"1.{v}") for i, n in enumerate(NAMES) for v in range(i % 3 + 1)),
            Package("pkg-00", "9.0", requires_python=">=3.13"),
        ),
    )
    with serve_index(tmp_path) as index:
        tasks = [(index.simple_url, name) for name in [*NAMES, "not-there"]]
        # when
        together = fetch_all(tasks, "3.11.4", workers=8)
        alone = [index_versions(url, name, python="3.11.4") for url, name in tasks]
    # then
    assert together == alone
    assert [len(v) for v in together] == [i % 3 + 1 for i in range(40)] + [0]
    assert fetch_all([], None) == []


def test_a_failing_index_raises_its_error(tmp_path: Path) -> None:
    from corral.errors import EngineError
    from corral.services.outdated import fetch_all

    build_packages(tmp_path, tuple(Package(n, "1.0") for n in NAMES[:5]))
    with serve_index(tmp_path) as index:
        tasks = [(index.simple_url, n) for n in NAMES[:5]] + [("http://127.0.0.1:9/simple/", "pkg-00")]
        with pytest.raises(EngineError, match=r"cannot ask the index about pkg-00 \(http://127\.0\.0\.1:9/simple/"):
            fetch_all(tasks, None, workers=3)


@pytest.mark.parametrize(("value", "refused"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_uv_offline_refuses(value: str, *, refused: bool) -> None:
    from corral.services.outdated import offline_refusal

    assert (offline_refusal({"UV_OFFLINE": value}) is not None) is refused
    assert offline_refusal({}) is None


@pytest.mark.parametrize("kind", ["json", "html"])
def test_a_yanked_release_is_no_upgrade(kind: str) -> None:
    """PEP 592: installers skip a yanked file unless pinned exactly, so `outdated` never offers one (sphinx 8.3.0)."""
    import http.server
    import json
    import threading

    from corral.services.outdated import index_versions

    files = [("demo-1.0-py3-none-any.whl", None), ("demo-2.0-py3-none-any.whl", "Bad release")]
    if kind == "json":
        body = json.dumps(
            {
                "meta": {"api-version": "1.0"},
                "name": "demo",
                "files": [
                    {"filename": name, "url": name, "hashes": {}, "yanked": reason or False} for name, reason in files
                ],
            }
        ).encode()
        content_type = "application/vnd.pypi.simple.v1+json"
    else:
        anchors = "".join(
            f'<a href="{name}"{f" data-yanked={chr(34)}{reason}{chr(34)}" if reason else ""}>{name}</a>'
            for name, reason in files
        )
        body = f"<html><body>{anchors}</body></html>".encode()
        content_type = "text/html"

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        versions = index_versions(f"http://127.0.0.1:{server.server_address[1]}/simple/", "demo")
    finally:
        server.shutdown()
        server.server_close()
    assert [str(v) for v in versions] == ["1.0"]
