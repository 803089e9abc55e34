"""`infra.toml_file`: a process parses a given document once, never serves it stale, and caps a pyproject.toml.

Real files under a temporary folder. The parses are counted by wrapping the TOML library's `loads` (the real one
still parses); each test's document holds a marker of its own, so what other tests parsed in this process (the
memo lives as long as the process) cannot answer for it.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest

from corral.errors import ConfigError
from corral.infra import toml_file
from corral.infra.toml_edit import set_tool_values
from corral.infra.toml_file import PYPROJECT_LIMIT, parse_toml, read_toml
from support.toml import count_parses

if TYPE_CHECKING:
    from pathlib import Path


def _document(extra: str = "") -> str:
    return (
        f"# {uuid.uuid4()}\n"
        '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["a>=1", "b"]\n'
        f"[tool.corral]\nseed = false\n{extra}"
    )


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the TOML library parsed from now on."""
    return count_parses(monkeypatch)


def test_the_same_text_is_parsed_once(parses: list[str]) -> None:
    text = _document()
    first = parse_toml(text, origin="a")
    assert parse_toml(text, origin="b") == first
    assert parse_toml(str(text.encode().decode()), origin="c") == first  # another string object, same content
    assert parses == [text]


def test_each_caller_gets_tables_and_arrays_of_its_own(parses: list[str]) -> None:
    text = _document()
    first = parse_toml(text, origin="a")
    first["project"]["dependencies"].append("planted")
    first["tool"]["corral"]["seed"] = True
    first["added"] = {}
    again = parse_toml(text, origin="a")
    assert again["project"]["dependencies"] == ["a>=1", "b"]
    assert again["tool"]["corral"] == {"seed": False}
    assert "added" not in again
    again["project"]["dependencies"].clear()
    assert parse_toml(text, origin="a")["project"]["dependencies"] == ["a>=1", "b"]
    assert len(parses) == 1


def test_an_edit_that_keeps_size_and_mtime_is_read(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(_document(), encoding="utf-8")
    assert read_toml(path)["tool"]["corral"] == {"seed": False}
    st = path.stat()
    text = path.read_text(encoding="utf-8").replace("seed = false", "seed = 12345")  # the same size
    with path.open("r+b") as handle:
        handle.write(text.encode())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert read_toml(path)["tool"]["corral"] == {"seed": 12345}
    assert read_toml(path)["tool"]["corral"] == {"seed": 12345}
    assert len(parses) == 2  # each content once


def test_an_edit_written_by_corral_is_read_in_the_same_process(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(_document(), encoding="utf-8")
    assert read_toml(path)["tool"]["corral"] == {"seed": False}
    assert set_tool_values(path, {"seed": True, "prompt": "p"})
    assert read_toml(path)["tool"]["corral"] == {"seed": True, "prompt": "p"}
    path.write_text(_document(), encoding="utf-8")  # and back, as `corral remove` puts a file back
    assert read_toml(path)["tool"]["corral"] == {"seed": False}


def test_a_syntax_error_is_raised_every_time(parses: list[str]) -> None:
    text = _document("broken = [\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"x\.toml: invalid TOML"):
            parse_toml(text, origin="x.toml")
    assert len(parses) == 2  # nothing kept of a document that does not parse


def test_the_memo_is_bounded_and_small_documents_do_not_push_a_big_one_out(parses: list[str]) -> None:
    pad = "# " + "x" * (PYPROJECT_LIMIT - 1000) + "\n"
    big = _document(pad)
    parse_toml(big, origin="pyproject.toml")
    for _ in range(8):  # the small locks an edit writes and reads
        parse_toml(_document(), origin="pylock.toml")
    parse_toml(big, origin="pyproject.toml")
    assert parses.count(big) == 1
    for _ in range(4):  # four more documents of a megabyte: the memo holds four megabytes, the oldest goes
        parse_toml(_document(pad), origin="pyproject.toml")
    parse_toml(big, origin="pyproject.toml")
    assert parses.count(big) == 2
    assert len(toml_file._MEMO) <= 16  # noqa: SLF001 - the bounds themselves
    assert sum(map(len, toml_file._MEMO)) <= 4 * PYPROJECT_LIMIT  # noqa: SLF001
    huge = _document("# " + "x" * PYPROJECT_LIMIT + "\n")
    parse_toml(huge, origin="huge")
    parse_toml(huge, origin="huge")
    assert parses[-2:] == [huge, huge]  # a document over the pyproject limit (a lock of many MB) is not held


def test_a_pyproject_over_the_limit_is_one_error_naming_file_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    head = '[project]\nname = "demo"\nversion = "0"\n'
    path.write_text(head + "#" * (PYPROJECT_LIMIT - len(head) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == PYPROJECT_LIMIT
    assert read_toml(path)["project"]["name"] == "demo"  # at the limit: read
    with path.open("a", encoding="utf-8") as handle:
        handle.write("#" * 500_000 + "\n")
    with pytest.raises(ConfigError) as caught:
        read_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path} is 1.5 MiB ({PYPROJECT_LIMIT + 500_001} bytes), over corral's 1 MiB limit")
    assert "move bulky data out of it" in message
    other = tmp_path / "pylock.toml"  # any other TOML file keeps the 64 MiB limit
    os.replace(path, other)
    assert read_toml(other)["project"]["name"] == "demo"


def test_threads_parsing_at_once_share_the_memo_safely() -> None:
    """A lock's helper thread parses uv's output while the main thread reads the project: no error, right data."""
    import sys
    import threading

    errors: list[BaseException] = []
    texts = [_document(f"n = {i}\n") for i in range(40)]

    def work(offset: int) -> None:
        try:
            for round_ in range(120):
                i = (offset + round_) % len(texts)
                assert parse_toml(texts[i], origin="t")["tool"]["corral"]["n"] == i
        except BaseException as err:  # noqa: BLE001 - any failure in a thread is the test's
            errors.append(err)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: the races show
    try:
        threads = [threading.Thread(target=work, args=(k * 5,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []
