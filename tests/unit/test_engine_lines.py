"""What the engines hand uv and pip: index packages as `name==version` with every hash, URLs as `name @ url`."""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING

import pytest

from corral.core.pylock_select import Chosen
from corral.engines._reqfile import hashed_lines, links_page
from corral.engines.uv import _by_index, _index_environ  # the engine's own helpers, tested directly
from corral.errors import UnsafeText

if TYPE_CHECKING:
    from pathlib import Path

PYPI = "https://index.example/simple/"
A, B, C = "a" * 64, "b" * 64, "c" * 64


def indexed(name: str, index: str = PYPI, hashes: tuple[str, ...] = (A, B)) -> Chosen:
    return Chosen(
        name=name,
        version="1.0",
        kind="wheel",
        url=f"https://files.example/{name}-1.0-py3-none-any.whl",
        sha256=hashes[0],
        filename=f"{name}-1.0-py3-none-any.whl",
        index=index,
        hashes=hashes,
    )


def by_url(name: str) -> Chosen:
    return Chosen(
        name=name,
        version="1.0",
        kind="wheel",
        url=f"https://files.example/{name}-1.0-py3-none-any.whl",
        sha256=C,
        filename=f"{name}-1.0-py3-none-any.whl",
    )


def test_index_packages_are_exact_pins_with_every_hash_and_urls_stay_urls() -> None:
    assert hashed_lines([indexed("alpha"), by_url("beta")]) == [
        f"alpha==1.0 --hash=sha256:{A} --hash=sha256:{B}",
        f"beta @ https://files.example/beta-1.0-py3-none-any.whl --hash=sha256:{C}",
    ]


def test_an_archive_is_never_an_index_package_even_with_an_index() -> None:
    archive = Chosen(name="alpha", version="1.0", kind="archive", url="https://x/alpha.zip", sha256=A, index=PYPI)
    assert hashed_lines([archive]) == [f"alpha @ https://x/alpha.zip --hash=sha256:{A}"]


def test_links_page_links_each_chosen_file_with_its_hash_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    item = Chosen(
        name="alpha",
        version="1.0",
        kind="wheel",
        url='https://x/a"b/alpha-1.0-py3-none-any.whl#md5=0',
        sha256=A,
        filename="alpha-1.0-py3-none-any.whl",
        index=PYPI,
        hashes=(A,),
    )
    with links_page([item]) as page:
        text = page.read_text(encoding="utf-8")
    assert f'href="https://x/a&quot;b/alpha-1.0-py3-none-any.whl#sha256={A}"' in text
    assert not page.exists()


def test_links_page_refuses_a_control_character(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    item = Chosen(name="alpha", version="1.0", kind="wheel", url="https://x/a\n.whl", sha256=A, index=PYPI)
    with pytest.raises(UnsafeText), links_page([item]):
        pass
    assert list(tmp_path.iterdir()) == []


def test_uv_gets_one_batch_per_index_and_url_files_ride_with_the_first() -> None:
    torch = "https://download.example/whl/cpu/"
    batches = _by_index([indexed("alpha"), by_url("beta"), indexed("torch", torch), indexed("gamma")])
    assert [(index, [c.name for c in batch]) for index, batch in batches] == [
        (PYPI, ["alpha", "gamma", "beta"]),
        (torch, ["torch"]),
    ]
    assert [(i, [c.name for c in b]) for i, b in _by_index([by_url("beta")])] == [(None, ["beta"])]


def test_uv_index_is_the_locks_own_and_the_callers_credentials_for_it_are_kept() -> None:
    environ = {
        "UV_INDEX_URL": "https://user:token@index.example/simple",
        "UV_EXTRA_INDEX_URL": "https://extra/simple",
        "UV_INDEX": "team=https://team.example/simple",
        "PATH": "/bin",
    }

    env = _index_environ(environ, PYPI)

    assert env["UV_DEFAULT_INDEX"] == "https://user:token@index.example/simple"
    assert "UV_INDEX_URL" not in env
    assert "UV_EXTRA_INDEX_URL" not in env
    assert "UV_INDEX" not in env
    assert env["PATH"] == "/bin"
    assert (
        _index_environ(environ, "https://team.example/simple/")["UV_DEFAULT_INDEX"]
        == "team=https://team.example/simple"
    )
    assert _index_environ({"PIP_INDEX_URL": "https://other/simple"}, PYPI)["UV_DEFAULT_INDEX"] == PYPI
