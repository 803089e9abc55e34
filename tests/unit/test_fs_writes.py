"""infra.fs: the one atomic writer (modes, symlinks) and infra.proc's reading of a full disk in a tool's output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from corral.errors import SafetyRefusal, UsageError
from corral.infra.fs import (
    atomic_write_bytes,
    current_umask,
    new_file_mode,
    require_utf8_path,
    resolve_write_target,
)
from corral.infra.proc import no_space


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_current_umask_reads_the_process_umask_without_changing_it() -> None:
    mask = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        assert current_umask() == 0o027
    finally:
        os.umask(mask)


def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "new.txt", b"x")
        assert new_file_mode(tmp_path / "missing") == 0o644
    finally:
        os.umask(mask)
    assert _mode(tmp_path / "new.txt") == 0o644


def test_a_replaced_file_keeps_its_permissions_but_never_setuid(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_bytes(b"old")
    target.chmod(0o4750)
    atomic_write_bytes(target, b"new")
    assert _mode(target) == 0o750
    assert target.read_bytes() == b"new"


def test_a_link_inside_the_root_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    real = tmp_path / "conf" / "pyproject.toml"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "pyproject.toml"
    link.symlink_to(Path("conf") / "pyproject.toml")
    assert resolve_write_target(link, tmp_path) == real
    assert atomic_write_bytes(link, b"new", root=tmp_path) == real
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    assert _mode(real) == 0o640
    assert sorted(p.name for p in (tmp_path / "conf").iterdir()) == ["pyproject.toml"]


def test_a_dangling_link_inside_the_root_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / ".python-version"
    link.symlink_to("pin.txt")
    atomic_write_bytes(link, b"3.12\n", root=tmp_path)
    assert link.is_symlink()
    assert (tmp_path / "pin.txt").read_bytes() == b"3.12\n"


@pytest.mark.parametrize("where", ["outside", "root-itself", "folder", "chain-out"])
def test_a_link_that_is_not_a_file_inside_the_root_is_refused(tmp_path: Path, where: str) -> None:
    # given
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    victim = tmp_path / "bashrc"
    victim.write_bytes(b"mine")
    link = root / "pyproject.toml"
    targets = {"outside": victim, "root-itself": root, "folder": root / "sub", "chain-out": root / "hop"}
    if where == "chain-out":
        (root / "hop").symlink_to(victim)
    link.symlink_to(targets[where])
    # when / then
    with pytest.raises(SafetyRefusal, match="is a symlink to"):
        atomic_write_bytes(link, b"evil", root=root)
    assert victim.read_bytes() == b"mine"
    assert link.is_symlink()
    assert sorted(p.name for p in root.iterdir()) == sorted(
        ["sub", "pyproject.toml"] + (["hop"] if where == "chain-out" else [])
    )


def test_without_a_root_a_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine")
    link = tmp_path / "state.json"
    link.symlink_to(victim)
    atomic_write_bytes(link, b"{}")
    assert not link.is_symlink()
    assert victim.read_bytes() == b"mine"


def test_a_path_that_is_not_utf8_is_refused_with_its_bytes_shown(tmp_path: Path) -> None:
    bad = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9"))
    with pytest.raises(UsageError, match=r"caf\\xe9 has a name that is not valid UTF-8"):
        require_utf8_path(bad, "project folder")
    require_utf8_path(tmp_path / "café", "project folder")


# uv wraps long messages, indenting the rest (a path is never cut)
UV_WRAPPED = (
    "  Caused by: failed to copy file from\n             /cache/a.so to\n"
    "             /a/long/env/x.libs/.tmpB: No\n             space left on device (os error 28)"
)


@pytest.mark.parametrize(
    ("output", "written"),
    [
        (
            (
                "error: failed to copy file from /cache/a.so to /env/lib/x.libs/.tmpA: "
                "No space left on device (os error 28)"
            ),
            "/env/lib/x.libs/.tmpA",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device: '/env/lib/x.py'",
            "/env/lib/x.py",
        ),
        (
            "error: failed to write to file `/home/u/.cache/uv/x`: Disk quota exceeded (os error 122)",
            "/home/u/.cache/uv/x",
        ),
        (UV_WRAPPED, "/a/long/env/x.libs/.tmpB"),
    ],
)
def test_a_full_disk_in_a_tools_output_names_the_file(output: str, written: str) -> None:
    found = no_space("uv pip install", output, cmd=["uv"])
    assert found is not None
    assert found.path == written
    assert f"could not write {written}" in str(found)
    assert "free some space" in str(found)


def test_other_failures_are_not_a_full_disk() -> None:
    assert no_space("uv pip install", "error: No solution found when resolving dependencies") is None
