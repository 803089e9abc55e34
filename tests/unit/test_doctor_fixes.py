"""The doctor family's contract and `doctor --fix`'s order, with fakes for what only services know or do.

The checks run for real in tests/integration/test_doctor.py; here the family's tables are checked and
`apply_fixes` is driven through `doctor.interface.Host`/`Repairs` fakes, so each ordering rule is seen alone.
"""

# ruff: noqa: ARG002 - the fakes keep the protocols' signatures and answer without looking

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corral.core.health import Finding, Report
from corral.discovery.prober import CachedProber
from corral.doctor import drift, interpreter, project, relocation
from corral.doctor.target import Target
from corral.errors import EngineError
from corral.services.context import Context
from corral.services.doctor import CHECKS, _fix_order, apply_fixes, fix_table

if TYPE_CHECKING:
    from corral.core.interpreter import InterpreterInfo
    from corral.core.provenance import Provenance
    from corral.core.pylock_select import Chosen
    from corral.core.selection import Selection
    from corral.doctor.interface import UnmetRequest
    from corral.infra.paths import CorralPaths
    from corral.kernels.registry import KernelEntry


@dataclass
class FakeProject:
    root: Path
    env_path: Path
    name: str = "demo"
    tool: dict[str, Any] = field(default_factory=dict)

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"


class FakeHost:
    """Answers nothing the fix order depends on; holds the project."""

    def __init__(self, project: FakeProject | None) -> None:
        self.project = project

    @property
    def paths(self) -> CorralPaths:
        raise AssertionError

    def read_provenance(self, env: Path) -> Provenance | None:
        return None

    def installed(self, env: Path, *, windows: bool) -> dict[str, str]:
        return {}

    def seed_packages(self, env: Path, *, windows: bool) -> frozenset[str]:
        return frozenset()

    def moved_folders(self, env: Path, chosen: list[Chosen], installed: dict[str, str], *, windows: bool) -> list[str]:
        return []

    def base_refusal(self, exe: Path, env: Path) -> str | None:
        return None

    def env_refusal(self, env: Path) -> str | None:
        return None

    def stamp_selection(self, env: Path) -> str | None:
        return None

    def sync_clean(self, env: Path, lock_path: Path, selection_key: str) -> bool:
        return False

    def lock_stale_reason(self, lock_path: Path) -> str:
        raise AssertionError

    def lock_is_fresh(self, lock_path: Path) -> bool:
        return True

    def locked_packages(
        self, lock_path: Path, info: InterpreterInfo, selection: Selection, key: str | None
    ) -> list[Chosen]:
        return []

    def unmet_request(self, info: InterpreterInfo) -> UnmetRequest | None:
        return None

    def kernels(self, env: Path) -> tuple[list[KernelEntry], set[str]]:
        return [], set()


class FakeRepairs:
    """Records each repair asked for; `fail` names the ones that raise."""

    def __init__(self, *fail: str) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.fail = set(fail)

    def _do(self, *call: str) -> str:
        self.calls.append(call)
        if call[0] in self.fail:
            raise EngineError(f"{call[0]} broke")
        return f"did {' '.join(call)}"

    def rebuild(self, python: str | None) -> str:
        return self._do("rebuild", str(python))

    def environ(self) -> dict[str, str]:
        return {}

    def relocate(self, env: Path, old: str) -> int:
        self._do("relocate", old)
        return 3

    def upgrade(self, env: Path, base: Path) -> str:
        return self._do("upgrade", str(base))

    def sync(self) -> str:
        return self._do("sync")

    def lock(self) -> str:
        return self._do("lock")

    def resume_recreate(self, project_root: Path) -> str | None:
        self._do("resume")
        return None


def _target(tmp_path: Path, *, project_env: bool) -> Target:
    env = tmp_path / ".venv"
    env.mkdir()
    owner = FakeProject(root=tmp_path, env_path=env if project_env else tmp_path / "elsewhere")
    return Target(env, host=FakeHost(owner), prober=CachedProber(None))


def _finding(code: str, **details: Any) -> Finding:
    return Finding(code=code, severity="warning", message=f"{code} found", fix="corral something", details=details)


def _fix(
    tmp_path: Path,
    *findings: Finding,
    project_env: bool = True,
    answer: bool = True,
    repairs: FakeRepairs | None = None,
) -> tuple[list[tuple[tuple[str, ...], bool, str]], FakeRepairs]:
    target = _target(tmp_path, project_env=project_env)
    repairs = repairs or FakeRepairs()
    report = Report(env=str(target.root), findings=findings)
    outcomes = apply_fixes(Context(cwd=tmp_path), report, target, confirm=lambda _q: answer, repairs=repairs)
    return [(o.codes, o.done, o.text) for o in outcomes], repairs


