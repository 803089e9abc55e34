"""engines.uv_input: the minimal pylock.toml that lets uv fetch the locked files without their index pages.

Text only: the PyPI URLs below are what a lock names; no index is contacted (the install through uv is tested
against the loopback index in tests/integration/test_sync_direct_files.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from corral.core.pylock_select import Chosen
from corral.engines.uv_input import pylock_args, pylock_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the oldest Python corral runs on
    import tomli as tomllib

SHA = "ab" * 32
PYPI = "https://pypi.org/simple/"


def wheel(url: str, *, index: str | None = PYPI, name: str = "idna", kind: str = "wheel") -> Chosen:
    filename = url.rsplit("/", 1)[-1]
    return Chosen(name=name, version="3.10", kind=kind, url=url, sha256=SHA, filename=filename, index=index)


def test_each_file_is_an_index_entry_with_its_url_and_hash_and_the_project_a_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n', encoding="utf-8")
    items = [
        wheel("https://files.pythonhosted.org/packages/aa/idna-3.10-py3-none-any.whl"),
        wheel("https://files.pythonhosted.org/packages/bb/six-3.10.tar.gz", name="six", kind="sdist"),
    ]
    text = pylock_text(items, str(tmp_path))
    assert text is not None
    data = tomllib.loads(text)
    lock = Pylock.from_dict(data)  # a valid PEP 751 lock
    assert [str(p.name) for p in lock.packages] == ["idna", "six", "demo"]
    idna, six, demo = data["packages"]
    assert idna["index"] == PYPI
    assert idna["wheels"] == [{"name": "idna-3.10-py3-none-any.whl", "url": items[0].url, "hashes": {"sha256": SHA}}]
    assert six["sdist"]["url"] == items[1].url
    assert six["sdist"]["hashes"] == {"sha256": SHA}
    assert demo["directory"] == {"path": str(tmp_path), "editable": True}


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("https://evil.example/idna-3.10-py3-none-any.whl", PYPI),  # a host the index does not send files to
        ("file:///tmp/idna-3.10-py3-none-any.whl", PYPI),
        ("http://files.pythonhosted.org/idna-3.10-py3-none-any.whl", PYPI),  # TLS index, plain-HTTP file
        ("https://u:p@files.pythonhosted.org/idna-3.10-py3-none-any.whl", PYPI),
        ('https://files.pythonhosted.org/a"b/idna-3.10-py3-none-any.whl', PYPI),
        ("https://files.pythonhosted.org/a b/idna-3.10-py3-none-any.whl", PYPI),
        ("https://mirror.example/files/idna-3.10-py3-none-any.whl", "file:///srv/simple/"),
        ("https://mirror.example:8443/files/idna-3.10-py3-none-any.whl", "https://mirror.example/simple/"),
        ("https://files.pythonhosted.org/idna-3.10-py3-none-any.whl", None),  # a URL entry, not an index package
    ],
)
def test_a_file_uv_may_not_fetch_directly_keeps_the_lines(url: str, index: str | None) -> None:
    assert pylock_text([wheel(url, index=index)]) is None


def test_the_index_host_itself_and_pypis_file_host_are_trusted() -> None:
    assert pylock_text(
        [wheel("https://mirror.example/files/idna-3.10-py3-none-any.whl", index="https://mirror.example/simple/")]
    )
    assert pylock_text(
        [wheel("http://127.0.0.1:8000/files/idna-3.10-py3-none-any.whl", index="http://127.0.0.1:8000/simple/")]
    )
    test_pypi = "https://test-files.pythonhosted.org/p/idna-3.10-py3-none-any.whl"
    assert pylock_text([wheel(test_pypi, index="https://test.pypi.org/simple/")])


def test_a_project_without_a_static_name_keeps_the_lines(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    assert pylock_text([], str(tmp_path)) is None
    (tmp_path / "pyproject.toml").write_text('[project]\ndynamic = ["name"]\n', encoding="utf-8")
    assert pylock_text([], str(tmp_path)) is None
    assert pylock_text([], "/a path/with space") is None


def test_the_uv_arguments_are_a_function_of_the_selection(tmp_path: Path) -> None:
    environ = {"CORRAL_HOME": str(tmp_path / "home")}
    items = [wheel("https://files.pythonhosted.org/packages/aa/idna-3.10-py3-none-any.whl")]
    first = pylock_args(items, environ=environ)
    assert first is not None
    assert first[:3] == ["--preview-features", "pylock", "-r"]
    lock = Path(first[3])
    assert lock.name == "pylock.toml"
    assert lock.is_relative_to(tmp_path / "home" / "cache")
    lock.write_text("tampered", encoding="utf-8")
    assert pylock_args(items, environ=environ) == first, "the same selection, the same command"
    assert lock.read_text(encoding="utf-8") == pylock_text(items), "a file that differs is written again"
    other = pylock_args([wheel(items[0].url.replace("3.10", "3.11"))], environ=environ)
    assert other is not None
    assert other != first
