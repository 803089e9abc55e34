"""`corral run` keeps what `corral sync --group/--extra` installed, and `[tool.uv] default-groups` counts.

The rule (README, "The record"): `sync` makes the env exactly the selection its flags name (plain: the default
groups); `run` syncs with the selection of the env's last sync, which group/extra flags given to `run` replace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pylock_helpers import Entry, write_lock, write_project

from conftest import corral_exe, pyenv_python
from corral.core.env import Env
from corral.services.inspection import installed_distributions
from support.toml import tomllib

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunResult
    from support.index import LocalIndex

pytestmark = pytest.mark.integration

W = "py2.py3-none-any.whl"
PROJECTS = Path(__file__).parents[1] / "data" / "projects"
GROUPS = {"dev": ["delta"], "docs": ["cowsay-lite"]}


@pytest.fixture
def indexed(local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> LocalIndex:
    """Point uv and pip (and so corral) at the local index."""
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.simple_url)
    return local_index


def make_project(tmp_path: Path, index: LocalIndex, *, with_docs: bool = True) -> Path:
    """alpha always, delta in the default group dev, cowsay-lite (a console script) in docs; Python 3.12."""
    pyenv_python("3.12")  # skip (fail under CI) when it is missing
    groups = GROUPS if with_docs else {"dev": GROUPS["dev"]}
    root = write_project(tmp_path / "proj", deps=["alpha"], groups=groups)
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    entries = [Entry(f"alpha-1.1-{W}"), Entry(f"delta-1.2-{W}", marker="'dev' in dependency_groups")]
    if with_docs:
        entries.append(Entry(f"cowsay_lite-1.0-{W}", marker="'docs' in dependency_groups"))
    write_lock(root, index, entries, dict(os.environ), extras=[], groups=list(groups), default_groups=["dev"])
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`corral run ...` in a subprocess (run replaces its process)."""
    return subprocess.run(
        [*corral_exe(), "run", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )


def installed(root: Path) -> set[str]:
    env = root / ".venv"
    names = installed_distributions(Env.at(env).site_packages())
    return {n.lower().replace("_", "-") for n in names}


def test_run_keeps_the_group_sync_installed(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, indexed)
    synced = corral("sync", "--group", "docs", cwd=root)
    assert synced.exit_code == 0, synced.stderr
    assert {"alpha", "delta", "cowsay-lite"} <= installed(root)

    # the no-op fast path (stdlib only): the stamp's selection is the one run keeps
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "run", "cowsay-lite", "kept"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "moo kept\n"
    assert [line for line in ran.stderr.splitlines() if not line.startswith("import time:")] == []
    assert [m for m in ("packaging", "tomlkit", "corral.services.context") if f" {m}\n" in ran.stderr] == []

    # a change sends run down the full sync: it repairs the env with the same selection, removing nothing
    subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "uninstall", "-y", "alpha"],
        capture_output=True,
        check=True,
    )
    ran = run(root, "cowsay-lite", "again")
    assert ran.returncode == 0, ran.stderr
    assert "installing 1 package(s): alpha" in ran.stderr
    assert "removing" not in ran.stderr
    assert ran.stdout == "moo again\n"
    assert {"alpha", "delta", "cowsay-lite"} <= installed(root)


def test_run_flags_replace_the_selection_and_plain_sync_resets_it(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, indexed)
    assert corral("sync", "--group", "docs", cwd=root).exit_code == 0
    ran = run(root, "--no-dev", "python", "-c", "import alpha")
    assert ran.returncode == 0, ran.stderr
    assert "removing 2 package(s): cowsay-lite, delta" in ran.stderr
    ran = run(root, "python", "-c", "import alpha")  # --no-dev is now the env's selection
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""
    assert "delta" not in installed(root)

    assert corral("sync", "--group", "docs", cwd=root).exit_code == 0
    plain = corral("sync", cwd=root)  # sync is exact: without flags it means the default groups
    assert plain.exit_code == 0, plain.stderr
    assert "removing 1 package(s): cowsay-lite" in plain.stderr
    ran = run(root, "python", "-c", "import delta")
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""


def test_run_forgets_a_remembered_group_the_lock_no_longer_offers(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, indexed)
    assert corral("sync", "--group", "docs", cwd=root).exit_code == 0
    make_project(tmp_path, indexed, with_docs=False)  # the group left pyproject.toml and the lock
    ran = run(root, "python", "-c", "import alpha, delta")
    assert ran.returncode == 0, ran.stderr
    assert "removing 1 package(s): cowsay-lite" in ran.stderr
    assert "unknown dependency group" not in ran.stderr


