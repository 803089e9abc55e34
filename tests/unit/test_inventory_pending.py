"""Inventory rows noted as files (`inventory.pending`, the rebuild replay's) and folded in by the next connection.

A real SQLite inventory in a temporary data folder; the row is compared with the one `register_env` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.infra.paths import CorralPaths
from corral.inventory.pending import FOLDER, note_made, pending_rows
from corral.inventory.record import register_env
from corral.inventory.store import Store


@pytest.fixture
def paths(tmp_path: Path) -> CorralPaths:
    return CorralPaths(data=tmp_path / "data", cache=tmp_path / "cache", config=tmp_path / "config")


def _fields(project: Path) -> dict[str, str]:
    return {"kind": "project", "interpreter": "/usr/bin/python3", "version": "3.12.1", "creator": "native"} | {
        "project": str(project)
    }


def _row(paths: CorralPaths, env: Path) -> dict[str, object]:
    with Store.open(paths) as store:
        record = store.get(str(env))
    assert record is not None
    row = record.to_dict()
    assert isinstance(row, dict)
    return row


def test_a_noted_row_is_the_row_register_env_writes(paths: CorralPaths, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    env = project / ".venv"
    env.mkdir(parents=True)
    register_env(paths, path=env, **_fields(project))  # type: ignore[arg-type]
    written = _row(paths, env)
    with Store.open(paths) as store:
        store.delete(str(env))
    note_made(str(paths.data), path=str(env), **_fields(project))
    assert len(pending_rows(str(paths.data))) == 1
    folded = _row(paths, env)  # the connection folded it in
    for row in (written, folded):
        assert isinstance(row["created_at"], float)
        row.pop("created_at")
        row.pop("last_used")
    assert folded == written
    assert json.loads(json.dumps(folded["extra"])) == {"identity": [env.stat().st_dev, env.stat().st_ino]}
    assert not any((paths.data / FOLDER).iterdir()), "the file is removed once folded"


def test_rows_are_folded_in_the_order_noted(paths: CorralPaths, tmp_path: Path) -> None:
    env = tmp_path / "proj" / ".venv"
    env.mkdir(parents=True)
    note_made(str(paths.data), path=str(env), **_fields(tmp_path / "proj") | {"version": "3.11.9"})
    note_made(str(paths.data), path=str(env), **_fields(tmp_path / "proj"))
    assert _row(paths, env)["version"] == "3.12.1"


def test_a_folder_gone_or_replaced_since_is_not_folded(paths: CorralPaths, tmp_path: Path) -> None:
    gone = tmp_path / "a" / ".venv"
    replaced = tmp_path / "b" / ".venv"
    for env in (gone, replaced):
        env.mkdir(parents=True)
        note_made(str(paths.data), path=str(env), **_fields(env.parent))
    (replaced.parent / "other").mkdir()  # made while the env still exists: never its inode again (a reused one
    gone.rmdir()  # would be the same identity, as for `register_env`'s rows)
    replaced.rmdir()
    (replaced.parent / "other").rename(replaced)  # another folder where the env was
    with Store.open(paths) as store:
        assert store.all() == []
    assert not any((paths.data / FOLDER).iterdir())


def test_a_file_that_is_not_a_row_is_removed_and_nothing_folded(paths: CorralPaths, tmp_path: Path) -> None:
    env = tmp_path / "proj" / ".venv"
    env.mkdir(parents=True)
    note_made(str(paths.data), path=str(env), **_fields(env.parent))
    (noted,) = (paths.data / FOLDER).iterdir()
    row = json.loads(noted.read_text(encoding="utf-8"))
    for damaged in ({**row, "kind": 7}, {**row, "extra": {"identity": [1]}}, {**row, "more": 1}, [row]):
        noted.write_text(json.dumps(damaged), encoding="utf-8")
        with Store.open(paths) as store:
            assert store.all() == []
        assert not noted.exists()
    other = paths.data / FOLDER / "notes.txt"  # not a name `note_made` gives: left alone
    other.write_text("mine\n", encoding="utf-8")
    with Store.open(paths) as store:
        assert store.all() == []
    assert other.read_text(encoding="utf-8") == "mine\n"


def test_a_fold_cut_before_its_files_were_removed_writes_the_same_row_again(paths: CorralPaths, tmp_path: Path) -> None:
    env = tmp_path / "proj" / ".venv"
    env.mkdir(parents=True)
    note_made(str(paths.data), path=str(env), **_fields(env.parent))
    (noted,) = (paths.data / FOLDER).iterdir()
    kept = noted.read_bytes()
    first = _row(paths, env)
    noted.write_bytes(kept)  # as a kill after the commit leaves it
    assert _row(paths, env) == first
    with Store.open(paths) as store:
        assert len(store.all()) == 1


def test_no_folder_no_file_and_nothing_written(paths: CorralPaths, tmp_path: Path) -> None:
    with Store.open(paths) as store:
        assert store.all() == []
    assert not (paths.data / FOLDER).exists()
    assert pending_rows(str(tmp_path / "nowhere")) == []


def test_a_failed_note_leaves_nothing(paths: CorralPaths, tmp_path: Path) -> None:
    env = tmp_path / "proj" / ".venv"
    with pytest.raises(OSError):  # noqa: PT011 - the folder is absent: lstat's error
        note_made(str(paths.data), path=str(env), **_fields(env.parent))
    folder = paths.data / FOLDER
    assert not folder.exists() or not any(folder.iterdir())
