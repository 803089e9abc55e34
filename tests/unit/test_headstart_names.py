"""`cli.headstart` spells corral's lock, journal and marker names without importing their modules: kept equal here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from corral.cli import headstart
from corral.infra import markers
from corral.infra.journals import journal_path
from corral.infra.paths import CorralPaths
from corral.services.transaction import project_lock_path


def test_the_names_are_the_full_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_HOME", str(tmp_path / "home"))
    paths = CorralPaths.from_environment()
    project = tmp_path / "pro ject"
    project.mkdir()
    env = project / ".venv"
    assert headstart.project_lock_file(str(paths.cache), str(project)) == str(project_lock_path(project))
    for kind in markers.JOURNAL_KINDS:
        assert headstart.journal_file(str(paths.data), str(project), kind) == str(journal_path(paths, project, kind))
    assert headstart.JOURNAL_KINDS == markers.JOURNAL_KINDS
    assert headstart.ENV_LOCK_SUFFIX == markers.ENV_LOCK_SUFFIX
    # services.sync.apply.env_lock
    wanted = paths.cache / "env-locks" / (hashlib.sha256(str(env).encode()).hexdigest()[:24] + markers.ENV_LOCK_SUFFIX)
    assert headstart.env_lock_file(str(paths.cache), str(env)) == str(wanted)


@pytest.mark.parametrize(
    "text", ["/plain/path", 'q"uo\\te', "tab\there\nnew", "ünï/çødé", "emoji 🐍", "\udcff", "\x7f\x01"]
)
def test_the_journal_strings_are_json(text: str) -> None:
    assert headstart.json_string(text) == json.dumps(text)


def test_the_journal_is_the_one_services_create_writes(tmp_path: Path) -> None:
    journal = tmp_path / "journals" / "x.creating.json"
    headstart.write_creating_journal(str(journal), str(tmp_path), str(tmp_path / ".venv"))
    from corral.infra.journals import write_journal

    ours = journal.read_text(encoding="utf-8")
    import os

    write_journal(journal, tmp_path, {"env": str(tmp_path / ".venv"), "pid": os.getpid()})
    assert ours == journal.read_text(encoding="utf-8")
