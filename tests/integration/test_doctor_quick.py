"""`corral doctor` on a healthy env, answered from corral's cache before argparse (`cli.doctor_quick`).

Each test syncs a real project (a real env from the local index, real uv), lets a full `corral doctor` record the
healthy report, and checks that the next one answers quickly (`python -X importtime` lists what a process imported:
the full path always imports argparse) with the full path's very bytes and exit code. Then it changes one input of
one check, the way a user, an installer or a hostile repository would, and checks that doctor goes the full way
(and, where the change makes the env unhealthy, says so).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral.cli import doctor_quick
from corral.infra.paths import CorralPaths
from corral.services import doctor_record
from support.envs import lock_and_sync, make_project

pytestmark = pytest.mark.integration


def doctor(root: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """`python -X importtime -m corral doctor ARGS` in `root`: stderr also lists every module imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "doctor", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **extra_env},
    )


def was_quick(done: subprocess.CompletedProcess[str]) -> bool:
    """True when doctor answered before argparse was imported."""
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "corral.cli.quick" in modules, done.stderr[-2000:]
    return "argparse" not in modules


def messages(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if not line.startswith("import time:")]


def shown(done: subprocess.CompletedProcess[str]) -> tuple[int, str, list[str]]:
    return done.returncode, done.stdout, messages(done)


def record_of(root: Path) -> Path:
    return Path(doctor_quick.record_file(str(CorralPaths.from_environment().cache), str(root)))


def recorded(root: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run the full doctor until it records (its inputs must have settled), then return a quick answer."""
    for _ in range(40):
        full = doctor(root, *args, **extra_env)
        assert full.returncode == 0, full.stdout + full.stderr
        quick = doctor(root, *args, **extra_env)
        if was_quick(quick):
            assert shown(quick) == shown(full), "the quick answer is the full path's, to the byte"
            return quick
        time.sleep(0.1)  # an input younger than its settling margin: the next full doctor records
    pytest.fail("the full path never recorded the healthy env")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    """A synced project whose env is healthy."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = make_project(tmp_path / "proj", ["alpha", "cowsay-lite"])
    lock_and_sync(root)
    return root


def test_the_quick_answer_is_the_full_paths(project: Path) -> None:
    quick = recorded(project)
    env = project / ".venv"
    assert shown(quick) == (0, f"ok: {env} is healthy\n", [])
    quiet = doctor(project, "-q")
    assert was_quick(quiet)
    assert shown(quiet) == (0, "", [])  # -q: a healthy env prints nothing
    for args in (["-v"], ["--json"], [str(env)], ["--fix", "--yes"], ["-C", str(project)]):
        assert not was_quick(doctor(project, *args)), args  # what the quick path does not answer
    assert record_of(project).parent.name == doctor_record.RECORDS_FOLDER  # a kind `corral cache` lists and prunes


def test_a_subfolder_is_another_working_folder(project: Path) -> None:
    recorded(project)
    sub = project / "src"
    sub.mkdir()
    time.sleep(0.1)
    assert not was_quick(doctor(sub))  # a relative index URL would be made absolute against another folder


def _edit_pyvenv_cfg(root: Path) -> None:
    cfg = root / ".venv" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "prompt = other\n", encoding="utf-8")


def _rewrite_metadata(root: Path) -> None:
    meta = next((root / ".venv" / "lib").glob("python3.*/site-packages/alpha-*.dist-info/METADATA"))
    text = meta.read_text(encoding="utf-8")
    meta.unlink()  # uv links it from its cache: a new file, as git or an installer writes
    meta.write_text(text.replace("Version: ", "Version: 9", 1), encoding="utf-8")


def _hand_install(root: Path) -> None:
    site = next((root / ".venv" / "lib").glob("python3.*/site-packages"))
    extra = site / "stray-1.0.dist-info"
    extra.mkdir()
    (extra / "METADATA").write_text("Metadata-Version: 2.1\nName: stray\nVersion: 1.0\n", encoding="utf-8")


