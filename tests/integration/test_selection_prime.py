"""`corral lock` answers the next sync's choice of files at once (selection_cache.prime), in corral's cache only.

The answer must be what choosing from the file gives; a damaged cache entry is ignored; a lock that does not pass
`check_lock` is never remembered as checked. A lock that came another way (`git pull`: nothing cached for it) in
corral's own layout is read by `core.pylock_scan`, without a TOML parser, to the same choice; bent by a hand edit,
it is parsed, to the same choice again. Real uv locks against the local index; a real interpreter is probed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import Corral, pyenv_python
from corral.core.pylock_select import select_packages
from corral.core.selection import Selection
from corral.errors import LockError
from corral.services.context import Context
from corral.services.sync import selection_cache
from corral.services.sync.apply import stamp_key
from support.projects import demo_pyproject
from support.toml import tomllib

if TYPE_CHECKING:
    from pathlib import Path

    from corral.core.interpreter import InterpreterInfo
    from corral.core.pylock_select import Chosen

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(tmp_path: Path, corral: Corral, monkeypatch: pytest.MonkeyPatch, local_index: object) -> Path:
    monkeypatch.setenv("UV_INDEX_URL", local_index.simple_url)  # type: ignore[attr-defined]
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(demo_pyproject("alpha>=1.0", requires_python=">=3.11"), encoding="utf-8")
    (root / ".python-version").write_text(str(pyenv_python("3.12")) + "\n", encoding="utf-8")
    forget()
    first = corral("lock", cwd=root)
    assert first.exit_code == 0, first.stderr
    forget()
    return root


def forget() -> None:
    """This process's memory of locks read and checked: the next sync is another process."""
    selection_cache._LAST_PARSED.clear()  # noqa: SLF001
    selection_cache._LAST_SCANNED.clear()  # noqa: SLF001
    selection_cache._LAST_SPLIT.clear()  # noqa: SLF001
    selection_cache._CHECKED_HERE.clear()  # noqa: SLF001


def ask(root: Path, cache: Path | None = None) -> tuple[list[Chosen], Context, InterpreterInfo]:
    ctx = Context(cwd=root)
    target = ctx.finder.from_path(pyenv_python("3.12"))
    chosen = selection_cache.choose(
        root / "pylock.toml",
        target=target,
        selection=Selection(),
        selection_key=stamp_key(Selection()),
        cache_dir=cache or ctx.paths.cache / "lock-choices",
    )
    return list(chosen), ctx, target


def test_the_next_sync_finds_its_choice_without_parsing_the_lock(locked: Path) -> None:
    chosen, ctx, target = ask(locked)
    assert not selection_cache._LAST_PARSED  # noqa: SLF001 - answered from the cache: the lock was not parsed
    data = tomllib.loads((locked / "pylock.toml").read_text(encoding="utf-8"))
    expected = select_packages(data, target=target, selection=Selection(), lock_dir=locked)
    assert chosen == expected and [c.name for c in chosen] == ["alpha"]
    assert ctx.paths.cache in (ctx.paths.cache / "lock-choices").parents  # corral's cache, never the project
    assert not any(p.name.startswith(("lock-", ".corral")) for p in locked.iterdir())


