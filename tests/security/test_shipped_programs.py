"""corral never starts a program a repository shipped (`services.exec_guard`, `services.trust`, `services.python`).

The corpus (hostile_projects.toml) plays the plain attacks; these play the ones it cannot express: a shipped env whose
sync stamp is a perfect forgery, `run --no-sync`, a doctor that would start the env's python to test a damaged
pyvenv.cfg, and the other side of the line: what the user names or allows still runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from security_support import World, corral_environ, make_world, plant, run_corral

from corral.services.sync import stamp as sync_stamp

pytestmark = pytest.mark.integration

PYPROJECT = (
    '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n\n'
    "[tool.corral]\nseed = false\n"
)
PLANTED_TRUE = {".venv/bin/true": "#!/bin/sh\necho ran >> {victim}/PWNED-by-true\n"}


@pytest.fixture
def world(tmp_path: Path, local_index: object) -> tuple[World, dict[str, str]]:
    made = make_world(tmp_path / "case", tmp_path / "caches")
    environ = corral_environ(made, local_index.simple_url)  # type: ignore[attr-defined]
    plant(made, {"files": {"pyproject.toml": PYPROJECT, ".python-version": "{py312}\n"}})
    return made, environ


def _ship_env(world: World, files: dict[str, str] | None = None, cfg: str | None = None) -> Path:
    """A `.venv` the repository ships: made elsewhere, with a planted `bin/true` (and `files`)."""
    spec = {"python": "script"} if cfg is None else {"python": "script", "cfg": cfg}
    plant(
        world,
        {"envs": {".venv": spec}, "files": {**PLANTED_TRUE, **(files or {})}, "modes": {".venv/bin/true": "0755"}},
    )
    return world.root / ".venv"


def _marks(world: World) -> list[str]:
    return sorted(p.name for p in world.victim.glob("PWNED-*"))


def test_a_perfectly_forged_sync_stamp_never_takes_the_fast_path(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    assert run_corral(made, ["lock"], environ=environ).exit_code == 0
    env = _ship_env(made)
    pyproject, lock = made.root / "pyproject.toml", made.root / "pylock.toml"
    forged = sync_stamp.make_stamp(
        env=env,
        lock_path=lock,
        pyproject=pyproject,
        selection_key="g=*default*;e=;f=",
        engine="uv",
        lock_fresh=True,
        user_config=made.corral_home / "config" / "config.toml",
        environ=environ,
    )
    sync_stamp.write_stamp(env, forged)
    assert sync_stamp.is_noop(
        env=env, lock_path=lock, pyproject=pyproject, selection_key=None, frozen=False, environ=environ
    )  # the stamp alone would say "nothing to do"
    done = run_corral(made, ["run", "true"], environ=environ)
    assert done.exit_code == 0, done.shown()
    assert _marks(made) == [], done.shown()
    assert "corral has no record of making it here" in done.stderr, done.shown()
    assert "`corral allow` keeps an env you made yourself" in done.stderr
    again = run_corral(made, ["run", "true"], environ=environ)  # the rebuilt env is corral's: the fast path
    assert again.exit_code == 0 and again.stderr == "", again.shown()


def test_run_no_sync_refuses_a_shipped_env(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    _ship_env(made)
    done = run_corral(made, ["run", "--no-sync", "true"], environ=environ)
    assert done.exit_code != 0, done.shown()
    assert _marks(made) == [], done.shown()
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "--no-sync" in errors[0] and "corral has no record" in errors[0], done.shown()


def test_doctor_never_starts_a_shipped_python_to_test_a_damaged_pyvenv_cfg(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    _ship_env(made, cfg="home = {py312dir}\nversion = 3.12.1\nnot a key-value line\n")  # doctor would test it
    done = run_corral(made, ["doctor"], environ=environ)
    assert done.exit_code == 1, done.shown()
    assert _marks(made) == [], done.shown()
    assert "python-not-run: not run to see whether it starts:" in done.stdout, done.shown()
    assert "lies inside the project and corral did not make this env" in done.stdout


def test_sync_rebuilds_a_shipped_env_and_allow_keeps_one_the_user_made(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    env = _ship_env(made)
    done = run_corral(made, ["sync"], environ=environ)
    assert done.exit_code == 0, done.shown()
    assert _marks(made) == [] and not (env / "bin" / "true").exists(), done.shown()
    assert f"rebuilding {env} from the lock: corral has no record of making it here" in done.stderr, done.shown()
    shutil.rmtree(env)  # the user's own env, allowed: sync keeps it (the same folder)
    subprocess.run([str(made.py312), "-m", "venv", "--without-pip", str(env)], check=True)
    assert run_corral(made, ["allow"], environ=environ).exit_code == 0
    inode = os.stat(env).st_ino
    kept = run_corral(made, ["sync"], environ=environ)
    assert kept.exit_code == 0 and "rebuilding" not in kept.stderr, kept.shown()
    assert os.stat(env).st_ino == inode


def test_a_python_version_path_must_be_one_discovery_lists(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    other = made.tmp / "other-clone" / "python3"  # outside the project (another repository's), but not discovered
    other.parent.mkdir()
    other.write_text(made.fill('#!/bin/sh\necho ran >> {victim}/PWNED-by-other-clone\nexec {py312} "$@"\n'))
    other.chmod(0o755)
    plant(made, {"files": {".python-version": "../other-clone/python3\n"}})
    done = run_corral(made, ["sync"], environ=environ)
    assert done.exit_code == 2, done.shown()
    assert "not an interpreter corral found" in done.stderr and "corral python list" in done.stderr, done.shown()
    assert _marks(made) == [] and not (made.root / ".venv").exists()
    plant(made, {"files": {".python-version": "{victim}/lookalike/bin/python\n"}})  # a link to a found one: fine
    assert run_corral(made, ["sync"], environ=environ).exit_code == 0


def test_the_users_own_python_may_be_a_program_in_the_project(world: tuple[World, dict[str, str]]) -> None:
    made, environ = world
    plant(
        made,
        {
            "files": {"tools/python3.12": '#!/bin/sh\necho ran >> {root}/ran-by-choice\nexec {py312} "$@"\n'},
            "modes": {"tools/python3.12": "0755"},
            "remove": [".python-version"],
        },
    )
    done = run_corral(made, ["sync"], environ={**environ, "CORRAL_PYTHON": str(made.root / "tools" / "python3.12")})
    assert done.exit_code == 0, done.shown()
    assert (made.root / "ran-by-choice").is_file()  # the user asked for it: it ran


def test_doctor_never_starts_a_base_outside_the_project_an_unvouched_env_links_to(
    world: tuple[World, dict[str, str]],
) -> None:
    """A monorepo's subproject: its shipped `.venv/bin/python` links to `../../tools/python3` of the same checkout."""
    made, environ = world
    tools = made.root.parent / "tools"
    tools.mkdir()
    base = tools / "python3"
    base.write_text(made.fill('#!/bin/sh\necho ran >> {victim}/PWNED-by-base\nexec {py312} "$@"\n'), encoding="utf-8")
    base.chmod(0o755)
    env = made.root / ".venv"
    (env / "bin").mkdir(parents=True)
    (env / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text(f"home = {tools}\nversion = 3.12.1\n", encoding="utf-8")
    (env / "bin" / "python").symlink_to(os.path.relpath(base, env / "bin"))
    done = run_corral(made, ["doctor"], environ=environ)
    assert _marks(made) == [], done.shown()
    assert "is not an interpreter corral found" in done.stdout, done.shown()