def _edit_pyproject(root: Path) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"alpha", ', ""), encoding="utf-8")


def _edit_lock(root: Path) -> None:
    path = root / "pylock.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _retarget_python3(root: Path) -> None:
    link = root / ".venv" / "bin" / "python3"
    link.unlink()
    link.symlink_to(os.path.realpath(root / ".venv" / "bin" / "python"))  # the same program, named another way


def _touch_activate(root: Path) -> None:
    activate = root / ".venv" / "bin" / "activate"
    activate.write_text(activate.read_text(encoding="utf-8").replace("VIRTUAL_ENV", "VIRTUAL_ENV", 1), "utf-8")


def _env_gitignore(root: Path) -> None:
    (root / ".venv" / ".gitignore").write_text("*\n!pyvenv.cfg\n", encoding="utf-8")


def _corral_env(root: Path) -> None:
    path = root / ".venv" / "corral-env.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["location"] = "/elsewhere/.venv"
    path.write_text(json.dumps(data), encoding="utf-8")


def _kernel(root: Path) -> None:
    spec = root / ".venv" / "share" / "jupyter" / "kernels" / "demo"
    spec.mkdir(parents=True)
    argv = ["/nowhere/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "x", "language": "python"}), "utf-8")


@pytest.mark.parametrize(
    "change",
    [
        _edit_pyvenv_cfg,
        _rewrite_metadata,
        _hand_install,
        _edit_pyproject,
        _edit_lock,
        _retarget_python3,
        _touch_activate,
        _env_gitignore,
        _corral_env,
        _kernel,
    ],
)
def test_each_input_sends_doctor_the_full_way(project: Path, change: object) -> None:
    recorded(project)
    change(project)  # type: ignore[operator]
    done = doctor(project)
    assert not was_quick(done)


@pytest.mark.parametrize(
    ("name", "value"),
    [("CORRAL_VENV_DIR", ".venv"), ("UV_INDEX_URL", "http://127.0.0.1:9/simple"), ("JUPYTER_PATH", "/opt/jupyter")],
)
def test_a_variable_a_check_reads_sends_doctor_the_full_way(project: Path, name: str, value: str) -> None:
    recorded(project)
    assert not was_quick(doctor(project, **{name: value}))


def test_an_input_younger_than_the_check_is_not_recorded(project: Path) -> None:
    """A file changed within a clock tick of the check's start could change again unseen: nothing is recorded."""
    from corral.render.output import terminal_safe
    from corral.services.context import Context
    from corral.services.doctor import diagnose

    recorded(project)
    record_of(project).unlink()
    _edit_lock(project)
    changed = (project / "pylock.toml").stat().st_ctime_ns
    cwd = Path.cwd()
    os.chdir(project)  # the recorder answers only for the folder the process runs in
    try:
        for started, written in ((changed - 1, False), (time.time_ns() + 10**9, True)):
            ctx = Context()
            watch = doctor_quick.Watch.begin(ctx)
            watch.started = started  # the clock as read before the lock's change, then long after it settled
            report, target = diagnose(ctx)
            assert report.ok and not report.findings, report.codes()
            text = terminal_safe(f"ok: {report.env} is healthy") + "\n"
            assert watch.healthy(ctx, target, text) is written
            assert record_of(project).is_file() is written
    finally:
        os.chdir(cwd)
    assert was_quick(doctor(project))


@pytest.mark.parametrize("versioned", [True, False])
def test_a_missing_python_link_is_an_error_on_both_paths(project: Path, versioned: bool) -> None:
    """`python -m venv` makes python, python3 and python3.X; with one gone, an active env runs another Python."""
    recorded(project)
    bin_dir = project / ".venv" / "bin"
    name = next(p.name for p in bin_dir.iterdir() if p.name.startswith("python3.")) if versioned else "python3"
    (bin_dir / name).unlink()
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode == 1
    assert f"error   python-link-missing: {bin_dir / name} is missing" in done.stdout, done.stdout
    assert "fix: corral recreate" in done.stdout
    again = doctor(project)
    assert not was_quick(again)  # an unhealthy report records nothing
    assert shown(again) == shown(done)


def test_sync_rebuilds_an_env_missing_its_versioned_python_link(project: Path) -> None:
    """The sync's stale-env check says what doctor says and rebuilds, so the link is back and doctor is healthy."""
    bin_dir = project / ".venv" / "bin"
    link = next(p for p in bin_dir.iterdir() if p.name.startswith("python3."))
    link.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "corral", "sync"], cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{link} is missing" in done.stdout + done.stderr, done.stdout + done.stderr
    assert link.is_file(), "the rebuilt env has python3.X again"
    assert doctor(project).returncode == 0


