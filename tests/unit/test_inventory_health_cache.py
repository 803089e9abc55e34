"""inventory.health_cache: a cached health verdict is the verdict of reading the env's files now, change by change."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inventory_fakes import fake_env

from corral.inventory.health import Health, env_health
from corral.inventory.health_cache import HealthCache

# Every file written before a cache reads it is older than the read by more than this (no settle time in the
# tests); a change made after a read waits as long, so it gets a stamp of its own on any clock.
_TICK = 0.05


def _cache(tmp_path: Path) -> HealthCache:
    return HealthCache(tmp_path / "cache" / "env-health.json", settle=0)


def _cached(tmp_path: Path, env: Path) -> tuple[Health, bool]:
    """(the verdict of a new cache read from the file, whether that cache read the env's files again)."""
    cache = _cache(tmp_path)
    health = env_health(env, reader=cache.said)
    reread = cache._dirty  # noqa: SLF001 - what the test is about: answered from the file or read again
    cache.save(keep={str(env)})
    return health, reread


def _filled(tmp_path: Path, env: Path) -> None:
    """The cache file holds the env as it is now (its files settled first)."""
    time.sleep(_TICK)
    cache = _cache(tmp_path)
    env_health(env, reader=cache.said)
    cache.save(keep={str(env)})
    assert _cached(tmp_path, env) == (env_health(env), False)
    time.sleep(_TICK)


def _rewrite_in_place(path: Path, old: str, new: str) -> None:
    """Same length, same inode: only the stamps tell."""
    text = path.read_text(encoding="utf-8")
    assert len(old) == len(new)
    assert old in text
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))


def _same_as_now(tmp_path: Path, env: Path, word: str) -> None:
    health, reread = _cached(tmp_path, env)
    assert health == env_health(env)
    assert health.word == word
    assert reread


