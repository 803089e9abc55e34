"""The quick record keeps the env's own trust entries: another env's entry does not cost a full no-op, its own does.

A record is made the way `cli.sync_cmd` makes it (the env recorded by `services.trust.record_created`, the inputs
settled, `quick.remember`), then trust.json is changed the ways corral and a user change it, and `quick.lookup`
must answer exactly when `services.trust.check_trust` (what the full path asks) would still say the same.
"""
# ruff: noqa: SLF001 - the mirrored constants are checked against the trust service's private names

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from corral.cli import quick
from corral.cli.quick import compare, corral_dirs, observe, record_path, remember, trust_entry
from corral.infra.paths import CorralPaths
from corral.services import trust
from corral.services.trust import allow_env, check_trust, record_created, revoke_env

POSIX = pytest.mark.skipif(os.name == "nt", reason="owners and modes are POSIX")


def _env(folder: Path) -> Path:
    (folder / "bin").mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /x\n", encoding="utf-8")
    return folder


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, dict[str, str], CorralPaths]:
    """(project, env, environ, paths): a project whose env corral recorded as made, and its quick record."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    env = _env(root / ".venv")
    environ = {"CORRAL_HOME": str(tmp_path / "home")}
    monkeypatch.setenv("CORRAL_HOME", environ["CORRAL_HOME"])
    paths = CorralPaths.from_environment()
    paths.data.mkdir(parents=True)
    assert record_created(paths, env)
    monkeypatch.setattr(quick, "_now_ns", lambda: 1 << 62)  # as if every input had settled long ago
    dirs = corral_dirs(environ)
    assert dirs is not None
    before, _ = observe(str(root), str(env), dirs, environ)
    assert remember(str(root), str(env), dirs, environ, before=before, observed_ns=1 << 62, default_selection=True)
    assert quick.lookup(str(root), environ) == (str(env), True)
    return str(root), str(env), environ, paths


def _recorded_lines(project: str, environ: dict[str, str]) -> list[str]:
    dirs = corral_dirs(environ)
    assert dirs is not None
    lines = quick.read_record(record_path(dirs[1], project))
    assert lines is not None
    return lines[3:]


def test_the_mirrored_names_are_the_trust_services() -> None:
    assert quick.TRUST_FILE == trust.TRUST_FILE
    assert quick._TRUST_KEYS == (trust._CREATED, trust._ALLOWED)


def test_another_env_made_or_allowed_keeps_the_answer_and_the_record_follows(
    recorded: tuple[str, str, dict[str, str], CorralPaths], tmp_path: Path
) -> None:
    project, env, environ, paths = recorded
    old = _recorded_lines(project, environ)
    assert record_created(paths, _env(tmp_path / "elsewhere" / ".venv"))  # trust.json rewritten: a new stat
    allow_env(paths, _env(tmp_path / "mine"))
    assert check_trust(paths, Path(env)).trusted, "the full path's verdict is unchanged"
    assert quick.lookup(project, environ) == (env, True)
    new = _recorded_lines(project, environ)
    assert new != old, "the record was written again with trust.json's new stat"
    assert new[-1] == old[-1], "the same entry"
    dirs = corral_dirs(environ)
    assert dirs is not None
    assert compare(new, observe(project, env, dirs, environ)[0], dirs[0]) is False  # a stat check again


@pytest.mark.parametrize("how", ["revoked", "allowed too", "identity changed", "damaged", "removed", "a folder"])
def test_a_change_to_this_envs_entries_goes_the_full_way(
    recorded: tuple[str, str, dict[str, str], CorralPaths], how: str
) -> None:
    project, env, environ, paths = recorded
    store = paths.data / trust.TRUST_FILE
    if how == "revoked":
        assert revoke_env(paths, Path(env))
    elif how == "allowed too":
        allow_env(paths, Path(env))
    elif how == "identity changed":  # as a repository could make it look: another folder's numbers
        data = json.loads(store.read_text(encoding="utf-8"))
        data["created"][os.path.realpath(env)]["pyvenv_cfg"][1] += 1
        store.write_text(json.dumps(data), encoding="utf-8")
        assert not check_trust(paths, Path(env)).trusted
    elif how == "damaged":
        store.write_text(store.read_text(encoding="utf-8")[:-3], encoding="utf-8")
        assert not check_trust(paths, Path(env)).trusted
    elif how == "removed":
        store.unlink()
        assert not check_trust(paths, Path(env)).trusted
    else:
        store.unlink()
        store.mkdir()
    assert quick.lookup(project, environ) is None


@POSIX
def test_a_store_of_another_user_goes_the_full_way(recorded: tuple[str, str, dict[str, str], CorralPaths]) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    project, env, environ, paths = recorded
    store = paths.data / trust.TRUST_FILE
    os.chown(store, 12345, -1)
    assert not check_trust(paths, Path(env)).trusted
    assert quick.lookup(project, environ) is None


def test_the_entries_are_read_only_from_the_file_observed(
    recorded: tuple[str, str, dict[str, str], CorralPaths],
) -> None:
    project, env, environ, paths = recorded
    dirs = corral_dirs(environ)
    assert dirs is not None
    lines, _ = observe(project, env, dirs, environ)
    assert trust_entry(lines, dirs[0]) == _recorded_lines(project, environ)[-1]
    store = paths.data / trust.TRUST_FILE
    store.write_text(store.read_text(encoding="utf-8") + " ", encoding="utf-8")  # the same entries, a new stat
    assert trust_entry(lines, dirs[0]) is None, "not the file the lines saw"
    store.unlink()
    assert trust_entry(lines, dirs[0]) is None
    seen, _ = observe(project, env, dirs, environ)
    assert trust_entry(seen, dirs[0]) == quick.TRUST_ENTRY + repr((None, None))  # no store: no entries


def test_any_other_difference_is_no_match(recorded: tuple[str, str, dict[str, str], CorralPaths]) -> None:
    project, env, environ, _ = recorded
    dirs = corral_dirs(environ)
    assert dirs is not None
    old = _recorded_lines(project, environ)
    lines, _ = observe(project, env, dirs, environ)
    assert compare(old, lines, dirs[0]) is False
    assert compare(old[:-1], lines, dirs[0]) is False  # a record written before the entry was kept: all lines equal
    moved = [line + "x" if line.startswith("trust ") else line for line in lines]
    assert compare(old[:-1], moved, dirs[0]) is None  # ... without an entry, a new trust.json stat is no match
    assert compare([*old[:-1], old[-1] + " "], lines, dirs[0]) is False  # the entry is compared only when needed
    edited = [line + "x" if line.startswith("pyproject ") else line for line in lines]
    assert compare(old, edited, dirs[0]) is None


@pytest.mark.parametrize(
    "raw",
    [
        b'{"created": {"/p/.venv": {"folder": [1, 2], "pyvenv_cfg": [1, 3, 4, 5]}}, "envs": {}, "version": 2}\n',
        b'{\n  "a": [1, 2.5, -3e2, true, false, null, "x\\u00e9\\n", {"b": {}}],\n  "a": "last wins"\n}  \r\n\t',
        '{"caf\u00e9": "\u2603", "n": NaN, "i": -Infinity}'.encode(),
        b"{}",
        b'{"a": 1} x',  # extra data
        b'{"a": 1,}',
        b'{"a": "tab\tinside"}',  # a control character: strict
        b'{"a": "\xed\xa0\x80"}',  # a lone surrogate, UTF-8 encoded: json.loads reads it (surrogatepass)
        b'{\x00"\x00a\x00"\x00:\x001\x00}\x00',  # UTF-16-LE without a BOM: json.loads detects it
        b"\xef\xbb\xbf{}",  # a UTF-8 BOM
        b"[1]",
        b"  {}",
        b"{" * 5_000 + b"}" * 5_000,  # too deep
        b"",
        b"\xff{",
    ],
)
def test_json_loads_is_json_loads(raw: bytes) -> None:
    def outcome(load: object) -> tuple[str, str]:
        try:
            return "value", repr(load(raw))  # type: ignore[operator]
        except (ValueError, RecursionError) as err:
            return "error", type(err).__name__

    assert outcome(quick.json_loads) == outcome(json.loads)


def test_json_loads_imports_neither_json_nor_re() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from corral.cli.quick import json_loads; "
        "v = json_loads(b'{\"a\": [1, {\"b\": null}]}'); print(v, sorted({'json', 're'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "{'a': [1, {'b': None}]} []"
