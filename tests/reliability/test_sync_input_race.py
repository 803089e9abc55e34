"""pyproject.toml and pylock.toml rewritten while `corral sync` installs: the sync stamp never vouches for the new ones.

The stamp (`services.sync.stamp`) is what makes the next `corral sync` a no-op. It recorded the lock's and
pyproject's fingerprints as they were after the install, so a checkout, an editor or another tool that replaced
them while uv ran had its new files recorded as what the env matches: the next sync said "nothing to do" over the
old lock's packages. The stamp must record the inputs as the sync read them.

The rewrite is made to land while uv runs, every time: the checkpoint log (`CORRAL_FAULT_LOG`) is a fifo this test
reads, and each checkpoint waits in `open` for the reader; the files are swapped once `engine:uv pip install` was
read, before the reader takes the next checkpoint (`engine-done`, then the stamp). The CLI, uv and the local
index are real.
"""

# The fixtures come from the support plugin; parameters shadow nothing here.
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.projects import demo_pyproject

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )


def site_names(root: Path) -> set[str]:
    site = root / ".venv" / "lib" / "python3.12" / "site-packages"
    return {p.name.split("-")[0].lower() for p in site.iterdir() if p.name.endswith(".dist-info")}


def test_a_lock_replaced_during_the_install_is_not_stamped(
    tmp_path: Path, local_index: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    files: dict[str, dict[str, bytes]] = {}
    for name, deps in (("two", ("alpha", "beta")), ("one", ("alpha",))):
        (root / "pyproject.toml").write_text(demo_pyproject(*deps), encoding="utf-8")
        done = cli(root, "lock")
        assert done.returncode == 0, done.stderr
        files[name] = {n: (root / n).read_bytes() for n in ("pyproject.toml", "pylock.toml")}
    done = cli(root, "sync")  # the env of `one`: alpha
    assert done.returncode == 0, done.stderr
    assert "beta" not in site_names(root)

    def put(name: str) -> None:
        for file, data in files[name].items():
            tmp = root / f".{file}.swap"
            tmp.write_bytes(data)
            tmp.replace(root / file)  # as git and editors replace a file

    put("two")
    log = tmp_path / "checkpoints"
    os.mkfifo(log)
    monkeypatch.setenv("CORRAL_FAULT_LOG", str(log))
    seen: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        swapped = False
        while not stop.is_set():
            with open(log, encoding="utf-8") as fifo:  # a fifo: opened once per checkpoint
                lines = fifo.read().splitlines()
            seen.extend(lines)
            if not swapped and any(line.endswith(" engine:uv pip install") for line in lines):
                put("one")  # while uv installs beta; the next checkpoint waits for this
                swapped = True

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        done = cli(root, "sync")
    finally:
        stop.set()
        os.close(os.open(log, os.O_WRONLY | os.O_NONBLOCK))  # the reader's last open returns
        thread.join(10)
    assert done.returncode == 0, done.stderr
    assert any(line.endswith(" engine:uv pip install") for line in seen), seen
    assert (root / "pylock.toml").read_bytes() == files["one"]["pylock.toml"]
    log.unlink()  # the same variable (the stamp keys on CORRAL_* values), now a plain file
    log.touch()

    again = cli(root, "sync")

    assert again.returncode == 0, again.stderr
    assert "beta" not in site_names(root), f"the env follows the lock on disk: {again.stderr}"
