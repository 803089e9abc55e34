"""Helpers shared by the security tests: a victim's world around a hostile project, planting files, running corral.

The world of one case (all under one temporary folder):

    proj/         the stranger's repository, as cloned (the only place a case plants anything)
    victim/       the user's own files beside it: notes, a secret, a data folder holding a pyvenv.cfg,
                  an env-looking folder corral did not make, another project of the user's
    home/         $HOME (.bashrc, .ssh, ~/.local/bin)
    corral-home/  $CORRAL_HOME (corral's own state: allowed to change)
    jupyter/      $JUPYTER_DATA_DIR (kernelspecs written by `kernel add`: allowed to change)

`outside_digest` hashes everything but proj/, corral-home/ and jupyter/: a case passes only when it is unchanged.
corral always runs as a real subprocess (`python -m corral`), so `corral run` can exec and a hang can be killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import pyenv_python
from support.reliability import tree_digest

__all__ = ["SECRET", "CorralRun", "World", "find_problems", "make_world", "outside_digest", "plant", "run_corral"]

SECRET = "TOPSECRET-7f3a9c"  # noqa: S105 - a marker, not a password; the content of victim/secret.txt: it must never appear in corral's output
NOBODY = 65534
_OWN_FOLDERS = ("proj", "corral-home", "jupyter", "caches")
# Another checkout's src/ to run the corpus against (e.g. the code before the fixes, to see that every case bites).
OTHER_SRC = os.environ.get("CORRAL_SECURITY_SRC")


@dataclass(frozen=True)
class World:
    """The folders of one case."""

    tmp: Path
    root: Path
    victim: Path
    home: Path
    corral_home: Path
    jupyter: Path
    caches: Path
    py312: Path

    def fill(self, text: str) -> str:
        """Expand {root} {tmp} {victim} {home} {py312} {py312dir} {secret} in a case's text."""
        for key, value in (
            ("{root}", self.root),
            ("{tmp}", self.tmp),
            ("{victim}", self.victim),
            ("{home}", self.home),
            ("{py312dir}", self.py312.parent),
            ("{py312}", self.py312),
            ("{secret}", SECRET),
        ):
            text = text.replace(key, str(value))
        return text


def make_world(tmp: Path, caches: Path) -> World:
    """Create the victim's files and an empty project folder under `tmp`."""
    py312 = pyenv_python("3.12")
    world = World(
        tmp=tmp,
        root=tmp / "proj",
        victim=tmp / "victim",
        home=tmp / "home",
        corral_home=tmp / "corral-home",
        jupyter=tmp / "jupyter",
        caches=caches,
        py312=py312,
    )
    files = {
        "victim/notes.txt": "my notes\n",
        "victim/secret.txt": SECRET + "\n",
        "victim/sub/file.txt": "a file in a folder\n",
        "victim/data/pyvenv.cfg": "home = /usr/bin\n",  # a data folder that happens to hold a pyvenv.cfg
        "victim/data/thesis.txt": "three years of work\n",
        "victim/lookalike/pyvenv.cfg": f"home = {py312.parent}\nversion = 3.12.1\n",
        "victim/lookalike/lib/python3.12/site-packages/keep.txt": "not corral's env\n",
        "victim/lookalike/important.txt": "important\n",
        "victim/proj2/pyproject.toml": '[project]\nname = "proj2"\nversion = "1.0"\n',
        "home/.bashrc": "# the user's shell setup\n",
        "home/.ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "home/.local/bin/mytool": "#!/usr/bin/python3\nprint('mine')\n",
    }
    for rel, text in files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (world.victim / "lookalike" / "bin").mkdir()
    (world.victim / "lookalike" / "bin" / "python").symlink_to(py312)
    for folder in (world.root, world.corral_home, world.jupyter):
        folder.mkdir()
    return world


def outside_digest(world: World) -> dict[str, str]:
    """Hashes of everything in the case folder but the project and corral's own folders (never read: a project
    may hold a fifo)."""
    out: dict[str, str] = {}
    for entry in os.scandir(world.tmp):
        if entry.name in _OWN_FOLDERS:
            continue
        if entry.is_dir(follow_symlinks=False):
            out[entry.name] = "dir"
            out.update({f"{entry.name}/{k}": v for k, v in tree_digest(Path(entry.path)).items()})
        else:
            st = entry.stat(follow_symlinks=False)
            out[entry.name] = f"{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}"
    return out


