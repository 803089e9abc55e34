"""A rebuild's replay with the user's certificate settings set: offline uv commands run without them (e5adc2f).

`infra.environ.offline_environ` leaves SSL_CERT_FILE, SSL_CERT_DIR, UV_NATIVE_TLS and UV_SYSTEM_CERTS out of the
offline tries, and the head start notes its command with that environment: a replay must still match it, so
`rm -rf .venv && corral sync` is replayed (`headstart:replayed` in the checkpoint log) with them set, twice in a row.
"""

# The fixtures come from the support plugin and test_sync_one_install; parameters shadow nothing here.
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_headstart_replay import cli, rebuild, replayed
from test_sync_one_install import cached_index, installed, make_project  # noqa: F401 - a fixture

if TYPE_CHECKING:
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

_SETTLE = 2.1  # the record is never written while an input is younger than two seconds


def replayed_twice(tmp_path: Path, index: LocalIndex, monkeypatch: pytest.MonkeyPatch, seed: str) -> None:
    """Synced, settled and rebuilt the full way once; then `rm -rf .venv && corral sync` twice, each replayed."""
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORRAL_SEED", seed)
    root = make_project(tmp_path, index)
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    cli(root, "sync")
    time.sleep(_SETTLE)
    seen, _ = rebuild(root, log)
    assert not replayed(seen), "the first rebuild goes the full way and records its replay"
    for _ in range(2):
        seen, done = rebuild(root, log)
        assert replayed(seen), seen
        assert "synced" in done.stderr, done.stderr
        assert {"alpha", "beta", "delta", "demo"} <= set(installed(root))


@pytest.mark.parametrize("seed", ["0", "1"], ids=["no-seed", "seeded"])
def test_a_rebuild_with_certificate_files_is_replayed_twice(
    tmp_path: Path,
    cached_index: LocalIndex,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
) -> None:
    bundle = tmp_path / "company-ca.pem"
    bundle.write_text("not a certificate: uv only warns\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    replayed_twice(tmp_path, cached_index, monkeypatch, seed)


def test_a_seeded_rebuild_with_native_tls_is_replayed_twice(
    tmp_path: Path,
    cached_index: LocalIndex,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UV_NATIVE_TLS", "1")
    replayed_twice(tmp_path, cached_index, monkeypatch, "1")