def test_unchanged_env_is_answered_from_the_file(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e", provenance=True)
    (env / "bin" / "tool").write_text(f"#!{env / 'bin' / 'python'}\nimport tool\n", encoding="utf-8")
    _filled(tmp_path, env)
    assert _cached(tmp_path, env) == (Health("ok"), False)


def test_script_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    script = env / "bin" / "tool"
    script.write_text(f"#!{env / 'bin' / 'python'}\nimport tool\n", encoding="utf-8")
    _filled(tmp_path, env)
    _rewrite_in_place(script, f"{env}/bin", f"{tmp_path / 'x'}/bin")
    _same_as_now(tmp_path, env, "moved")


def test_new_script_in_bin_is_read(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    _filled(tmp_path, env)
    (env / "bin" / "tool").write_text(f"#!{tmp_path / 'old' / 'bin' / 'python'}\n", encoding="utf-8")
    _same_as_now(tmp_path, env, "moved")


def test_activate_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    _filled(tmp_path, env)
    _rewrite_in_place(env / "bin" / "activate", f"'{env}'", f"'{tmp_path / 'f'}'")
    _same_as_now(tmp_path, env, "moved")


def test_provenance_written_later_is_read(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    _filled(tmp_path, env)
    (env / "corral-env.json").write_text(json.dumps({"location": str(tmp_path / "original")}), encoding="utf-8")
    _same_as_now(tmp_path, env, "moved")


def test_pyvenv_cfg_edited_in_place_is_read_again(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e", version="3.12.1")
    _filled(tmp_path, env)
    _rewrite_in_place(env / "pyvenv.cfg", "3.12.1", "3.7.16")
    _same_as_now(tmp_path, env, "legacy")


def test_what_is_outside_the_files_read_is_looked_at_every_time(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    env = fake_env(tmp_path / "e", home=str(base))
    _filled(tmp_path, env)
    base.rmdir()  # the base interpreter's folder: not one of the env's files
    health, reread = _cached(tmp_path, env)
    assert (health, reread) == (env_health(env), False)
    assert health.word == "broken"
    base.mkdir()
    (env / "bin" / "python").unlink()
    health, _ = _cached(tmp_path, env)
    assert health == env_health(env)
    assert health.word == "broken"


def test_env_folder_moved_behind_the_same_link_is_judged_where_it_is_now(tmp_path: Path) -> None:
    first, second = fake_env(tmp_path / "one"), fake_env(tmp_path / "two")
    link = tmp_path / "current"
    link.symlink_to(first)
    (first / "bin" / "activate").write_text(f"VIRTUAL_ENV='{link}'\n", encoding="utf-8")
    (second / "bin" / "activate").write_text(f"VIRTUAL_ENV='{tmp_path / 'gone'}'\n", encoding="utf-8")
    _filled(tmp_path, link)
    link.unlink()
    link.symlink_to(second)
    _same_as_now(tmp_path, link, "moved")


def test_relocatable_env_reads_no_scripts(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e", activate=str(tmp_path / "elsewhere"))
    with (env / "pyvenv.cfg").open("a", encoding="utf-8") as handle:
        handle.write("relocatable = true\n")
    _filled(tmp_path, env)
    assert _cached(tmp_path, env) == (Health("ok"), False)


def _said(value: object) -> Callable[[dict[str, Any]], object]:
    def damage(entry: dict[str, Any]) -> object:
        entry["said"] = value
        return None

    return damage


DAMAGES: dict[str, Callable[[dict[str, Any]], object]] = {
    "home not text": _said([1, "3.12.1", False, None, None, []]),
    "a script row of two": _said([None, "3.12.1", False, None, None, [["tool", "/x/bin/python"]]]),
    "relocatable not a bool": _said([None, "3.12.1", 1, None, None, []]),
    "a field missing": _said([None, "3.12.1", False, None, []]),
    "a negative stamp": lambda entry: entry["seen"][0].__setitem__(5, -1),
    "a row too short": lambda entry: entry["seen"][0].pop(),
    "nothing seen": lambda entry: entry.__setitem__("seen", []),
    "a row of one": lambda entry: entry["seen"].__setitem__(0, ["pyvenv.cfg"]),
    "a row not a list": lambda entry: entry["seen"].__setitem__(0, "pyvenv.cfg"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_an_entry_corral_did_not_write_is_ignored(tmp_path: Path, damage: str) -> None:
    env = fake_env(tmp_path / "e", location=str(tmp_path / "original"))
    _filled(tmp_path, env)
    path = tmp_path / "cache" / "env-health.json"
    data = json.loads(path.read_bytes())
    DAMAGES[damage](data["envs"][str(env)])
    path.write_text(json.dumps(data), encoding="utf-8")
    _same_as_now(tmp_path, env, "moved")
    assert json.loads(path.read_bytes())["envs"][str(env)]["said"][3] == str(tmp_path / "original")


@pytest.mark.parametrize("content", [b"not json", b"[]", b'{"schema": 2, "envs": {}}', b'{"schema": 1, "envs": []}'])
def test_a_file_corral_did_not_write_is_read_as_nothing_and_replaced(tmp_path: Path, content: bytes) -> None:
    env = fake_env(tmp_path / "e", location=str(tmp_path / "original"))
    path = tmp_path / "cache" / "env-health.json"
    path.parent.mkdir()
    path.write_bytes(content)
    time.sleep(_TICK)
    _same_as_now(tmp_path, env, "moved")
    assert json.loads(path.read_bytes())["envs"][str(env)]["said"][3] == str(tmp_path / "original")


def test_entries_read_right_after_a_change_are_not_kept(tmp_path: Path) -> None:
    env = fake_env(tmp_path / "e")
    cache = HealthCache(tmp_path / "env-health.json")  # the default settle time: 2 s
    assert env_health(env, reader=cache.said) == env_health(env)
    cache.save(keep={str(env)})
    assert json.loads((tmp_path / "env-health.json").read_bytes())["envs"] == {}


def test_save_drops_envs_no_longer_listed(tmp_path: Path) -> None:
    one, two = fake_env(tmp_path / "one"), fake_env(tmp_path / "two")
    time.sleep(_TICK)
    cache = _cache(tmp_path)
    for env in (one, two):
        env_health(env, reader=cache.said)
    cache.save(keep={str(one)})
    assert set(json.loads(cache.path.read_bytes())["envs"]) == {str(one)}
    assert os.path.isdir(two)
