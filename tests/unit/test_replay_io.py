"""The rebuild replay's os-only twins (`cli.replay_io`, `infra.json_text`, `services.sync.stamp_state`) stay equal
to what they stand for: discovery's folders, infra.fs's atomic write, services.trust's entry, services.cache_auto's
due test, json's text and the sync stamp. Real files under a temporary folder, the real modules side by side.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral.cli import replay_io
from corral.discovery.places import SYSTEM_DIRS_POSIX, candidate_folders
from corral.infra.fs import atomic_write_bytes
from corral.infra.json_text import dumps, dumps_indented
from corral.infra.paths import CorralPaths
from corral.services import cache_auto, trust
from corral.services.sync import stamp, stamp_state

POSIX = pytest.mark.skipif(os.name == "nt", reason="the replay is Linux's (the native creator's platform)")


@POSIX
@pytest.mark.parametrize(
    "setting",
    [
        {},
        {"PATH": "/usr/bin//:/bin/./:relative:./x:/a/b/", "PYENV_ROOT": "pyenv-rel", "XDG_DATA_HOME": "/d//"},
        {"PATH": "//double/slash:///triple", "UV_PYTHON_INSTALL_DIR": "UVP//"},
        {"PYENV_ROOT": "", "XDG_DATA_HOME": ""},
    ],
)
def test_the_folders_are_discoverys(setting: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    versions = tmp_path / "home" / ".pyenv" / "versions"
    for name in ("3.12.1", ".hidden", "3.11.9"):
        (versions / name / "bin").mkdir(parents=True)
    (tmp_path / "uvp" / "cpython-3.13").mkdir(parents=True)
    environ = {"PATH": os.environ["PATH"], **setting}
    if "UV_PYTHON_INSTALL_DIR" in environ:
        environ["UV_PYTHON_INSTALL_DIR"] = environ["UV_PYTHON_INSTALL_DIR"].replace("UVP", str(tmp_path / "uvp"))
    assert replay_io.candidate_folders(environ) == [str(f) for f in candidate_folders(environ)]
    assert replay_io.SYSTEM_DIRS_POSIX == SYSTEM_DIRS_POSIX


@POSIX
def test_the_atomic_write_is_infra_fs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "events.log"
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    for writer, name in ((atomic_write_bytes, "a.json"), (replay_io.write_atomic, "b.json")):
        target = tmp_path / "folder" / name
        writer(target if writer is atomic_write_bytes else str(target), b"{}\n")  # type: ignore[arg-type]
        target.chmod(0o640)
        writer(target if writer is atomic_write_bytes else str(target), b"[]\n")  # type: ignore[arg-type]
        assert target.read_bytes() == b"[]\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o640, "the mode of the file there is kept"
    assert sorted(os.listdir(tmp_path / "folder")) == ["a.json", "b.json"], "no temporary left"
    lines = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line.replace("a.json", "b.json") for line in lines[:4]] == lines[4:]
    (tmp_path / "file").write_text("")
    with pytest.raises(FileExistsError) as theirs:  # a file where the folder would be
        atomic_write_bytes(tmp_path / "file" / "x", b"")
    with pytest.raises(FileExistsError) as mine:
        replay_io.write_atomic(str(tmp_path / "file" / "y"), b"")
    names = [os.path.basename(str(caught.value.filename)) for caught in (theirs, mine)]
    assert names == ["x", "y"], "the error names the file asked for"


def _env(where: Path) -> Path:
    where.mkdir(parents=True)
    (where / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    return where


@POSIX
@pytest.mark.parametrize("store", [None, b"", b"not json", b"[]", b'{"envs": 3, "other": {"kept": [1.5, null]}}'])
def test_the_trust_entry_is_services_trusts(store: bytes | None, tmp_path: Path) -> None:
    texts = []
    for side in ("theirs", "mine"):
        data = tmp_path / side / "data"
        data.mkdir(parents=True)
        gone = tmp_path / side / "gone"  # an env removed since it was recorded: dropped by both
        if store is not None:
            (data / "trust.json").write_bytes(store)
        else:
            (data / "trust.json").write_text(json.dumps({"created": {str(gone): {"folder": [1, 2]}}}), "utf-8")
        env = _env(tmp_path / side / "proj" / ".venv")
        if side == "theirs":
            assert trust.record_created(CorralPaths(data=data, cache=tmp_path, config=tmp_path), env, warn=False)
        else:
            assert replay_io.record_created(str(data), str(env))
        text = (data / "trust.json").read_text(encoding="utf-8").replace(f"/{side}/", "/SIDE/")
        texts.append(json.loads(text))
        assert trust.check_trust(CorralPaths(data=data, cache=tmp_path, config=tmp_path), env).trusted
        assert (data / "trust.json").read_text(encoding="utf-8").endswith("}\n")
    theirs, mine = texts
    for entry in (*theirs["created"].values(), *mine["created"].values()):
        entry.pop("created_at")
        entry.pop("folder")
        entry.pop("pyvenv_cfg")
    assert mine == theirs


@POSIX
def test_the_trust_entry_text_is_json_dumps_indented(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = _env(tmp_path / "proj" / ".venv")
    assert replay_io.record_created(str(data), str(env))
    text = (data / "trust.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert not replay_io.record_created(str(data), str(tmp_path / "not-an-env")), "no pyvenv.cfg: no entry"


def test_the_prune_test_is_cache_autos(tmp_path: Path) -> None:
    assert replay_io.AUTO_PRUNE == (cache_auto.STAMP, cache_auto.INTERVAL, cache_auto.OPT_OUT)
    assert replay_io.TRUST_FILE == trust.TRUST_FILE
    assert replay_io.prune_due(str(tmp_path), {}), "never pruned"
    (tmp_path / cache_auto.STAMP).touch()
    assert not replay_io.prune_due(str(tmp_path), {}), "pruned a moment ago"
    old = time.time() - cache_auto.INTERVAL - 5
    os.utime(tmp_path / cache_auto.STAMP, (old, old))
    assert replay_io.prune_due(str(tmp_path), {})
    assert not replay_io.prune_due(str(tmp_path), {cache_auto.OPT_OUT: "off"})


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        'é\u2028\x00"',
        {"b": [1, 2.5, {"x": None, "y": True}], "a": "é", "c": {}, "d": [], "e": float("nan"), "f": -0.0},
        {"g": 1e300, "h": float("inf"), "i": [[]], "j": 10**30, "k": False, "l": [{"m": {"n": []}}]},
    ],
)
def test_the_json_text_is_jsons(value: object) -> None:
    assert dumps(value) == json.dumps(value)
    assert dumps(value, sort_keys=True) == json.dumps(value, sort_keys=True)
    assert dumps_indented(value) == json.dumps(value, indent=2, sort_keys=True)


@POSIX
def test_the_stamp_text_is_make_stamps(tmp_path: Path) -> None:
    env = tmp_path / "proj" / ".venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=False, timeout=120)
    assert made.returncode == 0
    (env / "lib" / ".hidden" / "site-packages").mkdir(parents=True)  # listed as Env.site_packages lists it
    project = env.parent
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '1'\n", encoding="utf-8")
    (project / "pylock.toml").write_text("lock-version = '1.0'\n", encoding="utf-8")
    inputs = stamp.input_state(
        lock_path=project / "pylock.toml", pyproject=project / "pyproject.toml", user_config=tmp_path / "c.toml"
    )
    environ = {"CORRAL_SEED": "0", "UV_INDEX_URL": "https://user:token@example.invalid/simple", "PATH": "/bin"}
    theirs = stamp.make_stamp(
        env=env,
        lock_path=project / "pylock.toml",
        pyproject=project / "pyproject.toml",
        selection_key=stamp.selection_key(groups=None, extras=()),
        engine="uv",
        lock_fresh=True,
        user_config=tmp_path / "c.toml",
        environ=environ,
        inputs=inputs,
    )
    mine = stamp_state.stamp_text(
        env=str(env),
        inputs=inputs,
        selection=stamp.selection_key(groups=None, extras=()),
        engine="uv",
        lock_fresh=True,
        environ=environ,
    )
    assert mine == json.dumps(theirs, sort_keys=True)
    stamp.write_stamp(env, theirs)
    assert (env / stamp.STAMP_FILE).read_text(encoding="utf-8") == mine
    assert stamp.is_noop(
        env=env,
        lock_path=project / "pylock.toml",
        pyproject=project / "pyproject.toml",
        selection_key=None,
        frozen=False,
        environ=environ,
        git_index=False,
    )
