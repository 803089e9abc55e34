"""The bad-input corpus (bad_inputs.toml): one clear error line, non-zero exit, no traceback, no file changed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Corral, pyenv_python
from corral.infra.journals import project_key
from support.reliability import tree_digest
from support.toml import tomllib

CORPUS = Path(__file__).with_name("bad_inputs.toml")
CASES = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["case"]

DEFAULT_PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[tool.corral]
seed = false
"""


def _write(root: Path, files: dict[str, str], hexfiles: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel.replace("JOURNAL_KEY", project_key(root))  # a journal of corral's own, for this project
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, hexed in hexfiles.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes.fromhex(hexed))


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


@contextlib.contextmanager
def mounted(kind: str | None, root: Path) -> Iterator[None]:
    """Put `root` on a read-only bind mount or a full tiny tmpfs for the duration (root only; skip otherwise)."""
    if kind is None:
        yield
        return
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(f"a {kind} project needs root and mount(8) (chmod does not stop root)")
    saved = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    steps = (
        [["mount", "--bind", str(root), str(root)], ["mount", "-o", "remount,ro,bind", str(root)]]
        if kind == "readonly"
        else [["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)]]
    )
    done = subprocess.run(steps[0], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot {' '.join(steps[0][:3])} here: {done.stderr.strip()}")
    try:
        for step in steps[1:]:
            _run(step)
        if kind == "full":
            for name, data in saved.items():
                (root / name).write_bytes(data)
            fd = os.open(root / ".filler", os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                for size in (65536, 4096, 512, 1):
                    with contextlib.suppress(OSError):
                        while True:
                            os.write(fd, b"\0" * size)
            finally:
                os.close(fd)
        yield
    finally:
        _run(["umount", str(root)])


def _fill(text: str, tmp: Path, root: Path) -> str:
    return text.replace("{root}", str(root)).replace("{tmp}", str(tmp)).replace("{py312}", str(pyenv_python("3.12")))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_gives_one_clear_error_and_changes_nothing(
    case: dict[str, Any],
    corral: Corral,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    tmp = tmp_path / "case"
    root = tmp / "proj"
    root.mkdir(parents=True)
    monkeypatch.setenv("CORRAL_HOME", str(tmp / "corral-home"))
    files = dict(case.get("files", {}))
    files.setdefault("pyproject.toml", DEFAULT_PYPROJECT)
    if ".python-version" not in files:
        files[".python-version"] = str(pyenv_python("3.12")) + "\n"
    _write(root, files, case.get("hexfiles", {}))
    if case.get("index"):
        index = request.getfixturevalue("local_index")
        monkeypatch.setenv("UV_INDEX_URL", index.simple_url)
        monkeypatch.setenv("PIP_INDEX_URL", index.simple_url)
    for step in case.get("setup", []):
        done = corral(*step, cwd=root)
        assert done.exit_code == 0, f"setup {step} failed: {done.stderr}"
    _write(root, case.get("then_files", {}), {})
    cwd = tmp if case.get("cwd") == "tmp" else root
    argv = [_fill(a, tmp, root) for a in case["argv"]]
    with mounted(case.get("mount"), root):
        before = tree_digest(tmp)
        result = corral(*argv, cwd=None if argv[0] == "-C" else cwd)
        after = tree_digest(tmp)
    shown = f"[{case['id']}] exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert "internal error" not in result.stderr, shown
    assert result.exit_code == case["exit"], shown
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, shown
    assert case["message"].lower() in errors[0].lower(), shown
    if case.get("line"):
        assert re.search(r"line \d+", errors[0]), shown
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    changed -= {"corral-home"} | {k for k in changed if k.startswith("corral-home" + os.sep)}
    assert not changed, f"files changed: {sorted(changed)}\n{shown}"


def test_corpus_is_large_and_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 50
    assert len(set(ids)) == len(ids)
