"""A Ctrl-C while `corral` is still importing its entry (`cli.quick`): main's one line and exit 130, no traceback.

Python's own SIGINT handler raises KeyboardInterrupt in whatever import the signal cuts, and the interpreter prints
that traceback. `cli.quick` puts a handler of its own in place first thing, until `run` begins (which answers a
Ctrl-C as main does); nothing has started by then, so there is nothing to undo.

The signal is made to land inside that import every time: a `sitecustomize` on PYTHONPATH adds an import hook that
sends SIGINT to its own process when `corral.infra.git_index` (the module `cli.quick` imports) is looked up. The
signal, the process, the console script and `python -m corral` are real; so are the project and its env, which
must be left exactly as they were.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import pyenv_python

pytestmark = pytest.mark.integration

_HOOK = """\
import os, signal, sys


class _CutAt:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("CUT_AT_IMPORT"):
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, _CutAt())
"""
_LINE = "error: interrupted; nothing was left half done (run the command again to finish)\n"


def _entries() -> list[list[str]]:
    found = [[sys.executable, "-m", "corral"]]
    script = Path(sys.executable).parent / "corral"
    if script.is_file():  # the console script the installer wrote (a development venv has one)
        found.append([str(script)])
    return found


def _state(root: Path) -> dict[str, bytes | None]:
    """Every file of the project and its env, with its bytes (None for a folder or a link)."""
    state: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        state[str(path.relative_to(root))] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return state


def _run(entry: list[str], root: Path, hook: Path | None, *, ignored: bool = False) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ)
    if hook is not None:
        environ["PYTHONPATH"] = str(hook)
        environ["CUT_AT_IMPORT"] = "corral.infra.git_index"
    disposition = signal.SIG_IGN if ignored else signal.SIG_DFL  # as a terminal (or `nohup`, a background job)
    return subprocess.run(
        [*entry, "sync"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=environ,
        preexec_fn=lambda: signal.signal(signal.SIGINT, disposition),  # the start a shell gives
    )


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with no dependencies, synced by the real CLI."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    pyenv_python("3.12")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = []\n'
        "[tool.corral]\nseed = false\n",
        encoding="utf-8",
    )
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    done = _run([sys.executable, "-m", "corral"], root, None)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def hook(tmp_path: Path) -> Path:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(_HOOK, encoding="utf-8")
    return folder


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: "console-script" if len(e) == 1 else "python-m")
def test_a_ctrl_c_while_the_entry_imports_is_one_line_and_exit_130(synced: Path, hook: Path, entry: list[str]) -> None:
    before = _state(synced)
    done = _run(entry, synced, hook)
    assert "Traceback" not in done.stderr, done.stderr
    assert (done.returncode, done.stdout, done.stderr) == (130, "", _LINE)
    assert _state(synced) == before, "nothing in the project or its env changed"
    again = _run(entry, synced, None)
    assert (again.returncode, again.stderr) == (0, f"nothing to do: {synced / '.venv'} already matches pylock.toml\n")


def test_a_corral_started_with_ctrl_c_ignored_keeps_ignoring_it(synced: Path, hook: Path) -> None:
    done = _run([sys.executable, "-m", "corral"], synced, hook, ignored=True)
    assert (done.returncode, done.stderr) == (0, f"nothing to do: {synced / '.venv'} already matches pylock.toml\n")


def test_another_program_importing_the_entry_keeps_pythons_handler() -> None:
    program = (
        "import signal\n"
        "def load():\n"
        "    import corral.cli.quick\n"
        "load()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout == "True\n"
