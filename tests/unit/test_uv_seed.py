"""What `engines.uv_seed` takes from uv's answer and from its own record: only one plain pip wheel on a trusted host.

Lock text only: the URLs name a local index and no index is contacted; the records are files under a temporary folder.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from corral.engines import uv_seed

if TYPE_CHECKING:
    from pathlib import Path

INDEX = "http://127.0.0.1:8000/simple"
URL = "http://127.0.0.1:8000/files/pip-26.3-py3-none-any.whl"
SHA = "f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13"


def compiled(*, name: str = "pip", version: str = "26.3", wheels: list[tuple[str, str]] | None = None) -> str:
    """`uv pip compile --format pylock.toml`'s output shape for one package."""
    files = ", ".join(f'{{ url = "{url}", hashes = {{ sha256 = "{sha}" }} }}' for url, sha in wheels or [(URL, SHA)])
    return (
        'lock-version = "1.0"\ncreated-by = "uv"\nrequires-python = ">=3.12.1"\n\n'
        f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
        f'sdist = {{ url = "http://127.0.0.1:8000/files/pip-26.3.tar.gz", hashes = {{ sha256 = "{"1" * 64}" }} }}\n'
        f"wheels = [{files}]\n"
    )


def test_the_one_wheel_of_pip_becomes_an_entry_of_the_index() -> None:
    entry = uv_seed._parse(compiled(), INDEX)  # noqa: SLF001 - the parser under test
    assert entry is not None
    assert (entry.name, entry.version, entry.kind, entry.url, entry.sha256, entry.index) == (
        "pip",
        "26.3",
        "wheel",
        URL,
        SHA,
        INDEX,
    )
    assert entry.filename == "pip-26.3-py3-none-any.whl"
    assert entry.from_index, "installed as `pip==26.3` from the index, as a seed line installs it"


@pytest.mark.parametrize(
    "text",
    [
        compiled(name="setuptools"),
        compiled(version="26.2"),  # the wheel is not that version's
        compiled(wheels=[(URL, SHA), (URL.replace("26.3", "26.3.1"), SHA)]),
        compiled(wheels=[(URL, "0" * 63)]),
        compiled(wheels=[(URL, SHA.upper())]),
        compiled(wheels=[(URL.replace("127.0.0.1:8000", "elsewhere.example"), SHA)]),
        compiled(wheels=[(URL.replace("http://", "file://"), SHA)]),
        compiled(wheels=[(URL.replace("py3-none-any", "cp312-cp312-linux_x86_64"), SHA)]),
        compiled(wheels=[(URL.replace("/files/", "/files/a b/"), SHA)]),
        compiled() + compiled(name="wheel").split("\n\n", 1)[1],
        "not toml [",
        'lock-version = "1.0"\n',
    ],
    ids=[
        "another-package",
        "version-not-the-wheels",
        "two-wheels",
        "short-hash",
        "upper-hash",
        "another-host",
        "file-url",
        "platform-wheel",
        "space-in-url",
        "two-packages",
        "not-toml",
        "no-packages",
    ],
)
def test_anything_but_one_plain_pip_wheel_on_the_index_host_is_refused(text: str) -> None:
    assert uv_seed._parse(text, INDEX) is None  # noqa: SLF001 - the parser under test


def test_a_wheel_over_http_for_an_https_index_is_refused() -> None:
    assert uv_seed._parse(compiled(), INDEX.replace("http://", "https://")) is None  # noqa: SLF001


def test_a_record_is_read_back_only_for_its_own_index(tmp_path: Path) -> None:
    entry = uv_seed._parse(compiled(), INDEX)  # noqa: SLF001
    assert entry is not None
    record = tmp_path / "seed-wheels" / "r.json"
    uv_seed._write(record, entry)  # noqa: SLF001
    assert uv_seed._read(record, INDEX) == entry  # noqa: SLF001
    assert uv_seed._read(record, "http://127.0.0.1:9000/simple") is None  # noqa: SLF001
    uv_seed.forget(record)
    assert not record.exists()
    uv_seed.forget(record)  # gone already: nothing to do


@pytest.mark.parametrize(
    "data",
    [
        {"index": INDEX, "version": "26.3", "url": URL.replace("127.0.0.1:8000", "evil.example"), "sha256": SHA},
        {"index": INDEX, "version": "26.3", "url": URL, "sha256": "x" * 64},
        {"index": INDEX, "version": "24.0", "url": URL, "sha256": SHA},
        {"index": INDEX, "version": 26.3, "url": URL, "sha256": SHA},
        ["not", "a", "record"],
    ],
    ids=["another-host", "not-a-hash", "version-not-the-wheels", "not-text", "not-an-object"],
)
def test_a_record_that_is_not_one_corral_writes_is_not_used(tmp_path: Path, data: object) -> None:
    record = tmp_path / "r.json"
    record.write_text(json.dumps(data), encoding="utf-8")
    assert uv_seed._read(record, INDEX) is None  # noqa: SLF001


