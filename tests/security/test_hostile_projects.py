"""The hostile-project corpus (hostile_projects.toml): a stranger's repository can never reach outside itself.

Each case plants a project tree, runs the command a victim would type there (a real `python -m corral`
subprocess with its own HOME and CORRAL_HOME) and checks that nothing outside the project changed, that there
was no hang, traceback or internal error, no leaked secret and no raw control character, the expected exit
code, and — when corral refuses — exactly one error line that says why.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from security_support import (
    bind_mounts,
    corral_environ,
    evaluate_in_shell,
    find_problems,
    make_world,
    outside_digest,
    plant,
    remove_deep,
    run_corral,
)

from support.reliability import tree_digest
from support.toml import tomllib

CORPUS = Path(__file__).with_name("hostile_projects.toml")
CASES = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["case"]
TEMP_NAME = re.compile(r"\.corral-(new|old|trash)-|\.corral-.*\.tmp$")

DEFAULT_FILES = {
    "pyproject.toml": (
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'
        "dependencies = []\n\n[tool.corral]\nseed = false\n"
    ),
    ".python-version": "{py312}\n",
}


@pytest.fixture(scope="session")
def shared_caches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """uv's and pip's caches, shared by every case of a worker (they never hold a project's state)."""
    return tmp_path_factory.mktemp("caches")


def _changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _keep_digest(root: Path, paths: list[str]) -> dict[str, str]:
    out = {}
    for rel in paths:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            out.update({f"{rel}/{k}": v for k, v in tree_digest(path).items()})
            out[rel] = "dir"
        elif path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        else:
            out[rel] = path.read_bytes().hex() if path.exists() else "missing"
    return out


def _remove_deep_trees(folder: Path) -> None:
    for dirpath, dirnames, _ in os.walk(folder):
        if "deep" in dirnames:
            dirnames.remove("deep")
            remove_deep(Path(dirpath, "deep"))


def _corral_temps(root: Path) -> set[str]:
    """corral's half-made or to-be-deleted things in the project (`.NAME.corral-new-…`, `-trash-`, `-old-`, `.tmp`)."""
    return {p.name for p in root.glob(".*corral-*") if TEMP_NAME.search(p.name)} if root.is_dir() else set()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_project_reaches_nothing_outside(
    case: dict[str, Any], tmp_path: Path, shared_caches: Path, request: pytest.FixtureRequest
) -> None:
    world = make_world(tmp_path / "case", shared_caches)
    index_url = request.getfixturevalue("local_index").simple_url
    environ = corral_environ(world, index_url, case.get("environ"))
    defaults = {k: v for k, v in DEFAULT_FILES.items() if k not in case.get("remove", [])}
    files = {**defaults, **case.get("files", {})}
    plant(world, {**case, "files": files, "chown": []})  # ownership comes last, after any setup
    for step in case.get("setup", []):
        done = run_corral(world, step, environ=environ)
        assert done.exit_code == 0, f"setup failed:\n{done.shown()}"
    plant(world, {**case.get("then", {}), "chown": case.get("then", {}).get("chown", case.get("chown", []))})
    argv = [world.fill(a) for a in case["argv"]]
    keep = case.get("keep", [])
    with bind_mounts(world, case.get("mounts", {})):
        before, kept, temps = outside_digest(world), _keep_digest(world.root, keep), _corral_temps(world.root)
        run = run_corral(world, argv, environ=environ, timeout=case.get("timeout", 60), memory_mb=case.get("memory_mb"))
        shell = evaluate_in_shell(world, case["eval_in"], run.stdout, environ) if case.get("eval_in") else ""
        after, kept_after = outside_digest(world), _keep_digest(world.root, keep)
        left = sorted(_corral_temps(world.root) - temps)
    if case.get("then", {}).get("deepdirs"):
        _remove_deep_trees(world.tmp)
    shown = f"[{case['id']}] {run.shown()}" + (f"\n{case['eval_in']} said: {shell}" if shell else "")
    assert not find_problems(run), f"{find_problems(run)}\n{shown}"
    changed = _changes(before, after)
    assert not changed, f"changed outside the project: {changed}\n{shown}"
    assert not _changes(kept, kept_after), f"changed in the project: {_changes(kept, kept_after)}\n{shown}"
    assert not left, f"corral left its temporary folders or files in the project: {left}\n{shown}"
    expected = case["exit"] if isinstance(case["exit"], list) else [case["exit"]]
    assert run.exit_code in expected, f"exit {run.exit_code}, expected {expected}\n{shown}"
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) <= 1, f"more than one error line\n{shown}"
    if case.get("message"):  # the one error line when there is one, else what the command printed
        where = errors[0] if errors else run.stdout + run.stderr
        assert re.search(case["message"], where, re.IGNORECASE), f"no /{case['message']}/ in the message\n{shown}"
    for pattern in case.get("stdout_not", []):
        assert not re.search(pattern, run.stdout), f"stdout matches /{pattern}/\n{shown}"
    for glob, pattern in case.get("file_not", {}).items():
        for path in sorted(world.tmp.glob(glob)):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                assert not re.search(pattern, text, re.MULTILINE), f"{path} matches /{pattern}/\n{shown}"


def test_corpus_is_large_unique_and_covers_every_family() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    families = {c["family"] for c in CASES}
    assert families >= {"journal", "provenance", "owner", "symlink", "deletion", "control", "type", "huge", "exec"}