def _chown_tree(path: Path, uid: int) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown to another user needs root (the CI containers run as root)")
    os.lchown(path, uid, uid)
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                os.lchown(os.path.join(dirpath, name), uid, uid)


def _generated(spec: str) -> bytes:
    """Big or deep content: `nest:N` (N-deep TOML arrays), `tables:N` (N-deep inline tables), `json:N`
    (N-deep JSON arrays), `pad:N` (a valid pyproject padded with N bytes of comments)."""
    kind, _, count = spec.partition(":")
    n = int(count)
    if kind == "nest":
        return ('[project]\nname = "demo"\nversion = "0.1"\nx = ' + "[" * n + "]" * n + "\n").encode()
    if kind == "tables":
        return ('[project]\nname = "demo"\nversion = "0.1"\nx = ' + "{a = " * n + "1" + "}" * n + "\n").encode()
    if kind == "json":
        return ("[" * n + "]" * n).encode()
    if kind == "pad":
        line = "# " + "x" * 1000 + "\n"
        head = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n'
        return (head + line * (n // len(line))).encode()
    raise ValueError(spec)


def _fake_env(world: World, path: Path, spec: Mapping[str, Any]) -> None:
    """An env a repository ships (made elsewhere): pyvenv.cfg, bin/python, site-packages, maybe a record."""
    (path / "bin").mkdir(parents=True, exist_ok=True)
    (path / "lib" / "python3.12" / "site-packages").mkdir(parents=True, exist_ok=True)
    (path / "pyvenv.cfg").write_text(
        world.fill(spec.get("cfg", "home = {py312dir}\nversion = 3.12.1\n")), encoding="utf-8"
    )
    python = path / "bin" / "python"
    if spec.get("python") == "script":  # a planted program that leaves a mark in the victim's folder when run
        python.write_text(
            world.fill('#!/bin/sh\necho ran >> {victim}/PWNED-by-python\nexec {py312} "$@"\n'), encoding="utf-8"
        )
        python.chmod(0o755)
    else:
        python.symlink_to(world.py312)
    for alias in ("python3", "python3.12"):
        (path / "bin" / alias).symlink_to("python")
    record = spec.get("record")
    if isinstance(record, str):
        (path / "corral-env.json").write_text(world.fill(record), encoding="utf-8")
    elif isinstance(record, dict):
        data = {
            "corral_version": "0.1.0",
            "creator": "uv",
            "interpreter": str(world.py312),
            "interpreter_realpath": str(world.py312),
            "python_version": "3.12.1",
            "implementation": "CPython",
            "project": str(world.root),
            "created_at": "2026-01-01T00:00:00+00:00",
            "options": {"system_site_packages": False, "seed": False, "prompt": "demo"},
            "kind": "project",
            "schema": 1,
        }
        data.update({k: world.fill(v) if isinstance(v, str) else v for k, v in record.items()})
        (path / "corral-env.json").write_text(json.dumps(data), encoding="utf-8")


def plant(world: World, spec: Mapping[str, Any]) -> None:  # noqa: C901 - one step per key, in order
    """Make the project tree a case describes (paths relative to the project; text through `world.fill`).

    Keys, applied in this order: git (`git init`), remove, envs, dirs, files, hexfiles, generate, edits, symlinks,
    deepdirs, fifos, modes, chown, git_track (`git add -f` + commit).
    """
    root = world.root
    if spec.get("git"):  # a project that arrives as an archive holding its .git (git clone never brings .git/config)
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    for rel in spec.get("remove", []):
        _clear(root / rel)
    for rel, env_spec in spec.get("envs", {}).items():
        _fake_env(world, root / rel, env_spec)
    for rel in spec.get("dirs", []):
        (root / rel).mkdir(parents=True, exist_ok=True)
    _plant_contents(world, spec)
    for rel, target in spec.get("symlinks", {}).items():
        _clear(root / rel)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(world.fill(target))
    for rel, depth in spec.get("deepdirs", {}).items():
        _deep_dirs(root / rel, depth)
    for rel in spec.get("fifos", []):
        _clear(root / rel)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / rel)
    for rel, mode in spec.get("modes", {}).items():
        os.chmod(root / rel, int(mode, 8), follow_symlinks=False)
    for rel in spec.get("chown", []):
        _chown_tree(root / rel, NOBODY)
    if spec.get("git_track"):  # what a `git pull` of a commit tracking these paths brings (tracked, committed)
        subprocess.run(["git", "-C", str(root), "add", "-f", "--", *spec["git_track"]], check=True, capture_output=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "-c",
                "user.name=x",
                "-c",
                "user.email=x@example.invalid",
                "commit",
                "-q",
                "-m",
                "track",
            ],
            check=True,
            capture_output=True,
        )


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _plant_contents(world: World, spec: Mapping[str, Any]) -> None:
    """files, hexfiles, generate (written over any link), then edits (an attacker's change to what corral wrote)."""
    writes = [(rel, world.fill(text).encode()) for rel, text in spec.get("files", {}).items()]
    writes += [(rel, bytes.fromhex(hexed)) for rel, hexed in spec.get("hexfiles", {}).items()]
    writes += [(rel, _generated(gen)) for rel, gen in spec.get("generate", {}).items()]
    for rel, data in writes:
        path = world.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()
        path.write_bytes(data)
    for edit in spec.get("edits", []):
        path = world.root / edit["file"]
        text, count = re.subn(
            edit["find"], world.fill(edit["replace"]).replace("\\", "\\\\"), path.read_text(encoding="utf-8"), count=1
        )
        assert count == 1, f"edit {edit} found nothing in {path}"
        path.write_text(text, encoding="utf-8")


