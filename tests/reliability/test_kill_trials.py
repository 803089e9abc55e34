"""kill -9 trials in CI: a sample per command (tools/torture.py runs them all), plus every failure found so far."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import pytest
from killtrials import PACKAGES, SCENARIOS, Lab, Outcome, plan_trials

from conftest import corral_exe, pyenv_python
from support.fixtures import isolated_environ
from support.index import serve_index
from support.wheels import Package, build_packages

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

# Failures tools/torture.py found, kept as regression trials: (scenario, fault point, what went wrong before the fix).
REGRESSIONS = [
    ("add", "engine-done:uv pip install", "the candidate lock stayed in the project (sync never recovered)"),
    ("recreate", "write:*.recreate.json:before-rename", "the journal's temporary file stayed behind"),
    ("fresh", "write:*.creating.json:after-rename", "a half-made env must be removed from corral's own journal"),
    ("upgrade", "write:.python-version:before-rename", "the new pin's temporary file stayed in the project"),
    ("fresh", "native:done", "the env stayed without corral's record (doctor unhappy; sync did not repair)"),
    ("fresh", "native:before-cfg", "a half-made env (no pyvenv.cfg yet) must be removed from corral's own journal"),
    ("fresh", "write:corral-env.json:before-rename", "as above"),
]
# Recovery paths worth a trial on every CI run (no failure found there; they guard the journals).
KEY_TRIALS = [
    ("add", "txn.before-rename-lock"),  # pyproject switched, lock not yet: the next sync rolls forward
    ("remove", "txn.after-journal"),
    ("recreate", "recreate:before-swap"),
    ("recreate", "recreate:swapped"),
    ("upgrade", "upgrade:rebuilt"),
    ("gc", "remove-env:renamed"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One kill-trial lab per worker: eight packages on a private index, templates built on demand."""
    work = tmp_path_factory.mktemp("killtrials")
    build_packages(work / "pkgs", tuple(Package(n, v) for n in PACKAGES for v in ("1.0", "2.0")))
    environ = {
        k: v
        for k, v in isolated_environ().items()
        if not k.startswith(("CORRAL_", "PYTHONPATH", "PYTHONHOME", "JUPYTER_"))
    }
    pythons = {v: pyenv_python(v) for v in ("3.12", "3.13")}
    with serve_index(work / "pkgs") as index:
        yield Lab(work / "lab", index_url=index.simple_url, pythons=pythons, base_environ=environ, corral=corral_exe())


def _explain(outcomes: list[Outcome]) -> str:
    return "\n".join(f"{o.scenario} {o.fault}: {o.failures} {o.detail}" for o in outcomes if not o.passed)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kill_sample_keeps_record_and_env(scenario: str, lab: Lab) -> None:
    plan = plan_trials(
        lab, names=[scenario], named_per_scenario=3, random_per_scenario=1, timer_per_scenario=1, seed=2026
    )
    outcomes = [lab.trial(name, fault, kill_after=after) for name, fault, after in plan]
    assert all(o.passed for o in outcomes), _explain(outcomes)
    assert sum(o.killed for o in outcomes) >= 3, "the sample must really kill"


@pytest.mark.parametrize(
    ("scenario", "point", "why"),
    [*REGRESSIONS, *((s, p, "key recovery path") for s, p in KEY_TRIALS)],
    ids=[f"{s}-{p}" for s, p, _ in REGRESSIONS] + [f"{s}-{p}" for s, p in KEY_TRIALS],
)
def test_kill_regression(scenario: str, point: str, why: str, lab: Lab) -> None:
    if not any(fnmatchcase(passed, point) for passed in lab.points(scenario)):
        pytest.fail(f"{scenario} no longer passes fault point {point}; update the list ({why})")
    outcome = lab.trial(scenario, point)
    assert outcome.killed, f"{point} did not kill"
    assert outcome.passed, _explain([outcome])


def test_fault_points_cover_every_write_rename_and_engine_call(lab: Lab) -> None:
    points = {p for name in SCENARIOS for p in lab.points(name)}
    for needed in (
        "txn.after-journal",
        "write:pylock.toml:before-rename",
        "engine:uv pip install",
        "recreate:before-swap",
        "remove-env:renamed",
        "sync:applied",
    ):
        assert needed in points, sorted(points)
