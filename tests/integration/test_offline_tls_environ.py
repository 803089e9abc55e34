"""uv run `--offline` gets no certificate settings; a build backend that needs them is run again with them.

uv loads every certificate SSL_CERT_FILE and SSL_CERT_DIR name when it starts, even offline (~7 ms of a small
`uv pip install`'s 33 here), so corral leaves them out of its offline tries (`infra.environ.offline_environ`). A
build backend gets uv's environment, and one may connect by itself: when it fails over a certificate, the offline
try is run once more with the whole environment (any other failed build runs once). The project's backend
(tests/integration/pylock_helpers.py) logs what it saw and fails without SSL_CERT_FILE, as one that downloads
through a company's certificate authority would.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_sync_build_failure import attempts, break_backend
from test_sync_one_install import builds, cached_index, fresh_sync, installed, primed, programs

from corral.infra.environ import TLS_ONLY, offline_environ

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration
__all__ = ["cached_index"]  # the fixture, used by name

_NEEDS_CERTS = """

def get_requires_for_build_editable(config_settings=None):
    seen = os.environ.get("SSL_CERT_FILE", "-")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs.log"), "a") as log:
        log.write(seen + "\\n")
    if seen == "-":
        raise OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer")
    return []
"""


def seen_by_backend(root: Path) -> list[str]:
    log = root / "_build" / "certs.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_offline_environ_drops_only_what_serves_the_network() -> None:
    given = dict.fromkeys(TLS_ONLY, "x") | {"PATH": "/bin", "UV_CACHE_DIR": "/c", "SSL_CERT_FILES": "kept"}
    assert offline_environ(given) == {"PATH": "/bin", "UV_CACHE_DIR": "/c", "SSL_CERT_FILES": "kept"}
    assert given["SSL_CERT_FILE"] == "x", "the caller's mapping is not changed"


def test_a_backend_that_needs_the_certificates_is_built_again_with_them(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the project synced once (uv's cache warm: the next new env is tried offline first), then a backend that
    # fails without SSL_CERT_FILE (its cached build stale), and the user's certificate settings
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)
    break_backend(root)  # its failing hook is replaced by the one below; pyproject.toml is touched
    with (root / "_build" / "demo_backend.py").open("a", encoding="utf-8") as backend:
        backend.write(_NEEDS_CERTS)
    bundle = tmp_path / "company-ca.pem"
    bundle.write_text("not a certificate: uv only warns\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    # when: a new env is synced
    result = fresh_sync(root, corral, log)
    # then: the offline try ran without the settings, its failed build once more with them, and the project is in
    assert result.exit_code == 0, result.stderr
    assert seen_by_backend(root) == ["-", str(bundle)], programs(log)
    assert programs(log).count("uv pip install") == 2, programs(log)
    assert "demo" in installed(root)
    assert builds(root) == 2, "built when primed, then by the second try"


def test_without_certificate_settings_a_failed_build_is_not_run_twice(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)
    break_backend(root)
    with (root / "_build" / "demo_backend.py").open("a", encoding="utf-8") as backend:
        backend.write(_NEEDS_CERTS)
    for name in TLS_ONLY:
        monkeypatch.delenv(name, raising=False)
    result = fresh_sync(root, corral, log)
    assert result.exit_code == 1, result.stdout
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert seen_by_backend(root) == ["-"], "the backend ran once: nothing differs in a second try"
    assert {"alpha", "beta"} <= set(installed(root)), "the lock's packages are in the env without the project"


def test_with_tls_settings_a_build_failing_for_another_reason_runs_once(
    tmp_path: Path, cached_index: LocalIndex, corral: Callable[..., RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, log = primed(tmp_path, cached_index, corral, monkeypatch)
    break_backend(root)  # a RuntimeError that names no certificate
    bundle = tmp_path / "company-ca.pem"
    bundle.write_text("not a certificate: uv only warns\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    result = fresh_sync(root, corral, log)
    assert result.exit_code == 1, result.stdout
    assert "the demo backend broke on purpose" in result.stderr
    assert attempts(root) == 1, programs(log)