def test_a_dangling_python_link_is_reported(project: Path) -> None:
    recorded(project)
    link = next(p for p in (project / ".venv" / "bin").iterdir() if p.name.startswith("python3."))
    link.unlink()
    link.symlink_to("gone")
    done = doctor(project)
    assert done.returncode == 1
    assert f"python-link-missing: {link} points to gone, which is gone" in done.stdout, done.stdout


def test_a_shipped_link_retargeted_to_the_same_file_outside_is_seen(project: Path, tmp_path: Path) -> None:
    """A `.python-version` that leads out of the project is refused, even when it reaches the very same file."""
    pin = project / ".python-version"
    pins = project / "pins"
    pins.mkdir()
    os.replace(pin, pins / "v")
    pin.symlink_to("pins/v")
    outside = tmp_path / "outside-v"
    os.link(pins / "v", outside)  # the same inode: a stat through the link cannot tell
    recorded(project)
    pin.unlink()
    pin.symlink_to(outside)
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode != 0, done.stdout


def test_a_git_project_is_answered_until_the_index_moves(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(project.parent))
    for args in (["init", "-q"], ["add", "pyproject.toml"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    recorded(project)
    (project / "README").write_text("x\n", encoding="utf-8")
    subprocess.run(["git", "add", "README"], cwd=project, check=True, capture_output=True)
    assert not was_quick(doctor(project))
    recorded(project)  # and once it settled, recorded again
    subprocess.run(["git", "add", "-f", ".venv/pyvenv.cfg"], cwd=project, check=True, capture_output=True)
    done = doctor(project)
    assert not was_quick(done)
    assert "env-tracked" in done.stdout


@pytest.mark.parametrize("damage", ["group-writable", "link", "truncated", "oversized", "other-version"])
def test_a_damaged_or_forged_record_is_ignored(project: Path, tmp_path: Path, damage: str) -> None:
    recorded(project)
    path = record_of(project)
    if damage == "group-writable":
        path.chmod(0o660)
    elif damage == "link":
        copy = tmp_path / "copy.json"
        shutil.copy(path, copy)
        path.unlink()
        path.symlink_to(copy)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-20])
    elif damage == "oversized":
        data = json.loads(path.read_text(encoding="utf-8"))
        data["pad"] = "x" * (17 << 20)
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["corral"] = "0.0.1"
        path.write_text(json.dumps(data), encoding="utf-8")
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode == 0


def test_a_record_of_another_unhealthy_state_never_answers(project: Path) -> None:
    """The record vouches for the state it observed: put the env into another state with a stale record beside."""
    recorded(project)
    saved = record_of(project).read_bytes()
    _hand_install(project)
    time.sleep(0.1)
    record_of(project).write_bytes(saved)  # the old record, forged back into place
    done = doctor(project)
    assert not was_quick(done)
    assert "drift-extra" in done.stdout, done.stdout


def test_only_this_envs_entry_in_the_probe_cache_counts(project: Path) -> None:
    """Another interpreter probed anywhere rewrites the probe cache: doctor stays quick; this env's base's entry not."""
    from corral.discovery import prober

    assert doctor_quick._PROBE_SCHEMA == prober._CACHE_SCHEMA  # noqa: SLF001 - the two readers of one file
    recorded(project)
    cache = CorralPaths.from_environment().interpreter_cache
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["entries"]["/elsewhere/bin/python3"] = {"fingerprint": [1, 2, 3, 4], "info": {"version": "3.12.0"}}
    cache.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    assert was_quick(doctor(project))
    base = os.path.realpath(project / ".venv" / "bin" / "python")
    del data["entries"][base]
    cache.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode == 0, done.stdout  # the base probed again: the same healthy report


