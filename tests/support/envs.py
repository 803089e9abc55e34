"""Real projects with real synced envs, and fake base installations (doctor, recreate, upgrade, inventory, trust)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from corral.services.context import Context

if TYPE_CHECKING:
    import pytest

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def make_project(root: Path, deps: list[str], python: str = "3.12") -> Path:
    """A project folder with `deps` and a .python-version."""
    root.mkdir(parents=True, exist_ok=True)
    quoted = ", ".join(f'"{d}"' for d in deps)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = [{quoted}]\n',
        encoding="utf-8",
    )
    (root / ".python-version").write_text(python + "\n", encoding="utf-8")
    return root


def lock_and_sync(root: Path) -> None:
    """`corral lock` + `corral sync` through the services (real uv, local index)."""
    from corral.services.lock import lock
    from corral.services.sync.apply import sync

    lock(Context(cwd=root))
    sync(Context(cwd=root))


def env_python(root: Path) -> Path:
    return root / ".venv" / "bin" / "python"


def run(cmd: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a program; a script whose #! interpreter is gone "fails" like a shell would (exit 127)."""
    argv = [str(c) for c in cmd]
    try:
        done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
            argv, capture_output=True, text=True, check=False, **kw
        )
    except OSError as err:  # ENOENT from exec: the shebang names a missing interpreter
        return subprocess.CompletedProcess(argv, 127, "", str(err))
    return done


def corral_cli(
    *args: str | Path, cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(extra_env or {})}
    return run([sys.executable, "-m", "corral", *args], cwd=cwd, env=env)


class FakeInstall:
    """A Python "installation" at a fixed folder whose build is swapped like a package manager upgrade does.

    DIR/bin/python3.X is a hard link (or copy) of a real interpreter binary, DIR/bin/python3 -> python3.X, and
    DIR/lib/python3.X is a symlink to that build's stdlib: the binary finds its stdlib from its own location.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "bin").mkdir(parents=True, exist_ok=True)
        (folder / "lib").mkdir(parents=True, exist_ok=True)

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python3"

    def on_path(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Put DIR/bin on PATH, as a user with /opt/python/bin on PATH has it.

        A project's `.python-version` may name a path only when corral's discovery lists the interpreter
        (`services.python.find_requested`): a repository can ship any program.
        """
        monkeypatch.setenv("PATH", os.pathsep.join([str(self.folder / "bin"), os.environ.get("PATH", "")]))

    def install(self, binary: Path, stdlib: Path) -> None:
        """Put `binary` (python3.X) and its stdlib in place, replacing whatever build was there."""
        minor = binary.name  # python3.X
        for old in (self.folder / "bin").glob("python3.*"):
            old.unlink()
        for old in (self.folder / "lib").glob("python3.*"):
            old.unlink()
        dest = self.folder / "bin" / minor
        # a copy, never a hard link: a link changes the shared binary's ctime, and every stamp and quick record of
        # the tests running beside this one names that interpreter by its stat (test_lock_quick failed in CI)
        shutil.copy2(binary, dest)
        (self.folder / "lib" / minor).symlink_to(stdlib)
        link = self.folder / "bin" / "python3"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(minor)
        check = run([link, "-c", "import sys, json, ssl; print('%d.%d.%d' % sys.version_info[:3])"])
        assert check.returncode == 0, check.stderr
        self.version = check.stdout.strip()


def pyenv_build(version: str) -> tuple[Path, Path] | None:
    """(binary, stdlib) of a pyenv build like "3.12.1" (None when absent)."""
    minor = ".".join(version.split(".")[:2])
    folder = PYENV / version
    binary, stdlib = folder / "bin" / f"python{minor}", folder / "lib" / f"python{minor}"
    return (binary, stdlib) if binary.exists() and stdlib.is_dir() else None


def pyenv_minor(minor: str) -> tuple[Path, Path] | None:
    """The newest pyenv build of a "3.12"-style minor."""
    found = sorted(PYENV.glob(f"{minor}.*")) if PYENV.is_dir() else []
    return pyenv_build(found[-1].name) if found else None
