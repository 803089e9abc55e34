"""The selection cache's entries: each package's row kept by its text, and files proven whole before they are used.

A pulled lock whose packages were read before (the same packages under another header, or a pull that changed a
few) has only its new packages read, and no pattern compiled when there is none; the choice is always the general
path's (tomllib + `select_packages`). The cache's files are written without a sync: an entry that is empty, torn,
bent or of an older format is refused and the answer computed again. Real files, real packaging; the target is a
hand-made interpreter (its probe's facts) and the index URLs are text only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from corral.core import pylock_scan
from corral.core.interpreter import InterpreterInfo
from corral.core.pylock_select import Chosen, select_packages
from corral.core.pylock_write import LockDocument, render_pylock
from corral.core.selection import Selection
from corral.errors import LockError
from corral.services.sync import selection_cache
from support.toml import tomllib

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from corral.core.pylock_select import PackageRow

_TIME = "2024-02-29T12:30:05+00:00"


def _target() -> InterpreterInfo:
    marker_env = {
        "implementation_name": "cpython",
        "implementation_version": "3.12.1",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": "3.12.1",
        "platform_python_implementation": "CPython",
        "python_version": "3.12",
        "sys_platform": "linux",
    }
    return InterpreterInfo(
        path="/x/python",
        realpath="/x/python",
        implementation="CPython",
        version="3.12.1",
        version_info=(3, 12, 1),
        machine="x86_64",
        pointer_bits=64,
        platform="linux",
        prefix="/x",
        base_prefix="/x",
        marker_env=marker_env,
        abiflags="",
        soabi="",
    )


def _file(filename: str, digit: str) -> dict[str, Any]:
    import datetime as dt

    return {
        "name": filename,
        "url": f"https://files.example/packages/ab/{filename}",
        "size": 1000,
        "upload-time": dt.datetime.fromisoformat(_TIME),
        "hashes": {"sha256": digit * 64},
    }


def _lock_text(created_by: str = "corral", *, version_of_beta: str = "2.0") -> str:
    packages = []
    for number, (name, version) in enumerate([("alpha", "1.0"), ("beta", version_of_beta), ("gamma", "3.0")]):
        digit = "0123456789abcdef"[number]
        packages.append(
            {
                "name": name,
                "version": version,
                "index": "https://pypi.org/simple",
                **({"marker": "sys_platform == 'win32'"} if name == "gamma" else {}),
                "sdist": _file(f"{name}-{version}.tar.gz", digit),
                "wheels": [
                    _file(f"{name}-{version}-py3-none-any.whl", digit),
                    _file(f"{name}-{version}-cp312-cp312-manylinux_2_17_x86_64.whl", digit),
                ],
            }
        )
    doc = LockDocument(
        requires_python=">=3.10",
        extras=(),
        dependency_groups=(),
        default_groups=(),
        packages=packages,
        inputs_hash="sha256:" + "e" * 64,
    )
    return render_pylock(doc).replace('created-by = "corral"', f'created-by = "{created_by}"', 1)


def _forget() -> None:
    """This process's memory of locks read: the next choice is another process's."""
    for memo in (selection_cache._LAST_PARSED, selection_cache._LAST_SCANNED, selection_cache._LAST_SPLIT):  # noqa: SLF001
        memo.clear()
    selection_cache._CHECKED_HERE.clear()  # noqa: SLF001
    pylock_scan._patterns.cache_clear()  # noqa: SLF001 - to see whether a package's text was read


def _choose(lock: Path, text: str, cache: Path) -> list[Chosen]:
    lock.write_text(text, encoding="utf-8")
    _forget()
    return selection_cache.choose(lock, target=_target(), selection=Selection(), selection_key="s", cache_dir=cache)


def _general(lock: Path) -> list[Chosen]:
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return select_packages(data, target=_target(), selection=Selection(), lock_dir=lock.parent.absolute())


def _packages_read() -> int:
    info = pylock_scan._patterns.cache_info()  # noqa: SLF001 - each package read asks for the compiled patterns
    return info.hits + info.misses


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    return tmp_path / "project" / "pylock.toml"


def test_a_lock_whose_packages_were_read_before_is_chosen_without_reading_them(lock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    first = _choose(lock, _lock_text(), cache)
    assert _packages_read() == 3
    # when: the same packages under another header (bytes never chosen from)
    pulled = _choose(lock, _lock_text("corral, pulled"), cache)
    # then: no package read, no pattern compiled, the general path's choice
    assert _packages_read() == 0
    assert pylock_scan._patterns.cache_info().currsize == 0  # noqa: SLF001
    assert pulled == first == _general(lock)
    assert [c.name for c in pulled] == ["alpha", "beta"]


def test_only_the_packages_a_pull_changed_are_read(lock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    _choose(lock, _lock_text(), cache)
    pulled = _choose(lock, _lock_text("corral, pulled", version_of_beta="2.1"), cache)
    assert _packages_read() == 1
    assert pulled == _general(lock)
    assert [(c.name, c.version) for c in pulled] == [("alpha", "1.0"), ("beta", "2.1")]


def test_a_package_bent_after_it_was_read_is_refused_as_the_general_path_refuses(lock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    _choose(lock, _lock_text(), cache)
    # a file of beta's that is not chosen (its sdist) made one the general path refuses: read again, refused
    bent = _lock_text("corral, pulled").replace("beta-2.0.tar.gz", "beta-2.0.tar.gz?x", 2)
    lock.write_text(bent, encoding="utf-8")
    with pytest.raises(LockError) as general:
        _general(lock)
    with pytest.raises(LockError) as cached:
        _choose(lock, bent, cache)
    assert str(cached.value) == str(general.value)


_DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda _data: b"",
    "torn": lambda data: data[: len(data) // 2],
    "a byte changed": lambda data: data[:-5] + bytes([data[-5] ^ 1]) + data[-4:],
    "no frame (an older corral's)": lambda data: data.partition(b"\n")[2],
    "another digest": lambda data: data.replace(b"sha256=", b"sha256=0", 1),
}


@pytest.mark.parametrize("damage", list(_DAMAGES))
def test_a_damaged_cache_entry_is_computed_again(lock: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    expected = _choose(lock, _lock_text(), cache)
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 3  # the choice, the target's facts, the packages' rows
    for entry in entries:
        entry.write_bytes(_DAMAGES[damage](entry.read_bytes()))
    again = _choose(lock, _lock_text(), cache)  # the choice file refused: chosen again
    assert again == expected == _general(lock)
    assert _packages_read() == 3  # the rows refused: every package read again
    pulled = _choose(lock, _lock_text("corral, pulled"), cache)  # and written whole again
    assert pulled == expected
    assert _packages_read() == 0


def test_cache_entries_are_written_whole_and_left_no_temporary(lock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    _choose(lock, _lock_text(), cache)
    names = sorted(p.name for p in cache.iterdir())
    assert len(names) == 3 and all(n.endswith(".json") and not n.startswith(".") for n in names)
    for entry in cache.iterdir():
        head, _, text = entry.read_bytes().partition(b"\n")
        assert head.startswith(b"corral-cache-entry sha256=")
        assert text.startswith((b"[", b"{"))


def _chosen_file(**changes: Any) -> Chosen:
    fields: dict[str, Any] = {
        "name": "alpha",
        "version": "1.0",
        "kind": "wheel",
        "url": "https://files.example/packages/ab/alpha-1.0-py3-none-any.whl",
        "sha256": "0" * 64,
        "filename": "alpha-1.0-py3-none-any.whl",
        "index": "https://pypi.org/simple",
        "hashes": ("0" * 64, "1" * 64),
    }
    return Chosen(**{**fields, **changes})


@pytest.mark.parametrize(
    "row",
    [
        ("alpha", None, None, _chosen_file()),
        ("alpha", "", "", _chosen_file(version=None, sha256=None, filename=None, index=None)),
        ("alpha", "sys_platform == 'win32' and extra == 'x'", ">=3.10", _chosen_file(kind="sdist", hashes=("2" * 64,))),
        ("alpha", "python_version < '3.11'", None, None),
        ("alpha", None, "", None),
        ("alpha", None, None, _chosen_file(kind="directory", url="file:///p/alpha", editable=True, hashes=())),
    ],
)
def test_a_kept_row_reads_back_to_the_same_row(row: PackageRow) -> None:
    text = selection_cache._row_text(row)  # noqa: SLF001
    assert text is not None
    assert selection_cache._kept_row(text) == row  # noqa: SLF001


@pytest.mark.parametrize(
    "row",
    [
        ("alpha", "os_name == '\x7f'", None, None),  # the separator in a value
        ("alpha", None, None, _chosen_file(url="https://files.example/\x7f/alpha-1.0-py3-none-any.whl")),
        ("alpha", None, None, _chosen_file(hashes=("0" * 64 + " " + "1" * 64,))),  # a hash the spaces would split
        ("alpha", None, None, _chosen_file(hashes=("",))),
        ("beta", None, None, _chosen_file()),  # another package's file
    ],
)
def test_a_row_its_text_could_not_give_back_is_not_kept(row: PackageRow) -> None:
    assert selection_cache._row_text(row) is None  # noqa: SLF001


@pytest.mark.parametrize("kept", [None, ["alpha", None, None, None], "alpha", "alpha\x7f\x7f\x7f", 3])
def test_a_kept_row_of_another_form_is_read_again(kept: object) -> None:
    assert selection_cache._kept_row(kept) is None  # noqa: SLF001


@pytest.mark.parametrize(
    "chosen",
    [
        _chosen_file(),
        _chosen_file(version=None, sha256=None, filename=None, index=None, hashes=()),
        _chosen_file(kind="directory", url="file:///home/\u00e9/alpha", editable=True),
        _chosen_file(kind="vcs", url="git+https://example.org/alpha.git@0123abc", hashes=("=x",)),
    ],
)
def test_a_file_chosen_reads_back_from_its_text(chosen: Chosen) -> None:
    text = selection_cache._chosen_text(chosen)  # noqa: SLF001
    assert text is not None
    assert selection_cache._chosen_list([text, text]) == [chosen, chosen]  # noqa: SLF001


@pytest.mark.parametrize("found", [None, {"a": 1}, [3], ["alpha"], [{"name": "alpha"}]])
def test_a_choice_of_another_form_is_made_again(found: object) -> None:
    assert selection_cache._chosen_list(found) is None  # noqa: SLF001


def test_a_choice_is_read_back_and_one_its_text_could_not_give_back_is_not_kept(lock: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "lock-choices"
    assert selection_cache._chosen_text(_chosen_file(url="file:///a\x7fb")) is None  # noqa: SLF001
    assert selection_cache._chosen_text(_chosen_file(hashes=("a b",))) is None  # noqa: SLF001
    expected = _choose(lock, _lock_text(), cache)
    assert _choose(lock, _lock_text(), cache) == expected == _general(lock)
    assert _packages_read() == 0  # the choice read back: no package read