def _deep_dirs(top: Path, depth: int) -> None:
    """`top/d/d/d/...` `depth` levels deep (deeper than PATH_MAX allows by name: made through folder descriptors)."""
    top.mkdir(parents=True, exist_ok=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)


def remove_deep(top: Path) -> None:
    """Delete what `_deep_dirs` made (iteratively: shutil.rmtree recurses and pytest's cleanup would only warn)."""
    if not top.is_dir() or top.is_symlink():
        return
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    fds = [fd]
    try:
        while "d" in os.listdir(fds[-1]):
            fds.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
    finally:
        for opened in fds:
            os.close(opened)


@contextlib.contextmanager
def bind_mounts(world: World, mounts: Mapping[str, str]) -> Iterator[None]:
    """Bind-mount folders of the victim's inside the project (root and mount(8) only; skip otherwise)."""
    if not mounts:
        yield
        return
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a bind mount needs root and mount(8)")
    try:
        for rel, source in mounts.items():
            point = world.root / rel
            point.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(
                ["mount", "--bind", world.fill(source), str(point)], capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                pytest.skip(f"cannot bind-mount here: {result.stderr.strip()}")
        yield
    finally:  # corral may have renamed the env (a trash name): unmount whatever is mounted under the case folder
        for mounted in reversed(_mount_points_under(world.tmp)):
            subprocess.run(["umount", "-l", mounted], capture_output=True, check=False)


def _mount_points_under(folder: Path) -> list[str]:
    prefix = os.path.realpath(folder) + os.sep
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        points = [line.split()[4].encode().decode("unicode_escape") for line in handle]
    return [p for p in points if p.startswith(prefix)]


@dataclass(frozen=True)
class CorralRun:
    """What one corral subprocess did."""

    argv: list[str]
    exit_code: int | None  # None: killed after the timeout
    stdout: str
    stderr: str

    def shown(self) -> str:
        """The run, for an assertion message."""
        return f"$ corral {' '.join(self.argv)}\nexit {self.exit_code}\nstdout: {self.stdout}\nstderr: {self.stderr}"


def corral_environ(world: World, index_url: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a corral subprocess: the victim's HOME, corral's folders, caches, the local index."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "CORRAL_", "XDG_"))}
    environ.update(
        HOME=str(world.home),
        CORRAL_HOME=str(world.corral_home),
        JUPYTER_DATA_DIR=str(world.jupyter),
        UV_CACHE_DIR=str(world.caches / "uv"),
        PIP_CACHE_DIR=str(world.caches / "pip"),
        XDG_CACHE_HOME=str(world.caches / "xdg"),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INPUT="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        PYTHONDONTWRITEBYTECODE="1",
    )
    # rustup's proxies write to $HOME/.rustup: not corral's doing, so not on this PATH
    environ["PATH"] = os.pathsep.join(p for p in environ.get("PATH", "").split(os.pathsep) if ".cargo" not in p)
    environ.pop("VIRTUAL_ENV", None)
    if index_url:
        environ["UV_INDEX_URL"] = environ["PIP_INDEX_URL"] = index_url
    if OTHER_SRC:
        environ["PYTHONPATH"] = OTHER_SRC
    environ.update(extra or {})
    return environ


def run_corral(
    world: World,
    argv: list[str],
    *,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 60,
    memory_mb: int | None = None,
    stdin: str | None = None,
) -> CorralRun:
    """Run `python -m corral ARGV` in its own session; kill the whole group after `timeout` seconds."""

    def limits() -> None:
        if memory_mb:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", *argv],
        cwd=cwd or world.root,
        env=dict(environ),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=limits if memory_mb else None,  # noqa: PLW1509 - setrlimit only
    )
    try:
        out, err = proc.communicate(input=stdin.encode() if stdin is not None else None, timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return CorralRun(argv, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


# How each shell evaluates corral's activation code (as the hook does), expands its prompt as it would be shown
# (bash and zsh run command substitutions found in PS1, ksh expands it, fish runs fish_prompt), then runs `ls`
# (the first thing a user types after cd; a planted bin/ls of an activated env would run).
_SHELL_EVAL = {
    "bash": [
        "bash",
        "--norc",
        "--noprofile",
        "-c",
        'eval "$(cat "$1")"; printf "%s\\n" "${PS1@P}"; ls >/dev/null',
        "_",
        "{file}",
    ],
    "zsh": [
        "zsh",
        "-f",
        "-c",
        'setopt prompt_subst; eval "$(cat "$1")"; print -P -- "$PS1"; ls >/dev/null',
        "_",
        "{file}",
    ],
    "ksh": ["ksh", "-c", 'eval "$(cat "$1")"; eval "print -r -- \\"$PS1\\""; ls >/dev/null', "_", "{file}"],
    "fish": [
        "fish",
        "--no-config",
        "-c",
        "source $argv[1]; if functions -q fish_prompt; fish_prompt; end; ls >/dev/null",
        "{file}",
    ],
    "tcsh": ["tcsh", "-f", "-c", "set prompt=''; source '{file}'; echo \"$prompt\"; ls >/dev/null"],
}


def evaluate_in_shell(world: World, shell: str, code: str, environ: Mapping[str, str]) -> str:
    """Run `code` (corral's output) in a real `shell` started in the victim's folder; what the shell printed.

    A payload that escapes its quoting leaves files in the victim's folder, which the case's digest sees.
    """
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = world.corral_home / f"activation.{shell}"
    script.write_text(code, encoding="utf-8")
    argv = [arg.replace("{file}", str(script)) for arg in _SHELL_EVAL[shell]]
    shell_home = world.corral_home / "shell-home"  # the shell's own state (fish writes ~/.config/fish) is not ours
    shell_home.mkdir(exist_ok=True)
    done = subprocess.run(
        argv,
        cwd=world.victim,
        env={**environ, "HOME": str(shell_home)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return f"exit {done.returncode}: {done.stdout.strip()} {done.stderr.strip()}"


_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x9b]")


def find_problems(run: CorralRun) -> list[str]:
    """What no input may ever cause: a hang, a traceback, an internal error, a leaked secret, raw control codes."""
    both = run.stdout + run.stderr
    problems = []
    if run.exit_code is None:
        problems.append("hung: killed after the timeout")
    if "Traceback (most recent call last)" in both:
        problems.append("a traceback")
    if "internal error" in run.stderr or run.exit_code == 70:
        problems.append("an internal error (exit 70)")
    if SECRET in both:
        problems.append("the victim's secret file leaked into the output")
    if _TERMINAL_CONTROLS.search(both):
        problems.append(f"raw control characters in the output: {sorted(set(_TERMINAL_CONTROLS.findall(both)))}")
    return problems
