"""`doctor.files`: the files each installed distribution's RECORD lists, looked for in the env.

The env here is folders and files on disk in the layout a venv has (no interpreter is needed to list files);
the RECORDs are written as installers write them, and as a hostile repository could.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from corral.discovery.prober import CachedProber
from corral.doctor import files
from corral.doctor.files import check_files, missing_files
from corral.doctor.target import Target
from corral.infra.paths import CorralPaths

if TYPE_CHECKING:
    from corral.doctor.interface import Host


def _target(project: Path, *, project_env: bool) -> Target:
    """The env `project/.venv`, the project's own env or not (the check asks nothing else of its host)."""
    env = project / ".venv"
    owner = SimpleNamespace(root=project, env_path=env if project_env else project / "elsewhere")
    host = SimpleNamespace(project=owner, paths=CorralPaths.from_environment())
    return Target(env, host=cast("Host", host), prober=CachedProber(None))


def _site(root: Path) -> Path:
    site = root / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n", encoding="utf-8")
    return site


def _found(env: Path) -> tuple[dict[str, list[str]], list[str]]:
    scan = missing_files(env)
    return scan.missing, scan.unreadable


def _install(site: Path, name: str, version: str, rows: list[str], *, create: bool = True) -> Path:
    """A distribution whose RECORD holds `rows` (paths; the file is made unless it leads out or `create` is off)."""
    dist = site / f"{name}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = []
    for row in rows:
        lines.append(f'"{row}",,' if "," in row else f"{row},sha256=x,1")
        path = (site / row).resolve()
        if create and str(path).startswith(str(site.parents[2])) and not row.endswith(".pyc"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")
    lines += [f"{dist.name}/METADATA,,", f"{dist.name}/RECORD,,"]
    (dist / "RECORD").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dist


def test_a_whole_env_is_found_whole(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _install(site, "six", "1.16.0", ["six.py"])
    _install(site, "pkg", "2.0", ["pkg/__init__.py", "pkg/sub/deep.py", "pkg/data,with,commas.txt", "../../../bin/pkg"])
    assert (tmp_path / "bin" / "pkg").is_file()
    assert _found(tmp_path) == ({}, [])


def test_each_missing_file_is_named_by_its_distribution(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _install(site, "six", "1.16.0", ["six.py"])
    _install(site, "pkg", "2.0", ["pkg/__init__.py", "pkg/sub/deep.py", "pkg/a,b.txt", "../../../bin/pkg"])
    (site / "six.py").unlink()
    (site / "pkg" / "sub" / "deep.py").unlink()
    (site / "pkg" / "a,b.txt").unlink()
    (tmp_path / "bin" / "pkg").unlink()
    missing, unreadable = _found(tmp_path)
    assert unreadable == []
    assert missing == {
        "six-1.16.0.dist-info": ["six.py"],
        "pkg-2.0.dist-info": ["bin/pkg", "pkg/a,b.txt", "pkg/sub/deep.py"],
    }


def test_a_removed_folder_misses_every_file_in_it(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _install(site, "pkg", "2.0", ["pkg/__init__.py", "pkg/sub/a.py", "pkg/sub/b.py"])
    for name in ("a.py", "b.py"):
        (site / "pkg" / "sub" / name).unlink()
    (site / "pkg" / "sub").rmdir()
    assert _found(tmp_path)[0] == {"pkg-2.0.dist-info": ["pkg/sub/a.py", "pkg/sub/b.py"]}


def test_bytecode_rows_never_count(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _install(site, "six", "1.16.0", ["six.py", "__pycache__/six.cpython-312.pyc", "old.pyc", "legacy.pyo"])
    assert _found(tmp_path) == ({}, [])


def test_rows_leading_out_of_the_env_are_not_looked_at(tmp_path: Path) -> None:
    """A hostile RECORD names files elsewhere: corral neither vouches for them nor reports them."""
    env = tmp_path / "env"
    site = _site(env)
    outside = tmp_path / "secret"
    outside.mkdir()
    rows = ["../../../../secret/nope", "/etc/corral-nope", "../../../../../../../../etc/corral-nope"]
    _install(site, "evil", "1.0", ["evil.py", *rows], create=False)
    (site / "evil.py").write_text("", encoding="utf-8")
    assert _found(env) == ({}, [])


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside", "folder"])
def test_a_record_that_is_no_regular_file_in_the_env_is_not_read(tmp_path: Path, kind: str) -> None:
    env = tmp_path / "env"
    site = _site(env)
    dist = _install(site, "evil", "1.0", ["evil.py"])
    record = dist / "RECORD"
    record.unlink()
    if kind == "fifo":
        os.mkfifo(record)
    elif kind == "dev-zero":
        record.symlink_to("/dev/zero")
    elif kind == "outside":
        (tmp_path / "elsewhere").write_text("missing.py,,\n", encoding="utf-8")
        record.symlink_to(tmp_path / "elsewhere")
    else:
        record.mkdir()
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(_found(env)), daemon=True)
    worker.start()
    worker.join(10)
    assert result == [({}, [str(record)])], "not read, never blocks, reported as skipped"


def test_a_record_larger_than_the_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    dist = _install(site, "big", "1.0", ["big.py", "gone.py"], create=False)
    monkeypatch.setattr(files, "_LIMIT", 10)
    assert _found(tmp_path) == ({}, [str(dist / "RECORD")])


def test_a_distribution_without_metadata_is_left_to_drift_damaged(tmp_path: Path) -> None:
    site = _site(tmp_path)
    dist = _install(site, "six", "1.16.0", ["six.py"])
    (dist / "METADATA").unlink()
    (site / "six.py").unlink()
    assert _found(tmp_path) == ({}, [])


def test_the_finding_names_a_few_and_counts_the_rest(tmp_path: Path) -> None:
    site = _site(tmp_path / ".venv")
    _install(site, "pkg", "2.0", [f"pkg/m{i}.py" for i in range(5)], create=False)
    for i in range(7):
        _install(site, f"d{i}", "1.0", [f"d{i}.py"], create=False)
    (site / "pkg").mkdir()
    target = _target(tmp_path, project_env=False)
    [finding] = check_files(target)
    assert finding.code == "drift-files"
    assert finding.severity == "error"
    assert finding.message.startswith(
        "installed distributions with files missing: d0 1.0 (d0.py); d1 1.0 (d1.py); d2 1.0 (d2.py); "
        "d3 1.0 (d3.py); d4 1.0 (d4.py); d5 1.0 (d5.py); and 2 more distributions"
    ), finding.message
    assert finding.message.endswith("; reinstall them with the tool that made the env")
    assert finding.fix == ""
    assert finding.details["missing"]["pkg-2.0.dist-info"] == [f"pkg/m{i}.py" for i in range(5)]


def test_in_a_project_env_the_fix_is_a_rebuild(tmp_path: Path) -> None:
    site = _site(tmp_path / ".venv")
    _install(site, "pkg", "2.0", [f"pkg/m{i}.py" for i in range(5)], create=False)
    target = _target(tmp_path, project_env=True)
    [finding] = check_files(target)
    assert "pkg 2.0 (pkg/m0.py, pkg/m1.py, pkg/m2.py and 2 more)" in finding.message
    assert finding.fix == "corral recreate"
    assert files.FIXES[files.DRIFT_FILES].rebuild


def _scan_after_a_whole_one(tmp_path: Path) -> tuple[Target, Path]:
    site = _site(tmp_path / ".venv")
    _install(site, "pkg", "2.0", ["pkg/__init__.py", "pkg/sub/a.py", "../../../bin/pkg"])
    _install(site, "other", "1.0", ["pkg/sub/b.py", "other.py"])
    time.sleep(0.1)  # older than the clock's grain when the whole scan begins
    target = _target(tmp_path, project_env=True)
    assert check_files(target) == []
    return target, site


def test_a_whole_scan_vouches_for_the_folders_whose_stat_has_not_moved(tmp_path: Path) -> None:
    target, site = _scan_after_a_whole_one(tmp_path)
    earlier = files._read_record(target.host.paths.cache / files.RECORDS_FOLDER, target.root)  # noqa: SLF001
    assert earlier is not None
    again = missing_files(target.root, earlier)
    assert (again.missing, again.listed) == ({}, 0), "nothing moved: nothing listed"
    (site / "pkg" / "sub" / "a.py").unlink()
    after = missing_files(target.root, earlier)
    assert (after.missing, after.listed) == ({"pkg-2.0.dist-info": ["pkg/sub/a.py"]}, 1)
    [finding] = check_files(target)
    assert "pkg 2.0 (pkg/sub/a.py)" in finding.message


def test_a_record_whose_key_moved_has_every_folder_listed(tmp_path: Path) -> None:
    """A RECORD now naming a file in a folder whose stat has not moved (the other RECORD vouches for that folder)."""
    target, site = _scan_after_a_whole_one(tmp_path)
    record = next(site.glob("other-1.0.dist-info/RECORD"))
    record.write_text(record.read_text(encoding="utf-8") + "pkg/sub/never.py,,\n", encoding="utf-8")
    [finding] = check_files(target)
    assert "other 1.0 (pkg/sub/never.py)" in finding.message


def test_a_damaged_or_foreign_record_of_the_scan_is_ignored(tmp_path: Path) -> None:
    target, site = _scan_after_a_whole_one(tmp_path)
    stored = files._record_file(target.host.paths.cache / files.RECORDS_FOLDER, target.root)  # noqa: SLF001
    good = stored.read_text(encoding="utf-8")
    (site / "other.py").unlink()
    for text in ("{", "[]", good.replace(str(target.root), "/elsewhere"), '{"began": "x"}'):
        stored.write_text(text, encoding="utf-8")
        [finding] = check_files(target)
        assert "other 1.0 (other.py)" in finding.message
    stored.unlink()
    stored.symlink_to(tmp_path / "elsewhere.json")
    assert len(check_files(target)) == 1


def test_rows_that_name_no_file_are_skipped_without_a_crash(tmp_path: Path) -> None:
    """A NUL byte (no file name holds one), a row longer than PATH_MAX."""
    site = _site(tmp_path)
    _install(site, "pkg", "1.0", ["pkg.py"])
    record = next(site.glob("pkg-1.0.dist-info/RECORD"))
    with record.open("a", encoding="utf-8") as handle:
        handle.write("pkg\0dir/x.py,,\npkg/nu\0l.py,,\n" + "p/" * 3000 + "x.py,,\n")
    assert _found(tmp_path) == ({}, [])


@pytest.mark.parametrize("limit", ["_MAX_ROWS", "_MAX_FOLDERS"])
def test_a_record_naming_more_than_an_installer_writes_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """Each row and each folder costs time and memory: a hostile RECORD must not make doctor take minutes."""
    site = _site(tmp_path)
    dist = _install(site, "big", "1.0", [f"d{i}/f.py" for i in range(6)], create=False)
    monkeypatch.setattr(files, limit, 5)
    assert _found(tmp_path) == ({}, [str(dist / "RECORD")])


def test_a_folder_a_link_leads_out_of_the_env_is_not_listed(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = _site(env)
    outside = tmp_path / "outside" / "secret"
    outside.mkdir(parents=True)
    (outside / "present.txt").write_text("", encoding="utf-8")
    _install(site, "pkg", "1.0", ["pkg/__init__.py"])
    (site / "pkg" / "ext").symlink_to(tmp_path / "outside")
    (site / "pkg" / "inner").symlink_to(site / "pkg")  # a link that stays inside is followed
    record = next(site.glob("pkg-1.0.dist-info/RECORD"))
    with record.open("a", encoding="utf-8") as handle:
        handle.write("pkg/ext/secret/present.txt,,\npkg/ext/secret/absent.txt,,\npkg/inner/gone.py,,\n")
    assert _found(env) == ({"pkg-1.0.dist-info": ["pkg/inner/gone.py"]}, [])


def test_a_file_replaced_by_a_folder_or_a_dangling_link_is_missing(tmp_path: Path) -> None:
    site = _site(tmp_path)
    _install(site, "pkg", "1.0", ["pkg/a.py", "pkg/b.py", "pkg/c.py"])
    (site / "pkg" / "a.py").unlink()
    (site / "pkg" / "a.py").mkdir()
    (site / "pkg" / "b.py").unlink()
    (site / "pkg" / "b.py").symlink_to(tmp_path / "nowhere")
    (site / "pkg" / "c.py").unlink()
    (site / "pkg" / "c.py").symlink_to(site / "pkg" / "__init__.py")  # nowhere either: no __init__.py here
    (site / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    assert _found(tmp_path) == ({"pkg-1.0.dist-info": ["pkg/a.py", "pkg/b.py"]}, [])


def test_a_removed_record_is_named(tmp_path: Path) -> None:
    """pip and uv cannot uninstall a distribution without its RECORD."""
    site = _site(tmp_path)
    dist = _install(site, "pkg", "1.0", ["pkg.py"])
    (dist / "RECORD").unlink()
    assert _found(tmp_path) == ({"pkg-1.0.dist-info": ["pkg-1.0.dist-info/RECORD"]}, [])


def test_names_as_installers_spell_them_are_found(tmp_path: Path) -> None:
    """A name that is no UTF-8, and quoted names holding a line break, a form feed or U+2028 (as csv.writer writes)."""
    site = _site(tmp_path)
    dist = _install(site, "pkg", "1.0", ["pkg/plain.py"])
    odd = ["pkg/line\nbreak.txt", "pkg/form\x0cfeed.txt", "pkg/sep\u2028arator.txt"]
    for name in odd:
        (site / name).write_text("", encoding="utf-8")
    raw = os.fsencode(site / "pkg") + b"/bad\xff\xfe.py"
    with open(raw, "wb"):
        pass
    record = dist / "RECORD"
    text = record.read_bytes() + b"".join(b'"' + n.encode() + b'",,\n' for n in odd) + b"pkg/bad\xff\xfe.py,,\n"
    record.write_bytes(text)
    assert _found(tmp_path) == ({}, [])
    (site / odd[0]).unlink()
    assert _found(tmp_path) == ({"pkg-1.0.dist-info": [odd[0]]}, [])


def test_a_folder_swapped_for_an_older_copy_is_listed_again(tmp_path: Path) -> None:
    """Its ctime is older than the whole scan, but it is another folder (device and inode)."""
    target, site = _scan_after_a_whole_one(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(site / "pkg", copy, symlinks=True)
    (copy / "sub" / "a.py").unlink()
    time.sleep(0.1)
    os.utime(site)  # site-packages is listed again, so the scan records when it began: after the copy was made
    assert check_files(target) == []
    earlier = files._read_record(target.host.paths.cache / files.RECORDS_FOLDER, target.root)  # noqa: SLF001
    assert earlier is not None
    assert earlier[0] > (copy / "sub").stat().st_ctime_ns
    shutil.rmtree(site / "pkg")
    copy.rename(site / "pkg")
    [finding] = check_files(target)
    assert "pkg 2.0 (pkg/sub/a.py)" in finding.message


def test_an_unmoved_record_is_not_read_again(tmp_path: Path) -> None:
    """The whole scan's record holds each RECORD's folders: while its key and folders hold, no parse is needed."""
    target, site = _scan_after_a_whole_one(tmp_path)
    cache = target.host.paths.cache
    earlier = files._read_record(cache / files.RECORDS_FOLDER, target.root)  # noqa: SLF001
    files._PARSED.clear()  # noqa: SLF001 - what this process read
    assert missing_files(target.root, earlier).missing == {}
    assert files._PARSED == {}  # noqa: SLF001
    stored = {record: sorted(folders) for record, folders in files.record_folders(cache, target.root)}
    other = [str(site), str(site / "other-1.0.dist-info"), str(site / "pkg" / "sub")]
    pkg = [str(site / "pkg"), str(site / "pkg" / "sub"), str(site / "pkg-2.0.dist-info"), str(target.root / "bin")]
    assert stored == {
        str(site / "other-1.0.dist-info" / "RECORD"): sorted(other),
        str(site / "pkg-2.0.dist-info" / "RECORD"): sorted(pkg),
    }
    assert files._PARSED == {}  # noqa: SLF001
    record = site / "other-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text(encoding="utf-8") + "other_data.txt,,\n", encoding="utf-8")
    assert missing_files(target.root, earlier).missing == {"other-1.0.dist-info": ["other_data.txt"]}
    assert str(record) in files._PARSED  # noqa: SLF001 - (and pkg's, which shares pkg/sub, listed again for it)
