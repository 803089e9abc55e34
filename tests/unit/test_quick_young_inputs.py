"""A quick record written while the env's own files are young (right after a sync), and only on the stamp's proof.

A stat cannot show a same-size rewrite within the clock tick of the file's last change, so `cli.quick.remember`
records nothing while an input the verdict reads more of than its stat is younger than its settle margin. Right
after a sync the env's own files always are (the stamp's rename touches the env folder). They are taken young
only when the record holds what the verdict reads of them: the stamp's bytes (the very bytes the check judged),
bin/'s listing, site-packages' mtimes equal to the stamp's, and the trust verdict told from the record's own stats
and this env's entries (read again on every answer while trust.json is young). The user's files (pyproject.toml,
pylock.toml, pins, config) must still have settled.

Here the files are real and young; "the same tick" is played by writing the new stat of a changed file into the
record, which is what a same-tick rewrite leaves a stat check to see.
"""
# ruff: noqa: SLF001 - the record's observation is checked through the module's private reader

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from corral.cli import quick
from corral.infra.paths import CorralPaths
from corral.services.sync.stamp import make_stamp, read_stamp_bytes, write_stamp
from corral.services.trust import check_trust, record_created, revoke_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the proof is POSIX's (owners, modes)")


class Young:
    """A project with settled files and a just-made env (stamp, bin/, site-packages, trust entry)."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        home = tmp_path / "home"
        monkeypatch.setenv("CORRAL_HOME", str(home))
        self.environ = {"CORRAL_HOME": str(home)}
        dirs = quick.corral_dirs(self.environ)
        assert dirs is not None
        self.dirs = dirs
        self.paths = CorralPaths.from_environment()
        self.project = tmp_path / "proj"
        self.project.mkdir()
        (self.project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n', encoding="utf-8")
        (self.project / "pylock.toml").write_text('lock-version = "1.0"\n', encoding="utf-8")
        if os.stat(self.project / "pylock.toml").st_ctime_ns % 1_000_000 == 0:
            pytest.skip("this file system rounds its stamps: every margin is 2 s")
        time.sleep(0.12)  # the user's files settle (50 ms)
        self.env = self.project / ".venv"
        self.make_env()

    def make_env(self) -> None:
        (self.env / "bin").mkdir(parents=True, exist_ok=True)
        (self.env / "lib" / "python3.12" / "site-packages").mkdir(parents=True, exist_ok=True)
        (self.env / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n", encoding="utf-8")
        (self.env / "bin" / "python").write_text("", encoding="utf-8")
        record_created(self.paths, self.env)
        self.write_stamp()

    def write_stamp(self) -> bytes:
        stamp = make_stamp(
            env=self.env,
            lock_path=self.project / "pylock.toml",
            pyproject=self.project / "pyproject.toml",
            selection_key="g=*default*;e=;f=",
            engine="uv",
            lock_fresh=True,
            user_config=None,
            environ={},
        )
        write_stamp(self.env, stamp)
        data = read_stamp_bytes(self.env)
        assert data is not None
        return data

    def observe(self) -> tuple[list[str], int]:
        """The observation before the check, and the clock read before it; skipped when the env has settled."""
        started = quick._now_ns()
        seen = quick._observe(str(self.project), str(self.env), self.dirs, self.environ)
        if seen.settled_by(started):
            pytest.skip("the machine took longer than the margin to make the env: nothing is young")
        return seen.lines, started

    def remember(self, before: list[str], started: int, stamp_bytes: bytes | None) -> bool:
        return quick.remember(
            str(self.project),
            str(self.env),
            self.dirs,
            self.environ,
            before=before,
            observed_ns=started,
            default_selection=True,
            stamp_bytes=stamp_bytes,
        )

    def record(self) -> Path:
        return Path(quick.record_path(self.dirs[1], str(self.project)))

    def lookup(self) -> tuple[str, bool] | None:
        return quick.lookup(str(self.project), self.environ)

    def restat(self, label: str, path: Path, *, follow: bool = True) -> None:
        """Put `path`'s stat as it is now into the record: what a rewrite within the recorded tick leaves to see."""
        st = os.stat(path) if follow else os.lstat(path)
        lines = self.record().read_text(encoding="utf-8").split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{label} ") and line.endswith(f" {path}"))
        lines[index] = quick._stat_line(label, st, str(path))
        self.record().write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def young(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Young:
    return Young(tmp_path, monkeypatch)


def test_without_the_stamps_bytes_young_env_files_give_no_record(young: Young) -> None:
    before, started = young.observe()
    assert not young.remember(before, started, None)
    assert not young.record().exists()


def test_the_stamps_bytes_let_a_young_env_be_recorded_and_answered(young: Young) -> None:
    before, started = young.observe()
    assert young.remember(before, started, read_stamp_bytes(young.env))
    assert young.lookup() == (str(young.env), True)


def test_bytes_other_than_those_observed_prove_nothing(young: Young) -> None:
    """The check judged other bytes than the observation names (rewritten and back within the tick): no record."""
    before, started = young.observe()
    judged = read_stamp_bytes(young.env)
    assert judged is not None
    other = judged.replace(b'"lock_fresh": true', b'"lock_fresh": false')
    assert other != judged
    assert not young.remember(before, started, other)
    assert not young.record().exists()


def test_a_young_user_file_still_gives_no_record(young: Young) -> None:
    lock = young.project / "pylock.toml"
    lock.write_text(lock.read_text(encoding="utf-8"), encoding="utf-8")  # rewritten just now
    young.write_stamp()
    before, started = young.observe()
    assert not young.remember(before, started, read_stamp_bytes(young.env))
    assert not young.record().exists()


def test_an_untrusted_env_proves_nothing(young: Young) -> None:
    assert revoke_env(young.paths, young.env)
    before, started = young.observe()
    assert not young.remember(before, started, read_stamp_bytes(young.env))


@pytest.mark.parametrize("change", ["bin", "site"])
def test_a_stamp_that_is_not_the_env_observed_proves_nothing(young: Young, change: str) -> None:
    """bin/'s listing or site-packages' mtime differ from the stamp's: the verdict reads more than the stat."""
    if change == "bin":
        (young.env / "bin" / "tool").write_text("", encoding="utf-8")
    else:
        (young.env / "lib" / "python3.12" / "site-packages" / "stray.pth").write_text("", encoding="utf-8")
    before, started = young.observe()
    assert not young.remember(before, started, read_stamp_bytes(young.env))


def test_a_stamp_rewritten_within_the_tick_is_seen(young: Young) -> None:
    before, started = young.observe()
    assert young.remember(before, started, read_stamp_bytes(young.env))
    stamp_file = young.env / "corral-sync.json"
    data = json.loads(stamp_file.read_text(encoding="utf-8"))
    data["selection"] = "g=test;e=;f="
    stamp_file.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")  # in place, as no corral writes it
    young.restat("stamp", stamp_file, follow=False)
    assert young.lookup() is None


def test_a_program_put_in_bin_within_the_tick_is_seen(young: Young) -> None:
    before, started = young.observe()
    assert young.remember(before, started, read_stamp_bytes(young.env))
    (young.env / "bin" / "pip").write_text("#!/bin/sh\n", encoding="utf-8")
    young.restat("bin", young.env / "bin")
    assert young.lookup() is None


def test_a_young_trust_record_is_read_on_every_answer(young: Young) -> None:
    before, started = young.observe()
    assert young.remember(before, started, read_stamp_bytes(young.env))
    text = young.record().read_text(encoding="utf-8")
    assert f"\n{quick.TRUST_ENTRY_READ}" in text, "trust.json was young: its entries are read on every answer"
    assert young.lookup() == (str(young.env), True)
    if quick.TRUST_ENTRY_READ not in young.record().read_text(encoding="utf-8"):
        # that answer came after the margin and wrote the record again as settled (a loaded machine): the case
        # this test is about (a young record) is gone
        pytest.skip("the machine took longer than the margin between the record and its first answer")
    assert revoke_env(young.paths, young.env)
    young.restat("trust", young.paths.data / "trust.json")
    assert young.lookup() is None, "the entry is gone, though trust.json's stat is the recorded one"
    # the same record claiming a settled trust.json would have answered: the stat was all it compared
    young.record().write_text(text.replace(quick.TRUST_ENTRY_READ, quick.TRUST_ENTRY), encoding="utf-8")
    young.restat("trust", young.paths.data / "trust.json")
    assert young.lookup() == (str(young.env), True)


def test_once_settled_an_answer_writes_the_record_again_as_settled(young: Young) -> None:
    before, started = young.observe()
    assert young.remember(before, started, read_stamp_bytes(young.env))
    time.sleep(0.12)
    assert young.lookup() == (str(young.env), True)
    text = young.record().read_text(encoding="utf-8")
    assert f"\n{quick.TRUST_ENTRY}" in text
    assert quick.TRUST_ENTRY_READ not in text


def _lines(young: Young) -> list[str]:
    return quick._observe(str(young.project), str(young.env), young.dirs, young.environ).lines


@pytest.mark.parametrize(
    "case",
    ["made", "allowed-only", "revoked", "pyvenv-replaced", "world-writable", "group-writable-bin", "dangling-bin"],
)
def test_trusted_is_check_trusts_verdict(young: Young, case: str) -> None:
    if case == "allowed-only":
        from corral.services.trust import allow_env

        assert revoke_env(young.paths, young.env)
        allow_env(young.paths, young.env)
    elif case == "revoked":
        assert revoke_env(young.paths, young.env)
    elif case == "pyvenv-replaced":
        cfg = young.env / "pyvenv.cfg"
        data = cfg.read_bytes()
        cfg.unlink()
        cfg.write_bytes(data)
    elif case == "world-writable":
        young.env.chmod(0o777)
    elif case == "group-writable-bin":
        (young.env / "bin").chmod(0o775)  # the user's own group: allowed
    elif case == "dangling-bin":
        os.symlink(young.env / "nowhere", young.env / "Scripts")
    lines = _lines(young)
    entries = quick.trust_entries(lines, young.dirs[0])
    assert entries is not None
    verdict = check_trust(young.paths, young.env)
    assert quick.trusted(lines, entries) is verdict.trusted
    assert verdict.trusted is (case in ("made", "allowed-only", "group-writable-bin")), verdict
    young.env.chmod(0o755)


def test_the_stamp_is_read_as_the_full_path_reads_it() -> None:
    from corral.infra import json_file
    from corral.services.sync import stamp

    assert quick._STAMP_LIMIT == stamp.STAMP_LIMIT == json_file._LIMIT


def test_the_interpreter_line_is_the_stamps_interpreter_state(tmp_path: Path) -> None:
    """Both no-op checks observe what the env's python resolves to: a base re-pointed to another X.Y, or removed."""
    from corral.services.sync.stamp import interpreter_state

    base = tmp_path / "opt" / "bin"
    base.mkdir(parents=True)
    for minor in ("3.12", "3.13"):
        (base / f"python{minor}").write_text(minor, encoding="utf-8")
    (base / "python3").symlink_to("python3.12")
    env = tmp_path / "proj" / ".venv"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").symlink_to(base / "python3")

    def both() -> tuple[str, list[object]]:
        return quick._interpreter_line(str(env)), interpreter_state(env)

    def agree(line: str, state: list[object]) -> bool:
        if state[1] is None:
            return line == f"interpreter - {state[0]}"
        return line == f"interpreter {state[1]} {state[2]} {state[3]} {state[0]}"

    first = both()
    assert agree(*first) and str(first[1][0]).endswith("python3.12")
    (base / "python3").unlink()
    (base / "python3").symlink_to("python3.13")  # `brew upgrade python`: the same python3, another X.Y
    upgraded = both()
    assert agree(*upgraded) and upgraded != first
    for path in base.iterdir():
        path.unlink()  # the installation removed: a dangling link
    gone = both()
    assert agree(*gone) and gone[1][1] is None