def test_a_damaged_cache_entry_is_ignored(locked: Path) -> None:
    _, ctx, _ = ask(locked)
    entries = list((ctx.paths.cache / "lock-choices").glob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text('[{"name": "evil"', encoding="utf-8")
    chosen, _, _ = ask(locked)
    assert [c.name for c in chosen] == ["alpha"]


def test_a_lock_that_does_not_pass_is_never_remembered_as_checked(locked: Path, tmp_path: Path) -> None:
    lock = locked / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    at = text.index('url = "') + len('url = "')
    lock.write_text(text[:at] + "ftp" + text[at + text[at:].index(":") :], encoding="utf-8")  # a scheme corral refuses
    cache = tmp_path / "cache" / "lock-choices"
    for _ in range(2):
        with pytest.raises(LockError, match="not a lock corral can install"):
            ask(locked, cache)
    assert not (cache.parent / selection_cache.CHECKED_FOLDER).exists()
    assert not cache.exists()


def test_a_pulled_lock_is_scanned_to_the_same_choice_and_remembered_as_checked(locked: Path, tmp_path: Path) -> None:
    # given: the lock corral wrote, with nothing cached for it (another clone's cache)
    cache = tmp_path / "other-cache" / "lock-choices"
    # when
    chosen, _, target = ask(locked, cache)
    # then: no TOML parser read it, the choice is the general path's, and the lock is remembered as checked
    assert not selection_cache._LAST_PARSED  # noqa: SLF001 - the fast path answered
    data = tomllib.loads((locked / "pylock.toml").read_text(encoding="utf-8"))
    assert chosen == select_packages(data, target=target, selection=Selection(), lock_dir=locked)
    assert [c.name for c in chosen] == ["alpha"]
    assert list((cache.parent / selection_cache.CHECKED_FOLDER).iterdir())


def test_a_hand_edited_lock_is_parsed_to_the_same_choice(locked: Path, tmp_path: Path) -> None:
    lock = locked / "pylock.toml"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text.replace("\n[[packages]]\n", "\n# pinned by hand\n[[packages]]\n", 1), encoding="utf-8")
    chosen, _, target = ask(locked, tmp_path / "other-cache" / "lock-choices")
    assert selection_cache._LAST_PARSED  # noqa: SLF001 - a comment where corral writes none: tomllib read it
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    assert chosen == select_packages(data, target=target, selection=Selection(), lock_dir=locked)
    assert [c.name for c in chosen] == ["alpha"]


_CHOOSE_IN_A_NEW_PROCESS = """
import sys
from pathlib import Path
from corral.core.selection import Selection
from corral.services.context import Context
from corral.services.sync import selection_cache
from corral.services.sync.apply import stamp_key
root, python = Path(sys.argv[1]), Path(sys.argv[2])
ctx = Context(cwd=root)
target = ctx.finder.from_path(python)
before = "packaging.markers" in sys.modules or "packaging.tags" in sys.modules
chosen = selection_cache.choose(
    root / "pylock.toml", target=target, selection=Selection(), selection_key=stamp_key(Selection()),
    cache_dir=ctx.paths.cache / "lock-choices",
)
print(before, "packaging.markers" in sys.modules, "packaging.tags" in sys.modules, [c.url for c in chosen])
"""


def _with_marker(lock: Path, marker: str, created_by: str) -> None:
    """The lock as a `git pull` could bring it: corral's layout, a marker on its package, bytes never seen."""
    text = lock.read_text(encoding="utf-8")
    text = text.replace('created-by = "corral"', f'created-by = "{created_by}"', 1)
    at = text.index("\nindex = ")
    lock.write_text(text[:at] + f'\nmarker = "{marker}"' + text[at:], encoding="utf-8")


def test_a_pulled_lock_whose_markers_were_met_is_chosen_without_packaging(locked: Path) -> None:
    """The target's facts (tags' ranks, marker verdicts) are kept beside the choices: packaging's answers, reused."""
    import subprocess
    import sys

    lock = locked / "pylock.toml"
    original = lock.read_text(encoding="utf-8")
    python = str(pyenv_python("3.12"))

    def choose_anew(marker: str, created_by: str) -> tuple[list[str], list[str]]:
        lock.write_text(original, encoding="utf-8")
        _with_marker(lock, marker, created_by)
        argv = [sys.executable, "-c", _CHOOSE_IN_A_NEW_PROCESS, str(locked), python]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
        *flags, urls = done.stdout.strip().split(" ", 3)
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
        _, _, target = ask(locked, locked.parent / "throwaway-cache")  # the interpreter's facts, probed here
        expected = select_packages(data, target=target, selection=Selection(), lock_dir=locked)
        assert urls == repr([c.url for c in expected])
        return flags, [c.url for c in expected]

    flags, urls = choose_anew("sys_platform != 'win32'", "corral, a first pull")
    assert flags == ["False", "True", "True"] and urls  # nothing known yet: packaging read the marker and the tags
    flags, urls = choose_anew("sys_platform != 'win32'", "corral, a second pull")
    assert flags == ["False", "False", "False"] and urls  # the same marker on new bytes: packaging not imported
    flags, urls = choose_anew("sys_platform == 'win32'", "corral, a third pull")
    assert flags[:2] == ["False", "True"] and not urls  # a marker never met: packaging evaluates it (False)
