"""`corral cache dir|info|prune|clean` on a real cache folder (CORRAL_HOME), records written by corral's own writers.

Hostile contents (links out of the cache, fifos, unreadable files, files where folders belong, a cache folder that
is a link, the home folder or writable by others) are in the second half.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corral import __version__
from corral.cli import quick
from corral.cli.headstart import inputs, rebuild_record_path
from corral.infra.locks import file_lock
from corral.services.cache_records import record_name
from corral.services.transaction import project_lock_path

if TYPE_CHECKING:
    from conftest import Corral

_OLD = time.time() - 90 * 86400


def cache() -> Path:
    return Path(os.environ["CORRAL_HOME"]) / "cache"


def dirs() -> tuple[str, str, str]:
    found = quick.corral_dirs(os.environ)
    assert found is not None
    return found


def quick_record(project: Path) -> Path:
    """The quick record `cli.quick` writes for `project` (its observation taken now)."""
    env = project / ".venv"
    lines, _ = quick.observe(str(project), str(env), dirs(), os.environ)
    text = "\n".join(
        [quick._HEADER, f"project {project}", f"env {env}", "selection default", *lines, "end"]  # noqa: SLF001
    )
    path = quick.record_path(dirs()[1], str(project))
    assert quick.write_record(path, text)
    return Path(path)


def rebuild_record(project: Path, uv_input: Path) -> Path:
    """A rebuild record of `project` whose uv command reads `uv_input` (the lines `cli.headstart` parses)."""
    observed = inputs(str(project), dirs(), os.environ)

    def hexed(text: str) -> str:
        return text.encode().hex()

    body = [f"project {hexed(str(project))}", f"input {hexed(str(uv_input))} {b'x'.hex()}", f"observed {len(observed)}"]
    text = "\n".join([f"corral-rebuild-record 1 {__version__}", *body, *observed, "end"])
    path = rebuild_record_path(dirs()[1], str(project), observed)
    assert quick.write_record(path, text)
    return Path(path)


def make_project(tmp_path: Path, name: str = "proj") -> Path:
    root = tmp_path / name
    (root / ".venv").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1"\n', encoding="utf-8")
    (root / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
    return root


def uv_input(digest: str, *, old: bool) -> Path:
    folder = cache() / "uv-input" / digest
    folder.mkdir(parents=True)
    (folder / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
    if old:
        for path in (folder / "pylock.toml", folder):
            os.utime(path, (_OLD, _OLD))
    return folder / "pylock.toml"


def run_json(corral: Corral, *args: str) -> dict[str, Any]:
    done = corral("cache", *args, "--json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)["data"]
    assert isinstance(data, dict)
    return data


def removed(data: dict[str, Any]) -> set[str]:
    entries = data["removed"]
    assert isinstance(entries, list)
    return {entry["path"] for entry in entries}


def test_the_record_name_is_the_quick_records(tmp_path: Path) -> None:
    for project in ("/a/b", str(tmp_path / "é x"), "/"):
        assert record_name(project) == os.path.basename(quick.record_path("/c", project))


def test_dir_prints_the_cache_folder(corral: Corral) -> None:
    done = corral("cache", "dir")
    assert done.exit_code == 0
    assert done.stdout == f"{cache()}\n"
    assert run_json(corral, "dir") == {"path": str(cache())}


def test_info_counts_each_kind_and_the_total(corral: Corral, tmp_path: Path) -> None:
    # given
    assert run_json(corral, "info")["exists"] is False
    quick_record(make_project(tmp_path))
    uv_input("a" * 32, old=False)
    (cache() / "lock-choices").mkdir()
    (cache() / "lock-choices" / ("b" * 32 + ".json")).write_text("[]" * 3000, encoding="utf-8")
    (cache() / "lock-choices" / "notes.txt").write_text("mine", encoding="utf-8")
    (cache() / "something-else").mkdir()
    # when
    data = run_json(corral, "info")
    # then
    kinds = {k["kind"]: k for k in data["kinds"]}
    assert kinds["quick-records"]["entries"] == 1
    assert kinds["uv-input"]["entries"] == 1
    assert kinds["lock-choices"]["entries"] == 1
    assert kinds["lock-choices"]["bytes"] >= 6000
    assert kinds["lock-choices"]["foreign"] == ["notes.txt"]
    assert data["other"] == ["something-else"]
    assert data["total"] >= sum(k["bytes"] for k in kinds.values())
    human = corral("cache", "info")
    assert "quick-records" in human.stdout
    assert "something-else" in human.stderr


def test_prune_keeps_a_live_record_and_removes_those_of_a_gone_project(corral: Corral, tmp_path: Path) -> None:
    # given
    live, gone = make_project(tmp_path, "live"), make_project(tmp_path, "gone")
    kept, dropped = quick_record(live), quick_record(gone)
    assert quick.lookup(str(live), os.environ) is not None, "a record the quick path answers from"
    (gone / "pyproject.toml").unlink()
    # when
    data = run_json(corral, "prune")
    # then
    assert removed(data) == {str(dropped)}
    assert kept.is_file()
    assert quick.lookup(str(live), os.environ) is not None


def test_prune_removes_a_record_that_can_never_match_again(corral: Corral, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    record = quick_record(root)
    (root / "pylock.toml").write_text('lock-version = "1.0"\n# edited\n', encoding="utf-8")
    assert str(record) in removed(run_json(corral, "prune"))


def test_prune_removes_a_record_at_another_projects_name(corral: Corral, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    record = quick_record(root)
    moved = record.with_name(record_name("/elsewhere"))
    os.link(record, moved)
    assert removed(run_json(corral, "prune")) == {str(moved)}
    assert record.is_file()


def test_prune_removes_caches_unused_for_the_age_and_keeps_recent_ones(corral: Corral) -> None:
    # given
    folders = {"lock-choices": ".json", "fresh-locks": "", "served-installs": "", "lock-checked": ""}
    old, new = [], []
    for kind, suffix in folders.items():
        (cache() / kind).mkdir(parents=True)
        name = ("c" * 40 + "-1.0-3") if kind == "lock-checked" else "c" * 32 + suffix
        stale = cache() / kind / name
        stale.write_text("[]", encoding="utf-8")
        os.utime(stale, (_OLD, _OLD))
        fresh = cache() / kind / (name.replace("c", "d"))
        fresh.write_text("[]", encoding="utf-8")
        old.append(str(stale))
        new.append(fresh)
    # when
    assert removed(run_json(corral, "prune", "--dry-run")) == set(old)
    assert all(Path(p).exists() for p in old), "a dry run removes nothing"
    data = run_json(corral, "prune", "--older-than", "60d")
    # then
    assert removed(data) == set(old)
    assert all(p.exists() for p in new)
    assert run_json(corral, "prune", "--older-than", "0s")["removed"] != []


def test_prune_keeps_the_uv_input_a_rebuild_record_replays(corral: Corral, tmp_path: Path) -> None:
    # given
    root = make_project(tmp_path)
    replayed = uv_input("1" * 32, old=True)
    orphan = uv_input("2" * 32, old=True)
    recent = uv_input("3" * 32, old=False)
    rebuild_record(root, replayed)
    # when
    data = run_json(corral, "prune")
    # then
    assert removed(data) == {str(orphan.parent)}
    assert replayed.is_file()
    assert recent.is_file()


def test_prune_takes_the_writers_locks(corral: Corral, tmp_path: Path) -> None:
    # given: a gone project's record, an orphan uv input, and a command holding that project's and an env's lock
    root = make_project(tmp_path)
    record = quick_record(root)
    (root / "pyproject.toml").unlink()
    orphan = uv_input("4" * 32, old=True)
    env_lock = cache() / "env-locks" / ("e" * 24 + ".corral-sync.lock")
    # when
    with file_lock(project_lock_path(root)), file_lock(env_lock):
        held = run_json(corral, "prune")
    after = run_json(corral, "prune")
    # then
    assert held["removed"] == []
    assert any("running" in note for note in held["kept"])
    assert removed(after) == {str(record), str(orphan.parent)}


def test_prune_removes_a_writers_old_temporary(corral: Corral) -> None:
    folder = cache() / "quick-records"
    folder.mkdir(parents=True)
    old, new = folder / ".0123456789abcdef.txt.77.1.tmp", folder / ".fedcba9876543210.txt.78.2.tmp"
    for path in (old, new):
        path.write_text("half", encoding="utf-8")
    os.utime(old, (_OLD, _OLD))
    assert removed(run_json(corral, "prune")) == {str(old)}
    assert new.exists()


def test_clean_removes_all_of_corrals_cache_but_locks_and_throwaway_envs(corral: Corral, tmp_path: Path) -> None:
    # given
    quick_record(make_project(tmp_path))
    uv_input("5" * 32, old=False)
    (cache() / "interpreters.json").write_text("{}", encoding="utf-8")
    (cache() / "legacy-lock" / "pip" / "http").mkdir(parents=True)
    (cache() / "legacy-lock" / "pip" / "http" / "x").write_text("y", encoding="utf-8")
    lock = cache() / "project-locks" / ("f" * 24 + ".lock")
    lock.parent.mkdir()
    lock.touch()
    (cache() / "envs" / "script-abc").mkdir(parents=True)
    # when
    data = run_json(corral, "clean")
    # then
    assert sorted(p.name for p in cache().iterdir()) == ["envs", "project-locks"]
    assert lock.exists()
    assert (cache() / "envs" / "script-abc").is_dir()
    assert data["freed"] > 0
    assert run_json(corral, "clean")["removed"] == []


def test_clean_keeps_what_corral_never_writes(corral: Corral) -> None:
    # given
    (cache() / "quick-records").mkdir(parents=True)
    (cache() / "quick-records" / "README").write_text("mine", encoding="utf-8")
    (cache() / "quick-records" / "0123456789abcdef.txt").mkdir()  # a folder where corral writes a file
    (cache() / "legacy-lock" / "photos").mkdir(parents=True)  # a tree holding a name corral never writes
    (cache() / "notes").write_text("mine", encoding="utf-8")
    # when
    data = run_json(corral, "clean")
    # then
    assert data["removed"] == []
    assert (cache() / "quick-records" / "README").is_file()
    assert (cache() / "quick-records" / "0123456789abcdef.txt").is_dir()
    assert (cache() / "legacy-lock" / "photos").is_dir()
    assert (cache() / "notes").is_file()
    assert len(data["kept"]) == 4


def test_prune_judges_lock_stamps_and_versions_by_their_project(corral: Corral, tmp_path: Path) -> None:
    # given: a stamp and a version of a live project, of a gone one, and an old version of the live one
    from corral.infra.journals import project_key

    live, gone = make_project(tmp_path, "live"), make_project(tmp_path, "gone")
    (cache() / "lock-stamps").mkdir(parents=True)
    (cache() / "project-versions").mkdir()
    files = {}
    for root in (live, gone):
        stamp = cache() / "lock-stamps" / f"{project_key(root)}.json"
        stamp.write_text(json.dumps({"corral": __version__, "inputs": {"root": str(root)}}), encoding="utf-8")
        version = cache() / "project-versions" / (root.name.encode().hex().ljust(64, "0") + ".json")
        version.write_text(json.dumps({"version": "1.0", "root": str(root)}), encoding="utf-8")
        files[root.name] = (stamp, version)
    old_version = cache() / "project-versions" / ("e" * 64 + ".json")
    old_version.write_text(json.dumps({"version": "0.9", "root": str(live)}), encoding="utf-8")
    os.utime(old_version, (_OLD, _OLD))
    (gone / "pyproject.toml").unlink()
    # when
    data = run_json(corral, "prune")
    # then
    assert removed(data) == {*map(str, files["gone"]), str(old_version)}
    assert all(path.is_file() for path in files["live"])


def test_prune_leaves_another_corrals_records_until_they_are_old(corral: Corral, tmp_path: Path) -> None:
    # given: records in a format this corral does not read (a newer one's), one of them old
    folder = cache() / "quick-records"
    folder.mkdir(parents=True)
    young, old = folder / ("1" * 16 + ".txt"), folder / ("2" * 16 + ".txt")
    for path in (young, old):
        path.write_text("corral-quick-record 2 9.9\nproject /x\nend", encoding="utf-8")
    os.utime(old, (_OLD, _OLD))
    damaged = folder / ("3" * 16 + ".txt")
    damaged.write_text("\x00garbage", encoding="utf-8")
    # when
    data = run_json(corral, "prune")
    # then
    assert removed(data) == {str(old), str(damaged)}
    assert young.is_file()


def test_info_counts_a_hard_linked_file_once_and_survives_a_deep_tree(corral: Corral) -> None:
    # given
    folder = cache() / "legacy-lock" / "pip"
    folder.mkdir(parents=True)
    (folder / "a").write_bytes(b"x" * 100_000)
    os.link(folder / "a", folder / "b")
    deep = folder
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    # when
    kinds = {k["kind"]: k for k in run_json(corral, "info")["kinds"]}
    # then
    assert 100_000 <= kinds["legacy-lock"]["bytes"] < 200_000 + 40 * 4096
    assert run_json(corral, "clean")["freed"] > 0
    assert not (cache() / "legacy-lock").exists()


# --- hostile contents -------------------------------------------------------------------------------------------


def outside_tree(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / ("6" * 32)).mkdir(parents=True)
    (folder / ("6" * 32) / "pylock.toml").write_text("keep", encoding="utf-8")
    (folder / ("7" * 32 + ".json")).write_text("keep", encoding="utf-8")
    (folder / "0123456789abcdef.txt").write_text("keep", encoding="utf-8")
    return folder


def test_links_out_of_the_cache_are_unlinked_never_followed(corral: Corral, tmp_path: Path) -> None:
    # given: links with corral's names to an outside folder full of names corral gives
    outside = outside_tree(tmp_path)
    before = sorted(str(p) for p in outside.rglob("*"))
    (cache() / "quick-records").mkdir(parents=True)
    (cache() / "quick-records" / "0123456789abcdef.txt").symlink_to(outside / "0123456789abcdef.txt")
    (cache() / "uv-input").mkdir()
    (cache() / "uv-input" / ("6" * 32)).symlink_to(outside / ("6" * 32))
    (cache() / "lock-choices").symlink_to(outside)
    (cache() / "legacy-lock").symlink_to(outside)
    # when
    pruned = run_json(corral, "prune", "--older-than", "0s")
    cleaned = run_json(corral, "clean")
    # then
    assert removed(pruned) == {
        str(cache() / "quick-records" / "0123456789abcdef.txt"),
        str(cache() / "uv-input" / ("6" * 32)),
    }
    assert {Path(p).name for p in removed(cleaned)} == {"lock-choices", "legacy-lock"}
    assert sorted(p.name for p in cache().iterdir()) == []
    assert sorted(str(p) for p in outside.rglob("*")) == before
    assert (outside / ("6" * 32) / "pylock.toml").read_text(encoding="utf-8") == "keep"


def test_fifos_unreadable_files_and_files_where_folders_belong(corral: Corral, tmp_path: Path) -> None:
    # given
    records = cache() / "quick-records"
    records.mkdir(parents=True)
    os.mkfifo(records / "0123456789abcdef.txt")  # a reader opening it would wait forever
    unreadable = records / "fedcba9876543210.rebuild.txt"
    unreadable.write_text("secret", encoding="utf-8")
    unreadable.chmod(0)
    os.mkfifo(cache() / "interpreters.json")
    (cache() / "uv-input").write_text("a file where a folder belongs", encoding="utf-8")
    (cache() / "lock-stamps").mkdir()
    (cache() / "lock-stamps" / ("8" * 32 + ".json")).write_text("{not json", encoding="utf-8")
    # when
    pruned = run_json(corral, "prune")
    info = run_json(corral, "info")
    cleaned = run_json(corral, "clean")
    # then
    assert {Path(p).name for p in removed(pruned)} == {"0123456789abcdef.txt", unreadable.name, "8" * 32 + ".json"}
    assert info["exists"] is True
    assert {Path(p).name for p in removed(cleaned)} == {"interpreters.json", "uv-input"}
    assert sorted(p.name for p in cache().iterdir()) == []


def test_a_cache_folder_that_is_a_link_is_followed_and_kept(corral: Corral, tmp_path: Path) -> None:
    # given: the cache folder is a link to the user's own folder elsewhere
    real = tmp_path / "real-cache"
    (real / "fresh-locks").mkdir(parents=True)
    (real / "fresh-locks" / ("9" * 32)).touch()
    cache().parent.mkdir(parents=True, exist_ok=True)
    cache().symlink_to(real)
    # when
    data = run_json(corral, "clean")
    # then
    assert removed(data) == {str(real / "fresh-locks" / ("9" * 32))}
    assert cache().is_symlink()
    assert real.is_dir()


@pytest.mark.parametrize("where", ["home", "root", "shared", "file"])
def test_a_cache_folder_corral_cannot_own_is_refused(
    corral: Corral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # given
    home = tmp_path / "home"
    (home / "lock-choices").mkdir(parents=True)
    mine = home / "lock-choices" / ("a" * 32 + ".json")
    mine.write_text("[]", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    cache().parent.mkdir(parents=True, exist_ok=True)
    if where == "home":
        cache().symlink_to(home)
    elif where == "root":
        cache().symlink_to("/")
    elif where == "shared":
        cache().mkdir()
        cache().chmod(0o777)
    else:
        cache().write_text("a file where the cache folder belongs", encoding="utf-8")
    # when
    done = corral("cache", "clean")
    pruned = corral("cache", "prune", "--older-than", "0s")
    # then
    assert done.exit_code == 2, done.stderr
    assert pruned.exit_code == 2
    assert corral("cache", "info").exit_code == 2
    assert corral("cache", "dir").exit_code == 0
    assert "corral's cache folder" in done.stderr
    assert mine.is_file()
    assert stat.S_ISDIR(os.stat("/").st_mode)


# --- the automatic prune --------------------------------------------------------------------------------------------


def test_the_automatic_prune_runs_once_a_day_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from corral.services.cache_auto import INTERVAL, OPT_OUT, STAMP, prune_if_due

    monkeypatch.setenv(OPT_OUT, "0")
    assert prune_if_due(cache(), delay=0) is None, "the user's opt-out (and the suite's) starts nothing"
    assert not (cache() / STAMP).exists()
    monkeypatch.delenv(OPT_OUT)

    # given: a record of a gone project
    root = make_project(tmp_path)
    record = quick_record(root)
    (root / "pyproject.toml").unlink()
    # when: due (no stamp yet)
    pid = prune_if_due(cache(), delay=0)
    # then
    assert pid is not None
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not record.exists()
    stamp = cache() / STAMP
    assert time.time() - stamp.stat().st_mtime < 60
    # and not again within the interval, even with something stale; due again once it passed
    record = quick_record(make_project(tmp_path, "other"))
    (tmp_path / "other" / "pyproject.toml").unlink()
    assert prune_if_due(cache(), delay=0) is None
    assert record.exists()
    pid = prune_if_due(cache(), now=time.time() + INTERVAL + 1, delay=0)
    assert pid is not None
    os.waitpid(pid, 0)
    assert not record.exists()


def test_the_automatic_prune_never_follows_a_stamp_that_is_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.services.cache_auto import OPT_OUT, STAMP, prune_if_due

    monkeypatch.delenv(OPT_OUT)

    cache().mkdir(parents=True)
    target = tmp_path / "elsewhere"
    (cache() / STAMP).symlink_to(target)
    os.utime(cache() / STAMP, (_OLD, _OLD), follow_symlinks=False)  # due by its own time
    assert prune_if_due(cache()) is None
    assert not target.exists()


def test_prune_keeps_a_record_whose_trust_json_was_replaced(corral: Corral, tmp_path: Path) -> None:
    """Another env allowed rewrites trust.json (a new inode): the quick path compares this env's entries again."""
    trust = Path(dirs()[0]) / "trust.json"
    trust.parent.mkdir(parents=True, exist_ok=True)
    trust.write_text("{}", encoding="utf-8")
    root = make_project(tmp_path)
    record = quick_record(root)
    assert any(line.startswith("trust ") and line.split(" ")[1].isdigit() for line in record.read_text().split("\n"))
    replacement = trust.with_name("trust.json.new")
    replacement.write_text('{"other": {}}', encoding="utf-8")
    os.replace(replacement, trust)
    assert str(record) not in removed(run_json(corral, "prune"))
    assert record.is_file()


def test_the_caches_envs_list_writes_are_corrals_kinds(corral: Corral) -> None:
    """`envs list` writes its size and health caches at the cache's top: `cache info` counts them as corral's."""
    cache().mkdir(parents=True)
    for name in ("env-health.json", "env-sizes.json"):
        (cache() / name).write_text("{}", encoding="utf-8")
    data = run_json(corral, "info")
    kinds = {k["kind"] for k in data["kinds"]}
    assert {"env-health.json", "env-sizes.json"} <= kinds
    assert data["other"] == []
