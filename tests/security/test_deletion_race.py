"""Swapping a parent folder for a symlink between check and delete never turns a deletion onto a refused folder.

The attack (issue 11, item 4): `base/a/env` is a real env; `base/b` is a symlink to `base/refused`, whose `env`
is a folder corral refuses (it holds .git and the user's notes). A thread exchanges `a` and `b` with
renameat2(RENAME_EXCHANGE) in a tight loop while `corral envs rm base/a/env --yes` runs. Each trial may remove
the real env or refuse; the refused folder must never lose (or gain) a file. Before the fix, path-based checks
and deletion lost the refused folder in about 1 trial in 40.

CORRAL_RACE_TRIALS sets the number of trials (default 40); CORRAL_SECURITY_SRC runs another checkout's src/.
"""

from __future__ import annotations

import collections
import os
import shutil
from pathlib import Path

import pytest
from deletion_support import corral_run, swapping

from corral.infra.rmtree import TreeChanged, remove_tree
from support.reliability import fake_env, tree_digest

TRIALS = int(os.environ.get("CORRAL_RACE_TRIALS", "40"))


def _refused_world(base: Path) -> tuple[Path, Path, Path]:
    refused = fake_env(base / "refused" / "env")
    (refused / ".git").mkdir()
    (refused / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (refused / "notes.txt").write_text("the user's notes\n", encoding="utf-8")
    (base / "a").mkdir()
    (base / "b").symlink_to(base / "refused", target_is_directory=True)
    return base / "a", base / "b", base / "refused"


def _reset(a: Path) -> None:
    """A fresh real env at a/env (the last trial may have removed it or left trash)."""
    for entry in a.iterdir():
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    fake_env(a / "env")


@pytest.mark.slow
def test_envs_rm_never_deletes_through_a_swapped_parent(tmp_path: Path) -> None:
    a, b, refused = _refused_world(tmp_path)
    before = tree_digest(refused)
    outcomes: collections.Counter[str] = collections.Counter()
    for trial in range(TRIALS):
        _reset(a)
        with swapping(a, b) as swaps:
            done = corral_run("envs", "rm", "--yes", str(a / "env"), cwd=tmp_path)
        assert tree_digest(refused) == before, (
            f"trial {trial}: the refused folder changed (rc {done.returncode}: {done.stderr.strip()})"
        )
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
        assert done.returncode in {0, 1}, done.stderr
        if done.returncode == 0:
            outcomes["removed the real env"] += 1
        elif ".git" in done.stderr:
            outcomes["refused: saw the refused folder"] += 1
        else:
            assert "refusing" in done.stderr, done.stderr
            outcomes["refused: it changed while checked"] += 1
        assert swaps[0] > 0
    print(f"{TRIALS} trials: {dict(outcomes)}")  # noqa: T201 - the figures the report quotes


def test_the_primitive_never_deletes_through_a_swapped_parent(tmp_path: Path) -> None:
    """The same race against infra.rmtree alone, in-process, 200 trials: identity checked, fds all the way."""
    a, b, refused = _refused_world(tmp_path)
    before = tree_digest(refused)
    deleted = changed = 0
    for _ in range(200):
        _reset(a)
        checked = os.stat(a / "env")  # what a check just approved (through whatever `a` is at that moment)
        if os.path.islink(a):
            continue
        with swapping(a, b):
            try:
                remove_tree_checked(a / "env", (checked.st_dev, checked.st_ino))
                deleted += 1
            except TreeChanged:
                changed += 1
        assert tree_digest(refused) == before
    assert deleted + changed > 0


def remove_tree_checked(path: Path, expect: tuple[int, int]) -> None:
    from corral.infra.rmtree import OpenedTree

    with OpenedTree.open(path, expect=expect) as tree:
        tree.rename(".env.corral-trash-0000abcd")
        tree.delete()


def test_remove_tree_refuses_a_swapped_in_symlink(tmp_path: Path) -> None:
    a, _b, refused = _refused_world(tmp_path)
    before = tree_digest(refused)
    os.rename(a, tmp_path / "a-real")
    (tmp_path / "a").symlink_to(refused, target_is_directory=True)
    with pytest.raises(TreeChanged):
        remove_tree(tmp_path / "a")
    assert tree_digest(refused) == before
