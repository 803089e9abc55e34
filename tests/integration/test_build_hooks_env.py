"""The PEP 517 hooks corral calls for a project's metadata (services.foreign.metadata, .build_env).

Real interpreters, real uv, a real in-tree backend (`probe_backend.py`, written here) that logs what each hook saw
and in which process. What must hold: both hooks run from one backend import, yet neither sees the other's changes
to the process and each process ends as a fresh interpreter does (its exit handlers run once); the build env lives
in corral's cache and is reused only while its tree is what corral made (a file added or changed there: made
anew); a lock held elsewhere means a throwaway env; no requirement from the project becomes an option of uv; a
backend asking for more gets a second env holding it.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pyenv_python
from corral.errors import UsageError
from corral.infra.uvbin import uv_binary
from support.toml import tomllib
from support.wheelhouse import require_wheelhouse

if TYPE_CHECKING:
    from corral.infra.proc import Completed
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

BACKEND = textwrap.dedent(
    """
    import atexit, json, os, sys
    HERE = os.path.dirname(os.path.abspath(__file__))
    def _log(line):
        with open(os.path.join(HERE, "log.txt"), "a") as handle:
            handle.write(line + "\\n")
    _log("import %d" % os.getpid())
    atexit.register(lambda: _log("exit %d" % os.getpid()))
    if os.path.exists(os.path.join(HERE, "thread")):  # a backend whose import starts a thread: no fork then
        import threading, time
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    STATE = []
    def get_requires_for_build_wheel(config_settings=None):
        _log("requires %d" % os.getpid())
        if os.path.exists(os.path.join(HERE, "plant")):  # a hook writing into its build env
            import sysconfig
            with open(os.path.join(sysconfig.get_paths()["purelib"], "planted.pth"), "w") as handle:
                handle.write("import os\\n")
        if os.path.exists(os.path.join(HERE, "daemon")):  # a hook leaving a process that holds its stdout/stderr
            import subprocess, time
            code = ("import os, signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN)\\n"
                    "with open(sys.argv[1] + '.tmp', 'w') as handle: handle.write(str(os.getpid()))\\n"
                    "os.rename(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(120)\\n")
            subprocess.Popen([sys.executable, "-c", code, os.path.join(HERE, "daemon.pid")])
            while not os.path.exists(os.path.join(HERE, "daemon.pid")):
                time.sleep(0.01)
        if os.path.exists(os.path.join(HERE, "hang")):
            time.sleep(120)
        if os.path.exists(os.path.join(HERE, "fail")):
            sys.stderr.write("probe backend: the requires hook gives up\\n")
            raise SystemExit(3)
        os.environ["PROBE_LEAK"] = "1"
        STATE.append("requires")
        sys.argv.append("--leak")
        os.chdir("/")
        with open(os.path.join(HERE, "requires.json")) as handle:
            return json.load(handle)
    def prepare_metadata_for_build_wheel(directory, config_settings=None):
        _log("metadata %d" % os.getpid())
        leaked = os.environ.get("PROBE_LEAK") or STATE or "--leak" in sys.argv or os.getcwd() == "/"
        try:
            import setuptools_scm  # noqa: F401
            scm = "scm"
        except ImportError:
            scm = "no-scm"
        folder = os.path.join(directory, "probe-1.0.dist-info")
        os.makedirs(folder)
        with open(os.path.join(folder, "METADATA"), "w") as handle:
            handle.write("Metadata-Version: 2.1\\nName: probe\\nVersion: 1.0\\nSummary: %s %s\\n"
                         % ("leaked" if leaked else "clean", scm))
        return "probe-1.0.dist-info"
    """
)


def probe_project(tmp_path: Path, requires: list[str], *, build_requires: list[str] | None = None) -> Path:
    """A project whose in-tree backend answers `requires` to get_requires_for_build_wheel."""
    root = tmp_path / "probe"
    root.mkdir()
    (root / "probe_backend.py").write_text(BACKEND, encoding="utf-8")
    (root / "requires.json").write_text(json.dumps(requires), encoding="utf-8")
    system = {"requires": build_requires or [], "build-backend": "probe_backend", "backend-path": ["."]}
    text = f"[build-system]\nrequires = {json.dumps(system['requires'])}\n"
    text += (
        'build-backend = "probe_backend"\nbackend-path = ["."]\n\n[project]\nname = "probe"\ndynamic = ["version"]\n'
    )
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def read(root: Path) -> tuple[str, list[list[str]]]:
    """The metadata's Summary through corral, and the backend's log lines (split), the log then emptied."""
    from corral.services.context import Context
    from corral.services.foreign.metadata import read_metadata

    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    metadata = read_metadata(Context(cwd=root), root, python=str(pyenv_python("3.12")), data=data)
    settled(build_envs())
    log = root / "log.txt"
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    log.unlink()
    return metadata.summary, lines


def settled(home: Path) -> None:
    """Wait until no env under `home` is still to be compiled (the detached `compile_env`): compiled, or not valid."""
    from corral.infra.locks import file_lock
    from corral.services.foreign.build_env import _holds

    def to_compile(record: Path) -> bool:
        with file_lock(home.with_name("build-env-locks") / f"{record.parent.name}.lock", timeout=60):
            return _holds(record, record.parent / "env") is False  # read as corral reads it: under the env's lock

    deadline = time.monotonic() + 120
    while any(to_compile(r) for r in home.glob("*/record.json")):
        assert time.monotonic() < deadline, "the detached compile did not finish"
        time.sleep(0.1)


def build_envs() -> Path:
    from corral.infra.paths import CorralPaths

    return CorralPaths.from_environment().cache / "build-envs"


def test_both_hooks_run_from_one_import_each_as_a_fresh_process_would(tmp_path: Path) -> None:
    root = probe_project(tmp_path, [])
    summary, log = read(root)
    # then: the metadata hook saw nothing the requires hook changed (environment, module state, argv, folder)
    assert summary == "clean no-scm"
    events = [kind for kind, _ in log]
    assert events.count("import") == 1, log
    pids = {kind: pid for kind, pid in log if kind in ("import", "requires", "metadata")}
    assert len(set(pids.values())) == 3  # the importing process and one child per hook
    # each hook's process ran the exit handler registered at import, once; the importing process did not
    exits = sorted(pid for kind, pid in log if kind == "exit")
    assert exits == sorted([pids["requires"], pids["metadata"]])


def test_a_backend_whose_import_starts_a_thread_gets_a_process_per_hook(tmp_path: Path) -> None:
    root = probe_project(tmp_path, [])
    (root / "thread").touch()
    summary, log = read(root)
    assert summary == "clean no-scm"
    assert [kind for kind, _ in log].count("import") == 2
    pids = {kind: pid for kind, pid in log if kind in ("requires", "metadata")}
    assert pids["requires"] != pids["metadata"]


def test_the_build_env_is_reused_while_it_holds_what_corral_made(tmp_path: Path) -> None:
    root = probe_project(tmp_path, [])
    read(root)
    (record,) = build_envs().glob("*/record.json")
    env = record.parent / "env"
    made = record.read_bytes()
    read(root)
    assert record.read_bytes() == made  # reused: nothing made again
    # when: a file is added to the env (a .pth would run at every start)
    (site,) = env.glob("lib/python3.12/site-packages")
    (site / "planted.pth").write_text("import os\n", encoding="utf-8")
    read(root)
    # then: the env was made anew, without it
    assert not (site / "planted.pth").exists()
    assert record.read_bytes() != made
    # when: a file corral made is changed in place (this one would let the base's packages in)
    remade = record.read_bytes()
    config = env / "pyvenv.cfg"
    config.write_text(config.read_text(encoding="utf-8") + "include-system-site-packages = true\n", encoding="utf-8")
    read(root)
    assert "include-system-site-packages = true" not in config.read_text(encoding="utf-8")
    assert record.read_bytes() != remade
    # when: a hook writes into its build env
    (root / "plant").touch()
    read(root)
    assert (site / "planted.pth").exists()
    (root / "plant").unlink()
    read(root)
    # then: the next use made it anew
    assert not (site / "planted.pth").exists()


def test_an_env_another_process_holds_is_not_used_a_throwaway_one_is(tmp_path: Path) -> None:
    from corral.infra.locks import file_lock
    from corral.services.foreign.build_env import build_env

    uv, python = uv_binary(), str(pyenv_python("3.12"))

    def run(cmd: list[str], stdin: str | None = None) -> Completed:
        from corral.infra import proc

        return proc.run(cmd, stdin=stdin)

    cache = tmp_path / "cache"
    with build_env(cache, uv=uv, python=python, pins="", indexes=[], run=run) as cached:
        assert Path(cached).is_relative_to(cache)
    settled(cache / "build-envs")
    (lock,) = (p for p in (cache / "build-env-locks").glob("*.lock") if ".compile" not in p.name)
    with file_lock(lock), build_env(cache, uv=uv, python=python, pins="", indexes=[], run=run) as other:
        assert not Path(other).is_relative_to(cache)
        assert os.path.lexists(other)
    assert not os.path.lexists(other)  # the throwaway env is removed


@pytest.mark.parametrize(
    ("build_requires", "hook_requires"),
    [(["--index-url=http://127.0.0.1:9/simple"], []), ([], ["-r/etc/passwd"]), ([], ["--python=/bin/sh"])],
)
def test_no_requirement_of_the_project_becomes_an_option(
    tmp_path: Path, build_requires: list[str], hook_requires: list[str]
) -> None:
    root = probe_project(tmp_path, hook_requires, build_requires=build_requires)
    with pytest.raises(UsageError, match="is not a valid requirement"):
        read(root)


def test_a_backend_asking_for_more_gets_an_env_holding_it(
    tmp_path: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_wheelhouse("setuptools-84.*.whl", "setuptools_scm-*.whl", "vcs_versioning-*.whl")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    root = probe_project(tmp_path, ["setuptools-scm>=8.0"])
    summary, log = read(root)
    # then: the metadata hook ran in a new process whose env holds what the requires hook asked for
    assert summary == "clean scm"
    assert [kind for kind, _ in log].count("import") == 2
    assert len([p for p in build_envs().iterdir() if p.is_dir()]) == 2  # the requires' env and the bigger one
    # and: its bytecode was compiled beside the hooks and put in place, the env recorded with it
    envs = [r.parent / "env" for r in build_envs().glob("*/record.json")]
    (scm_env,) = (e for e in envs if any(e.glob("lib/python3.12/site-packages/setuptools_scm")))
    assert json.loads((scm_env.parent / "record.json").read_text())["compiled"] is True
    assert any(scm_env.glob("lib/python3.12/site-packages/setuptools_scm/__pycache__/__init__.cpython-312.pyc"))


def test_the_env_recalled_while_pins_resolve_runs_hooks_only_when_it_is_the_pinned_one(
    tmp_path: Path, local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_wheelhouse("setuptools-84.*.whl", "setuptools_scm-*.whl", "vcs_versioning-*.whl")
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    root = probe_project(tmp_path, [], build_requires=["setuptools-scm>=8.0"])
    assert read(root)[0] == "clean scm"
    (memo,) = build_envs().with_name("build-env-guesses").glob("*.txt")
    (scm_key,) = (r.parent.name for r in build_envs().glob("*/record.json"))
    # when: the same requirements again: the recalled env is the pinned one
    summary, log = read(root)
    assert summary == "clean scm"
    assert [kind for kind, _ in log].count("import") == 1
    # when: the recalled env is another one (an env without setuptools-scm)
    (tmp_path / "other").mkdir()
    other = probe_project(tmp_path / "other", [])
    read(other)
    (empty_key,) = (r.parent.name for r in build_envs().glob("*/record.json") if r.parent.name != scm_key)
    memo.write_text(empty_key, encoding="utf-8")
    summary, log = read(root)
    # then: its backend may have been imported meanwhile (it is stopped when the pins are known), but the hooks ran
    # once, in the pinned env only
    assert summary == "clean scm"
    assert [kind for kind, _ in log].count("import") in (1, 2)
    assert [kind for kind, _ in log if kind in ("requires", "metadata")] == ["requires", "metadata"]
    assert memo.read_text(encoding="utf-8") == scm_key


def test_the_detached_compile_puts_bytecode_only_into_the_env_it_read(tmp_path: Path) -> None:
    from corral.infra import proc
    from corral.services.foreign.build_env import _observed, build_env, compile_env

    def run(cmd: list[str], stdin: str | None = None) -> Completed:
        return proc.run(cmd, stdin=stdin)

    cache = tmp_path / "cache"
    with build_env(cache, uv=uv_binary(), python=str(pyenv_python("3.12")), pins="", indexes=[], run=run):
        pass
    settled(cache / "build-envs")
    (record,) = (cache / "build-envs").glob("*/record.json")
    env, key = record.parent / "env", record.parent.name
    (site,) = env.glob("lib/python3.12/site-packages")
    module = site / "installed.py"
    pyc = site / "__pycache__" / "installed.cpython-312.pyc"
    # given: an env recorded with a module and no bytecode yet, whose module then changes
    module.write_text("VALUE = 1\n", encoding="utf-8")
    record.write_text(json.dumps(_observed(env, compiled=False)), encoding="utf-8")
    module.write_text("VALUE = 22\n", encoding="utf-8")  # another size: timestamps may not have moved yet
    compile_env(str(cache), key)
    # then: nothing is put in place, and the env is not recorded as compiled
    assert not pyc.exists()
    assert json.loads(record.read_text(encoding="utf-8"))["compiled"] is False
    # given: the env as recorded
    record.write_text(json.dumps(_observed(env, compiled=False)), encoding="utf-8")
    compile_env(str(cache), key)
    assert pyc.exists()
    assert json.loads(record.read_text(encoding="utf-8"))["compiled"] is True


@pytest.mark.parametrize("entry", ["../outside", "/usr/lib", "inner/../../outside", "link"])
def test_a_backend_path_leading_out_of_the_project_is_refused_before_any_hook(tmp_path: Path, entry: str) -> None:
    """PEP 517: backend-path entries are relative paths inside the source tree (uv refuses others too)."""
    root = probe_project(tmp_path, [])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "probe_backend.py").write_text(f"open({str(tmp_path / 'IMPORTED')!r}, 'w').close()\n", encoding="utf-8")
    (root / "link").symlink_to(outside)
    (root / "probe_backend.py").unlink()  # only the backend outside could answer
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text.replace('backend-path = ["."]', f"backend-path = [{entry!r}]"))
    with pytest.raises(UsageError, match="leads out of the project"):
        read(root)
    assert not (tmp_path / "IMPORTED").exists()


def gone(pid: int) -> bool:
    """The process `pid` has ended (gone, or a zombie no one reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_a_process_a_hook_leaves_running_neither_holds_the_answer_nor_outlives_it(tmp_path: Path) -> None:
    """A daemon holding the hook server's output used to keep corral waiting (`communicate()`) until it ended."""
    root = probe_project(tmp_path, [])
    (root / "daemon").touch()
    from corral.services.context import Context
    from corral.services.foreign.metadata import read_metadata

    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    started = time.monotonic()
    metadata = read_metadata(Context(cwd=root), root, python=str(pyenv_python("3.12")), data=data)
    # then: the answer came when the hooks returned, not after the daemon's 120 s
    assert time.monotonic() - started < 60
    assert metadata.summary == "clean no-scm"
    settled(build_envs())
    # and: the process the hook left was ended with the hook server's process group
    pid = int((root / "daemon.pid").read_text(encoding="utf-8"))
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, f"the hook's process {pid} is still running"
        time.sleep(0.05)


def test_a_failing_hook_is_named_with_its_last_words(tmp_path: Path) -> None:
    root = probe_project(tmp_path, [])
    (root / "fail").touch()
    with pytest.raises(UsageError, match="probe_backend: probe backend: the requires hook gives up"):
        read(root)


def test_a_ctrl_c_while_a_hook_runs_ends_the_hook_and_what_it_left_running(tmp_path: Path) -> None:
    """Ctrl-C reaches the terminal's foreground group: corral, whose hook server has a session of its own."""
    import signal
    import subprocess
    import sys

    root = probe_project(tmp_path, [])
    (root / "daemon").touch()
    (root / "hang").touch()
    script = (
        "import sys; from pathlib import Path; from support.toml import tomllib\n"
        "from corral.services.context import Context\n"
        "from corral.services.foreign.metadata import read_metadata\n"
        "root = Path(sys.argv[1]); data = tomllib.loads((root / 'pyproject.toml').read_text())\n"
        "read_metadata(Context(cwd=root), root, python=sys.argv[2], data=data)\n"
    )
    import corral

    paths = [Path(__file__).parents[1], Path(corral.__file__).parents[1]]  # support's and this corral
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    argv = [sys.executable, "-c", script, str(root), str(pyenv_python("3.12"))]
    reader = subprocess.Popen(argv, env=environ, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (root / "daemon.pid").exists():
            assert reader.poll() is None, reader.communicate()[1]
            assert time.monotonic() < deadline, "the hook did not start"
            time.sleep(0.05)
        os.killpg(reader.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        _, err = reader.communicate(timeout=30)
    finally:
        if reader.poll() is None:
            os.killpg(reader.pid, signal.SIGKILL)
            reader.wait()
    assert b"KeyboardInterrupt" in err
    pid = int((root / "daemon.pid").read_text(encoding="utf-8"))
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, f"the hook's process {pid} outlived the Ctrl-C"
        time.sleep(0.05)