def test_a_truncated_or_missing_record_is_not_used(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    assert uv_seed._read(record, INDEX) is None  # noqa: SLF001
    record.write_text('{"index": "' + INDEX, encoding="utf-8")
    assert uv_seed._read(record, INDEX) is None  # noqa: SLF001


@pytest.mark.parametrize(
    ("names", "index"),
    [(("pip", "setuptools", "wheel"), INDEX), (("setuptools",), INDEX), (("pip",), None)],
    ids=["three-seeds", "not-pip", "no-index"],
)
def test_only_pip_from_an_index_is_ever_an_entry(tmp_path: Path, names: tuple[str, ...], index: str | None) -> None:
    environ = {"UV_CACHE_DIR": str(tmp_path / "uv"), "CORRAL_HOME": str(tmp_path / "home")}
    assert uv_seed.seed_entries(names, tmp_path / "python", index, environ, online=True) is None


def test_without_uvs_cache_nothing_is_learned_offline(tmp_path: Path) -> None:
    """No page of pip in uv's cache (or no cache at all): the lines, and nothing recorded."""
    home = {"CORRAL_HOME": str(tmp_path / "home")}
    empty = {"UV_CACHE_DIR": str(tmp_path / "uv"), **home}
    (tmp_path / "uv" / "simple-v1" / "pypi").mkdir(parents=True)
    assert uv_seed.seed_entries(("pip",), tmp_path / "python", INDEX, empty) is None
    assert uv_seed.seed_entries(("pip",), tmp_path / "python", INDEX, {**empty, "UV_NO_CACHE": "1"}) is None
    assert not (tmp_path / "home").exists(), "nothing recorded"


def test_the_key_follows_what_uvs_cache_holds_of_pip(tmp_path: Path) -> None:
    cache = tmp_path / "uv"
    page = cache / "simple-v9" / "index" / "abc" / "pip.rkyv"
    page.parent.mkdir(parents=True)
    page.write_bytes(b"page")
    environ = {"UV_CACHE_DIR": str(cache), "HOME": str(tmp_path)}
    python = tmp_path / "python"
    python.write_bytes(b"")
    first = uv_seed._key(python, environ)  # noqa: SLF001
    assert first is not None
    assert uv_seed._key(python, environ) == first, "a function of the files: the same when nothing changed"  # noqa: SLF001
    (cache / "wheels-v9" / "pypi" / "pip").mkdir(parents=True)
    second = uv_seed._key(python, environ)  # noqa: SLF001
    assert second == first, "a pip wheel uv caches: `uv pip compile --no-deps` reads only the page"
    page.write_bytes(b"page fetched again")
    assert uv_seed._key(python, environ) != second, "uv fetched the page again"  # noqa: SLF001
    third = uv_seed._key(python, environ)  # noqa: SLF001
    assert uv_seed._key(python, {**environ, "UV_EXCLUDE_NEWER": "2024-01-01"}) != third, "a uv setting"  # noqa: SLF001
    config = tmp_path / ".config" / "uv" / "uv.toml"
    config.parent.mkdir(parents=True)
    config.write_text("exclude-newer = '2024-01-01'\n", encoding="utf-8")
    assert uv_seed._key(python, environ) != third, "uv's own settings file"  # noqa: SLF001


@pytest.mark.parametrize(
    ("python", "pip", "kept"),
    [
        ("3.12.1", "26.3", True),
        ("3.12.1", "26.1", True),
        ("3.12.1", "26.1.0", True),
        ("3.12.1", "26.0.1", False),
        ("3.12.1", "24.0", False),
        ("3.12.1", "26.3rc1", False),
        ("3.8.18", "25.0.1", True),
        ("3.8.18", "24.0", False),
    ],
)
def test_a_pip_below_doctors_floor_is_never_an_entry(tmp_path: Path, python: str, pip: str, kept: bool) -> None:
    """Its seed line stays (and the upgrade after it), which a replayed rebuild checks the version of."""
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {python}\n", encoding="utf-8")
    entry = uv_seed._parse(compiled(), INDEX)  # noqa: SLF001
    assert entry is not None
    assert uv_seed._meets_floor(entry.replace(version=pip), env / "bin" / "python") is kept  # noqa: SLF001


def test_an_env_without_a_recorded_version_gets_no_entry(tmp_path: Path) -> None:
    entry = uv_seed._parse(compiled(), INDEX)  # noqa: SLF001
    assert entry is not None
    assert not uv_seed._meets_floor(entry, tmp_path / "env" / "bin" / "python")  # noqa: SLF001