def test_every_family_exports_its_check_and_the_fixes_of_its_own_codes() -> None:
    for family, ref in CHECKS.items():
        module_name, _, func = ref.partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, func)), family
        constants = {getattr(module, n) for n in module.__all__ if n.isupper() and isinstance(getattr(module, n), str)}
        assert set(module.FIXES) <= constants, f"{family} fixes codes it does not define"


def test_every_code_in_the_fix_order_has_a_fix_that_asks() -> None:
    table = fix_table()
    for code in _fix_order():
        assert table[code].apply is not None and table[code].ask, code


def test_lock_comes_before_one_sync_for_every_drift(tmp_path: Path) -> None:
    outcomes, repairs = _fix(
        tmp_path, _finding(drift.DRIFT_EXTRA), _finding(drift.DRIFT_MISSING), _finding(project.LOCK_STALE)
    )
    assert repairs.calls == [("lock",), ("sync",)]
    assert [o[0] for o in outcomes] == [(project.LOCK_STALE,), (drift.DRIFT_MISSING,)]


def test_one_rebuild_covers_drift_and_takes_the_upgraded_base(tmp_path: Path) -> None:
    outcomes, repairs = _fix(
        tmp_path,
        _finding(relocation.ENV_MOVED),
        _finding(drift.DRIFT_EXTRA),
        _finding(interpreter.BASE_MINOR_UPGRADE, base="/opt/py3.13/bin/python3"),
    )
    assert repairs.calls == [("rebuild", "/opt/py3.13/bin/python3")]
    assert outcomes == [
        ((relocation.ENV_MOVED, interpreter.BASE_MINOR_UPGRADE), True, "did rebuild /opt/py3.13/bin/python3")
    ]


def test_a_project_asking_for_another_python_rebuilds_on_that_one(tmp_path: Path) -> None:
    _, repairs = _fix(
        tmp_path,
        _finding(interpreter.BASE_MINOR_UPGRADE, base="/opt/py3.13/bin/python3"),
        _finding(interpreter.PYTHON_MISMATCH),
    )
    assert repairs.calls == [("rebuild", "None")]


def test_a_failed_rebuild_still_offers_what_it_would_not_have_fixed(tmp_path: Path) -> None:
    outcomes, repairs = _fix(
        tmp_path,
        _finding(interpreter.PYTHON_MISSING),
        _finding(drift.DRIFT_EXTRA),
        _finding(project.LOCK_STALE),
        repairs=FakeRepairs("rebuild"),
    )
    assert repairs.calls == [("rebuild", "None"), ("lock",)]
    assert outcomes[0] == ((interpreter.PYTHON_MISSING,), False, "rebuild failed, the old env was kept: rebuild broke")


def test_an_unfinished_recreate_is_cleaned_up_without_asking(tmp_path: Path) -> None:
    outcomes, repairs = _fix(
        tmp_path, _finding(project.RECREATE_UNFINISHED), _finding(project.LOCK_STALE), answer=False
    )
    assert repairs.calls == [("resume",)]
    assert outcomes == [
        ((project.RECREATE_UNFINISHED,), True, "nothing pending"),
        ((project.LOCK_STALE,), False, "skipped"),
    ]


def test_a_moved_env_without_a_project_is_relocated_in_place(tmp_path: Path) -> None:
    outcomes, repairs = _fix(
        tmp_path,
        _finding(relocation.ENV_MOVED, recorded="/old/env"),
        _finding(relocation.ACTIVATE_STALE),
        project_env=False,
    )
    assert repairs.calls == [("relocate", "/old/env")]
    assert outcomes[0][1] and outcomes[0][2].startswith("rewrote 3 file(s) from /old/env to ")


@pytest.mark.parametrize("code", [interpreter.PYTHON_MISSING, relocation.ENV_MOVED])
def test_an_env_without_a_project_lock_is_not_rebuilt(tmp_path: Path, code: str) -> None:
    findings = (
        [_finding(code)]
        if code == interpreter.PYTHON_MISSING
        else [_finding(code, recorded="/old/env"), _finding(interpreter.PYTHON_MISSING)]
    )
    outcomes, repairs = _fix(tmp_path, *findings, project_env=False)
    assert repairs.calls == []
    assert outcomes[0][1] is False and "no project lock to rebuild from" in outcomes[0][2]


def test_the_legacy_check_knows_the_newest_legacy_python() -> None:
    """doctor.legacy leaves the table unimported for a newer Python: its bound is the table's newest row."""
    from corral.doctor.legacy import NEWEST_LEGACY
    from corral.toolchain.legacy import LEGACY

    assert max(LEGACY) == NEWEST_LEGACY


def test_the_drift_check_names_the_sync_stamp_as_the_sync_writes_it() -> None:
    """doctor may not import services: the name is kept twice, equal."""
    from corral.services.sync import stamp_state

    assert drift.STAMP_FILE == stamp_state.STAMP_FILE