def test_a_failed_sync_keeps_the_selection_for_the_next_run(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    root = make_project(tmp_path, indexed)
    assert corral("sync", "--group", "docs", cwd=root).exit_code == 0
    lock = root / "pylock.toml"
    good = lock.read_text(encoding="utf-8")
    groups = list(GROUPS)
    write_lock(
        root,
        indexed,
        [
            Entry(f"alpha-2.0-{W}", bad_hash=True),
            Entry(f"delta-1.2-{W}", marker="'dev' in dependency_groups"),
            Entry(f"cowsay_lite-1.0-{W}", marker="'docs' in dependency_groups"),
        ],
        dict(os.environ),
        extras=[],
        groups=groups,
        default_groups=["dev"],
    )
    failed = run(root, "python", "-c", "pass")
    assert failed.returncode != 0
    stamp = json.loads((root / ".venv" / "corral-sync.json").read_text(encoding="utf-8"))
    assert stamp == {"selection": "g=docs;e=;f="}, "the failed sync dropped its proof but kept the selection"
    lock.write_text(good, encoding="utf-8")
    ran = run(root, "cowsay-lite", "back")
    assert ran.returncode == 0, ran.stderr
    assert "removing" not in ran.stderr
    assert ran.stdout == "moo back\n"


# ---------------------------------------------------------------- [tool.uv] default-groups


def test_config_reports_click_s_uv_default_groups_and_their_source(
    tmp_path: Path, corral: Callable[..., RunResult]
) -> None:
    """click's own pyproject.toml (8.5.0.dev, tests/data/projects/click-main) sets default-groups in [tool.uv] only."""
    root = tmp_path / "click"
    root.mkdir()
    shutil.copy(PROJECTS / "click-main" / "pyproject.toml", root / "pyproject.toml")
    shown = corral("config", "--json", cwd=root)
    assert shown.exit_code == 0, shown.stderr
    setting = json.loads(shown.stdout)["data"]["settings"]["default-groups"]
    assert setting == {
        "value": ["dev", "pre-commit", "tests", "typing"],
        "source": f"{root / 'pyproject.toml'} [tool.uv]",
    }

    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(text + '\n[tool.corral]\ndefault-groups = ["tests"]\n', encoding="utf-8")
    setting = json.loads(corral("config", "--json", cwd=root).stdout)["data"]["settings"]["default-groups"]
    assert setting == {"value": ["tests"], "source": str(root / "pyproject.toml")}, "[tool.corral] outranks [tool.uv]"


def _uv_project(tmp_path: Path, default_groups: str) -> Path:
    pyenv_python("3.12")
    root = write_project(tmp_path / "uvproj", deps=["alpha"], groups=GROUPS)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[tool.uv]\ndefault-groups = {default_groups}\n")
    (root / ".python-version").write_text("3.12\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("declared", "defaults", "wanted", "unwanted"),
    [
        ('["docs"]', ["docs"], {"cowsay-lite"}, {"delta"}),
        ('"all"', ["dev", "docs"], {"cowsay-lite", "delta"}, set()),
    ],
)
def test_a_plain_sync_installs_the_uv_default_groups(
    tmp_path: Path,
    indexed: LocalIndex,
    corral: Callable[..., RunResult],
    declared: str,
    defaults: list[str],
    wanted: set[str],
    unwanted: set[str],
) -> None:
    root = _uv_project(tmp_path, declared)
    synced = corral("sync", cwd=root)  # locks first (real uv, local index), then installs
    assert synced.exit_code == 0, synced.stderr
    lock = tomllib.loads((root / "pylock.toml").read_text(encoding="utf-8"))
    assert lock["default-groups"] == defaults
    have = installed(root)
    assert wanted <= have
    assert not unwanted & have


def test_a_bad_uv_default_groups_is_one_error_line(tmp_path: Path, corral: Callable[..., RunResult]) -> None:
    root = _uv_project(tmp_path, "3")
    shown = corral("config", cwd=root)
    assert shown.exit_code == 2
    assert shown.stderr.strip().splitlines() == [
        f'error: {root / "pyproject.toml"}: [tool.uv] default-groups must be a list of group names or "all", not 3'
    ]


def test_add_and_remove_keep_the_groups_sync_installed(
    tmp_path: Path, indexed: LocalIndex, corral: Callable[..., RunResult]
) -> None:
    """`sync --group docs` then `add beta` (and `remove beta`) keep docs, and the next run is a no-op for them."""
    root = make_project(tmp_path, indexed)
    assert corral("sync", "--group", "docs", cwd=root).exit_code == 0
    assert "cowsay-lite" in installed(root)
    added = corral("add", "beta", cwd=root)
    assert added.exit_code == 0, added.stderr
    assert {"cowsay-lite", "beta", "alpha", "delta"} <= installed(root), installed(root)
    ran = run(root, "python", "-c", "import cowsay_lite, beta")
    assert ran.returncode == 0 and "removing" not in ran.stderr, ran.stderr
    removed = corral("remove", "beta", cwd=root)
    assert removed.exit_code == 0, removed.stderr
    assert "cowsay-lite" in installed(root) and "beta" not in installed(root), installed(root)
