"""The rebuild record's inputs kept by their bytes (`cli.headstart._same_bytes`): a new stat, the recorded bytes.

A rewritten pyproject.toml or pylock.toml (a relock that changed nothing) is the same input only when its bytes
are those recorded (`digest` lines) and its new stat had settled when observed: a same-size rewrite within the
clock tick of the last change keeps the stat, and the replay's stamp records the new stat as standing for those
bytes. Anything else that differs is no head start. Real files, the real observation (`cli.headstart.inputs`).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from corral.cli import headstart

_MARGIN = 50_000_000  # cli.quick.settle_margin on a file system with nanosecond times


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n', encoding="utf-8")
    (root / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
    return root


def _observe(root: Path, tmp_path: Path) -> list[str]:
    dirs = (str(tmp_path / "data"), str(tmp_path / "cache"), str(tmp_path / "config"))
    return headstart.inputs(str(root), dirs, {"HOME": str(tmp_path)})


def _digests(root: Path) -> dict[str, str]:
    return {
        label: hashlib.sha256((root / name).read_bytes()).hexdigest()
        for label, name in (("pyproject", "pyproject.toml"), ("lock", "pylock.toml"))
    }


def _rewrite(path: Path, data: bytes) -> None:
    new = path.with_name(path.name + ".new")
    new.write_bytes(data)
    os.replace(new, path)


def _ctime(path: Path) -> int:
    return path.stat().st_ctime_ns


def test_the_same_bytes_in_a_new_file_give_the_new_stats(project: Path, tmp_path: Path) -> None:
    recorded, digests = _observe(project, tmp_path), _digests(project)
    for name in ("pyproject.toml", "pylock.toml"):
        _rewrite(project / name, (project / name).read_bytes())
    now = _observe(project, tmp_path)
    assert now != recorded
    settled = max(_ctime(project / "pyproject.toml"), _ctime(project / "pylock.toml")) + _MARGIN
    restat = headstart._same_bytes(recorded, now, digests, settled)  # noqa: SLF001 - the rule under test
    assert restat is not None
    for label, name in (("pyproject", "pyproject.toml"), ("lock", "pylock.toml")):
        st = (project / name).stat()
        assert restat[label] == [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]  # infra.fingerprint's


def test_an_unsettled_rewrite_is_not_the_same_input(project: Path, tmp_path: Path) -> None:
    recorded, digests = _observe(project, tmp_path), _digests(project)
    _rewrite(project / "pylock.toml", (project / "pylock.toml").read_bytes())
    now = _observe(project, tmp_path)
    young = _ctime(project / "pylock.toml") + _MARGIN - 1
    assert headstart._same_bytes(recorded, now, digests, young) is None  # noqa: SLF001
    assert headstart._same_bytes(recorded, now, digests, young + 1) is not None  # noqa: SLF001


@pytest.mark.parametrize("name", ["pylock.toml", "pyproject.toml"])
def test_other_bytes_of_the_same_size_are_another_input(project: Path, tmp_path: Path, name: str) -> None:
    recorded, digests = _observe(project, tmp_path), _digests(project)
    data = (project / name).read_bytes()
    _rewrite(project / name, data[:-1] + b" ")
    now = _observe(project, tmp_path)
    assert headstart._same_bytes(recorded, now, digests, time.time_ns() + 10**10) is None  # noqa: SLF001


def test_a_stat_without_a_recorded_digest_or_another_input_is_no_head_start(project: Path, tmp_path: Path) -> None:
    recorded, digests = _observe(project, tmp_path), _digests(project)
    _rewrite(project / "pylock.toml", (project / "pylock.toml").read_bytes())
    now = _observe(project, tmp_path)
    later = time.time_ns() + 10**10
    assert headstart._same_bytes(recorded, now, {"pyproject": digests["pyproject"]}, later) is None  # noqa: SLF001
    (project / ".python-version").write_text("3.12\n", encoding="utf-8")  # a pin: another Python, another env
    assert headstart._same_bytes(recorded, _observe(project, tmp_path), digests, later) is None  # noqa: SLF001
    assert headstart._same_bytes(recorded, recorded, digests, later) == {}  # noqa: SLF001 - nothing differs


def test_a_file_changed_after_its_stat_was_taken_is_not_read_as_it(project: Path, tmp_path: Path) -> None:
    """The bytes are read from the very file the stat line saw: replaced since, nothing is proved."""
    recorded, digests = _observe(project, tmp_path), _digests(project)
    data = (project / "pylock.toml").read_bytes()
    _rewrite(project / "pylock.toml", data)
    now = _observe(project, tmp_path)
    _rewrite(project / "pylock.toml", data)  # the same bytes again, yet another file than `now` observed
    assert headstart._same_bytes(recorded, now, digests, time.time_ns() + 10**10) is None  # noqa: SLF001


def test_the_record_keeps_digest_lines_and_refuses_damaged_ones() -> None:
    sha = "ab" * 32
    base = ["project 70", "env 65", "what 77", "stdin ", "cfg ", "python 70 70 1", "argv 75"]
    parsed = headstart._parse([*base, f"digest lock {sha}", "observed 0"])  # noqa: SLF001
    assert parsed is not None
    assert parsed.digests == {"lock": sha}
    for bad in (f"digest lock {sha[:-1]}", f"digest pins {sha}", f"digest lock {sha.upper()}", "digest lock"):
        assert headstart._parse([*base, bad, "observed 0"]) is None, bad  # noqa: SLF001