def never_recorded(root: Path) -> None:
    """Healthy, yet a check read what no stat shows: every doctor takes the full path."""
    for _ in range(3):
        done = doctor(root)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not was_quick(done)
        time.sleep(0.1)


def test_a_python_request_naming_a_path_is_never_recorded(project: Path) -> None:
    """Whether a named interpreter is the env's base is discovery's answer, which no stat shows."""
    recorded(project)
    base = os.path.realpath(project / ".venv" / "bin" / "python")
    (project / ".python-version").write_text(base + "\n", encoding="utf-8")
    never_recorded(project)


def test_an_env_trust_does_not_vouch_for_is_never_recorded(project: Path) -> None:
    """The exec guard then asks discovery whether the env's base is an interpreter it knows."""
    from corral.services.trust import revoke_env

    recorded(project)
    revoke_env(CorralPaths.from_environment(), project / ".venv")
    never_recorded(project)


def test_git_asked_about_the_env_is_never_recorded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An env `.gitignore` that is not `*` alone: `git check-ignore` decides, with git's config and ignore files."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(project.parent))
    for args in (["init", "-q"], ["add", "pyproject.toml"]):  # an index git's `ls-files` need not be asked about
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    recorded(project)
    (project / ".venv" / ".gitignore").write_text("# mine\n*\n", encoding="utf-8")  # still everything
    assert not was_quick(doctor(project))
    recorded(project)
    (project / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    (project / ".venv" / ".gitignore").write_text("*.pyc\n", encoding="utf-8")
    never_recorded(project)


def _metadata(root: Path, name: str = "alpha") -> Path:
    return next((root / ".venv" / "lib").glob(f"python3.*/site-packages/{name}-*.dist-info/METADATA"))


def _own_copy(meta: Path) -> None:
    """Give the env its own inode of the file (uv links it from the run's shared cache, which an edit would change)."""
    data = meta.read_bytes()
    meta.unlink()
    meta.write_bytes(data)


def test_a_distribution_without_its_metadata_is_damaged_on_both_paths(project: Path) -> None:
    """The sync stamp holds (it lists site-packages, not the files inside each distribution's folder)."""
    recorded(project)
    meta = _metadata(project)
    meta.unlink()
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode == 1, done.stdout
    assert f"error   drift-damaged: installed distributions without their metadata file: {meta.parent.name}" in (
        done.stdout
    ), done.stdout
    assert "fix: corral recreate" in done.stdout
    time.sleep(0.1)
    again = doctor(project)
    assert not was_quick(again)  # an unhealthy report records nothing
    assert shown(again) == shown(done)


def test_metadata_edited_in_place_with_its_mtime_given_back_is_seen(project: Path) -> None:
    """Same inode, size and mtime: only the ctime tells (no process can set it back)."""
    meta = _metadata(project)
    _own_copy(meta)
    recorded(project)
    text = meta.read_text(encoding="utf-8")
    version = next(line for line in text.splitlines() if line.startswith("Version: "))
    other = "Version: 9" + version[len("Version: 9") :]  # the same length
    assert other != version
    before = meta.stat()
    with meta.open("r+", encoding="utf-8") as handle:  # in place: the same inode
        handle.write(text.replace(version, other, 1))
    os.utime(meta, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = meta.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    done = doctor(project)
    assert not was_quick(done)
    assert done.returncode == 1, done.stdout
    assert "drift-version: installed at another version than locked: alpha 9" in done.stdout, done.stdout


def test_another_link_to_the_metadata_keeps_doctor_quick_and_healthy(project: Path, tmp_path: Path) -> None:
    """uv links metadata from its cache: an env made from it elsewhere moves the ctime, not the bytes."""
    meta = _metadata(project)
    _own_copy(meta)
    recorded(project)
    os.link(meta, tmp_path / "another-env-METADATA")  # the link count, hence the ctime, moves
    done = doctor(project)
    assert was_quick(done)
    assert done.returncode == 0
    full = doctor(project, "-v")  # and the full path, which compares the env with the lock for real
    assert full.returncode == 0
    assert "drift" not in full.stdout, full.stdout


def test_metadata_rewritten_since_the_sync_is_compared_with_the_lock(project: Path) -> None:
    """A new file (another inode), written as an installer or `git checkout` would: the stamp never saw it."""
    recorded(project)
    meta = _metadata(project)
    text = meta.read_text(encoding="utf-8")
    meta.unlink()
    meta.write_text(text.replace("\nVersion: ", "\nVersion: 9", 1), encoding="utf-8")
    done = doctor(project)
    assert not was_quick(done)
    assert "drift-version: installed at another version than locked: alpha 9" in done.stdout, done.stdout


def test_doctor_fix_rebuilds_an_env_with_a_damaged_distribution(project: Path) -> None:
    meta = _metadata(project)
    meta.unlink()
    fixed = doctor(project, "--fix", "--yes")
    assert "fixed [drift-damaged]" in "\n".join(messages(fixed)) + fixed.stdout, messages(fixed)
    assert _metadata(project).is_file()
    done = doctor(project)
    assert done.returncode == 0, done.stdout


def _site(root: Path) -> Path:
    return next((root / ".venv" / "lib").glob("python3.*/site-packages"))


def test_a_file_removed_from_an_installed_distribution_is_seen_on_both_paths(project: Path) -> None:
    """Its metadata still says installed (the stamp, uv and pip agree): only its RECORD tells the file is gone."""
    recorded(project)
    module = _site(project) / "alpha.py"
    module.unlink()
    done = doctor(project)
    assert not was_quick(done)  # the folder's stat moved
    assert done.returncode == 1, done.stdout
    dist = next(_site(project).glob("alpha-*.dist-info")).name
    version = dist[len("alpha-") : -len(".dist-info")]
    assert f"error   drift-files: installed distributions with files missing: alpha {version} (alpha.py)" in (
        done.stdout
    ), done.stdout
    assert "fix: corral recreate" in done.stdout
    detail = json.loads(doctor(project, "--json").stdout)["data"]["findings"]
    assert [f["details"]["missing"] for f in detail if f["code"] == "drift-files"] == [{dist: ["alpha.py"]}]
    time.sleep(0.1)
    assert not was_quick(doctor(project))  # an unhealthy report records nothing
    fixed = doctor(project, "--fix", "--yes")
    assert "fixed [drift-files]" in "\n".join(messages(fixed)) + fixed.stdout, messages(fixed)
    assert module.is_file()
    assert doctor(project).returncode == 0


def test_a_removed_console_script_is_named_from_the_env(project: Path) -> None:
    recorded(project)
    scripts = [p for p in (project / ".venv" / "bin").iterdir() if p.name.startswith("cowsay")]
    assert scripts, "cowsay-lite installs a console script"
    scripts[0].unlink()
    done = doctor(project)
    assert done.returncode == 1, done.stdout
    assert f"(bin/{scripts[0].name})" in done.stdout, done.stdout


def test_bytecode_removed_is_not_a_missing_file(project: Path) -> None:
    """Python writes it again, and clean-up tools remove every `__pycache__`: a RECORD's .pyc rows do not count."""
    site = _site(project)
    record = next(site.glob("alpha-*.dist-info/RECORD"))
    text = record.read_text(encoding="utf-8")
    record.unlink()  # uv links it from the shared cache
    record.write_text(text + "__pycache__/alpha.cpython-312.pyc,,\nalpha_old.pyc,,\n", encoding="utf-8")
    done = doctor(project)
    assert done.returncode == 0, done.stdout
