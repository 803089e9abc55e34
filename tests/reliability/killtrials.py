"""kill -9 trials: run a corral command, SIGKILL it at a named fault point, a random point or a random time, then
check the promises: pyproject.toml / pylock.toml / .python-version are byte-identical to before or to the completed
result, and the env works or is repaired by the next corral command (nothing half-built left behind).

Used by tests/reliability/test_kill_trials.py (a sample, in CI) and tools/torture.py (the long version).
A `Lab` owns one work folder: a template project per scenario is built once, and every trial restores it to the
same path (envs hold absolute paths, so they cannot be copied elsewhere), runs, kills, recovers and checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SCENARIOS = ("sync", "fresh", "add", "remove", "recreate", "upgrade", "gc")
RECORD_FILES = ("pyproject.toml", "pylock.toml", ".python-version")
PACKAGES = [f"herd{i}" for i in range(1, 9)]
LEFTOVER_PATTERNS = (
    ".*.corral-new-*",
    ".*.tmp",
    ".*corral-new-*",
    ".*corral-old-*",
    ".*corral-trash-*",
    ".pylock.toml.corral-candidate.tmp",
)

# Points a sample prefers: journal steps, swaps, record writes and installs (not the 9th activation script).
KEY_POINTS = (
    "txn.",
    "recreate:",
    "remove-env:",
    "add.",
    "upgrade:",
    "sync:",
    "write:pyproject.toml",
    "write:pylock.toml",
    "write:.python-version",
    "write:corral-sync.json",
    "engine:uv pip",
    "engine-done:uv pip",
    "engine:pip",
    "engine:uv venv",
    "native:",
    "engine:uv lock",
)

PYPROJECT = """\
# the user's own comment
[project]
name = "victim"
version = "0.1"
requires-python = ">=3.12"
dependencies = [{deps}]

[tool.corral]
seed = false
"""


@dataclass
class Outcome:
    """One trial: what was asked, what happened, and the failures found (kinds)."""

    scenario: str
    fault: str
    killed: bool = False
    died_at: str | None = None
    failures: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No promise was broken."""
        return not self.failures


@dataclass
class Scenario:
    """How to prepare a project, the command under test, and the command that must repair after a kill."""

    name: str
    deps: list[str]
    command: list[str]
    next_command: list[str]
    python: str = "3.12"
    orphan: bool = False  # gc: an env of a vanished project, registered in the inventory
    then_deps: list[str] | None = None  # the user edits the dependencies after the last sync
    drop_env: bool = False  # a fresh clone: the lock is there, the env is not


def scenarios() -> dict[str, Scenario]:
    """The six commands the issue names, each on a small synced project."""
    return {
        "sync": Scenario("sync", ["herd1", "herd2"], ["sync"], ["sync"], then_deps=["herd1", "herd2==1.0", "herd6"]),
        "fresh": Scenario("fresh", ["herd1", "herd2"], ["sync"], ["sync"], drop_env=True),
        "add": Scenario("add", ["herd1"], ["add", "herd3", "herd4==1.0"], ["sync"]),
        "remove": Scenario("remove", ["herd1", "herd2"], ["remove", "herd2"], ["sync"]),
        "recreate": Scenario("recreate", ["herd1", "herd5"], ["recreate", "--yes"], ["sync"]),
        "upgrade": Scenario("upgrade", ["herd1"], ["upgrade", "--python", "3.13"], ["sync"]),
        "gc": Scenario("gc", ["herd1"], ["envs", "gc", "--yes"], ["envs", "gc", "--yes"], orphan=True),
    }


def _digest(root: Path) -> dict[str, bytes | None]:
    return {name: (root / name).read_bytes() if (root / name).is_file() else None for name in RECORD_FILES}


class Lab:
    """A work folder, the pyenv interpreters, the local index URL and the environment for corral subprocesses."""

    def __init__(
        self,
        work: Path,
        *,
        index_url: str,
        pythons: Mapping[str, Path],
        base_environ: Mapping[str, str],
        corral: list[str],
    ) -> None:
        self.work = work
        self.pythons = pythons
        self.corral = corral
        self.environ = dict(base_environ)
        self.environ.update(
            UV_INDEX_URL=index_url,
            PIP_INDEX_URL=index_url,
            UV_CACHE_DIR=str(work / "uv-cache"),
            CORRAL_HOME=str(work / "home"),
        )
        self.environ.pop("CORRAL_FAULT", None)
        self.scenarios = scenarios()
        self._templates: dict[str, tuple[float, dict[str, bytes | None], list[str]]] = {}

    # ---------------------------------------------------------------- running corral
    def corral_run(
        self,
        args: list[str],
        cwd: Path,
        *,
        fault: str | None = None,
        log: Path | None = None,
        kill_after: float | None = None,
        timeout: float = 300,
    ) -> tuple[int, str]:
        """Run corral in its own process group; SIGKILL the whole group after `kill_after` seconds if given."""
        environ = dict(self.environ)
        if fault:
            environ["CORRAL_FAULT"] = fault
        if log:
            environ["CORRAL_FAULT_LOG"] = str(log)
        proc = subprocess.Popen(
            [*self.corral, *args],
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, err = proc.communicate(timeout=kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            return -9, err
        if proc.returncode == -signal.SIGKILL:
            _kill_group(proc.pid)  # a checkpoint kill: take any engine child along (as a power cut would)
        return proc.returncode, err

    # ---------------------------------------------------------------- project templates
    def project(self, scenario: Scenario) -> Path:
        """The project's path for `scenario` (the same for every trial)."""
        return self.work / "runs" / scenario.name / "victim"

    def _template(self, scenario: Scenario) -> Path:
        return self.work / "templates" / scenario.name

    def prepare(self, scenario: Scenario) -> None:
        """Build the synced project once, keep a copy, run the command once for its result, timing and points."""
        if scenario.name in self._templates:
            return
        root = self.project(scenario)
        shutil.rmtree(root.parent, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(PYPROJECT.format(deps=", ".join(json.dumps(d) for d in scenario.deps)))
        (root / ".python-version").write_text(str(self.pythons[scenario.python]) + "\n")
        self._check(self.corral_run(["sync"], root), "template sync")
        if scenario.orphan:
            self._make_orphan(root.parent)
        if scenario.drop_env:
            shutil.rmtree(root / ".venv")
        if scenario.then_deps is not None:
            (root / "pyproject.toml").write_text(
                PYPROJECT.format(deps=", ".join(json.dumps(d) for d in scenario.then_deps))
            )
        template = self._template(scenario)
        shutil.rmtree(template, ignore_errors=True)
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(root.parent, template / "tree", symlinks=True)
        shutil.copytree(self.work / "home", template / "home", symlinks=True)
        log = self.work / "points.log"
        log.unlink(missing_ok=True)
        started = time.monotonic()
        self._check(self.corral_run(scenario.command, root, log=log), f"reference {scenario.name}")
        took = time.monotonic() - started
        lines = log.read_text().splitlines() if log.is_file() else []
        points = list(dict.fromkeys(line.split(" ", 1)[1].strip() for line in lines))
        self._templates[scenario.name] = (took, _digest(root), points)

    def _make_orphan(self, runs: Path) -> None:
        gone = runs / "gone-project"
        gone.mkdir()
        (gone / "pyproject.toml").write_text('[project]\nname = "gone"\nversion = "0.1"\n[tool.corral]\nseed = false\n')
        (gone / ".python-version").write_text(str(self.pythons["3.12"]) + "\n")
        self._check(self.corral_run(["venv", str(runs / "orphan-env")], gone), "orphan env")
        record = json.loads((runs / "orphan-env" / "corral-env.json").read_text())
        assert record.get("project") in (str(gone), None), record
        self._register(runs / "orphan-env", gone)
        shutil.rmtree(gone)

    def _register(self, env: Path, project: Path) -> None:
        code = (
            "import sys; from corral.infra.paths import CorralPaths; from corral.inventory.record import "
            "register_env; register_env(CorralPaths.from_environment(), path=sys.argv[1], kind='project', "
            "project=sys.argv[2], interpreter=None, version=None, creator='uv')"
        )
        subprocess.run([sys.executable, "-c", code, str(env), str(project)], env=self.environ, check=True)

    def restore(self, scenario: Scenario) -> Path:
        """Put the template back at the scenario's path (and corral's home as it was)."""
        template = self._template(scenario)
        root = self.project(scenario)
        shutil.rmtree(root.parent, ignore_errors=True)
        shutil.copytree(template / "tree", root.parent, symlinks=True)
        shutil.rmtree(self.work / "home", ignore_errors=True)
        shutil.copytree(template / "home", self.work / "home", symlinks=True)
        return root

    def points(self, name: str) -> list[str]:
        """Fault points the scenario's command passes (in order, first occurrence)."""
        self.prepare(self.scenarios[name])
        return self._templates[name][2]

    def duration(self, name: str) -> float:
        """How long the scenario's command took unharmed."""
        self.prepare(self.scenarios[name])
        return self._templates[name][0]

    @staticmethod
    def _check(result: tuple[int, str], what: str) -> None:
        if result[0] != 0:
            msg = f"{what} failed (exit {result[0]}): {result[1][-2000:]}"
            raise RuntimeError(msg)

    # ---------------------------------------------------------------- one trial
    def trial(self, name: str, fault: str, *, kill_after: float | None = None) -> Outcome:
        """Restore, run with the fault, check the record, run the next command, check the env."""
        scenario = self.scenarios[name]
        self.prepare(scenario)
        _, after, _ = self._templates[name]
        root = self.restore(scenario)
        before = _digest(root)
        outcome = Outcome(name, fault if kill_after is None else f"timer:{kill_after:.2f}s")
        log = self.work / "trial.log"
        log.unlink(missing_ok=True)
        code, err = self.corral_run(
            scenario.command, root, fault=None if kill_after is not None else fault, log=log, kill_after=kill_after
        )
        outcome.killed = code == -signal.SIGKILL
        if log.is_file() and log.read_text().strip():
            outcome.died_at = log.read_text().splitlines()[-1].split(" ", 1)[1]
        if not outcome.killed and code != 0:
            outcome.failures.append("command-failed")
            outcome.detail.append(f"exit {code}: {err.strip()[-400:]}")
        self._check_record(root, before, after, outcome, "after the kill")
        code, err = self.corral_run(scenario.next_command, root)
        if code != 0:
            outcome.failures.append("next-command-failed")
            outcome.detail.append(f"{' '.join(scenario.next_command)} exit {code}: {err.strip()[-400:]}")
        self._check_record(root, before, after, outcome, "after the next command")
        self._check_env(scenario, root, outcome)
        return outcome

    def _check_record(
        self, root: Path, before: dict[str, bytes | None], after: dict[str, bytes | None], outcome: Outcome, when: str
    ) -> None:
        now = _digest(root)
        if now not in (before, after):
            torn = [n for n in RECORD_FILES if now[n] not in (before[n], after[n])]
            mixed = not torn
            if mixed and when == "after the kill" and self._journals():
                outcome.detail.append("killed mid-switch: the journal names the new pair; the next command finishes")
                return
            outcome.failures.append("record-mixed" if mixed else "record-torn")
            outcome.detail.append(f"{when}: {'old and new files mixed' if mixed else 'changed: ' + ', '.join(torn)}")

    def _journals(self) -> list[Path]:
        """Journals of unfinished work in corral's state folder (they live there, never in the project)."""
        return sorted((self.work / "home" / "data" / "journals").glob("*.json"))

    def _check_env(self, scenario: Scenario, root: Path, outcome: Outcome) -> None:
        leftovers = [
            str(p.relative_to(root.parent))
            for pattern in LEFTOVER_PATTERNS
            for folder in (root, root.parent)
            for p in folder.glob(pattern)
        ]
        leftovers += [f"corral's journal {p.name}" for p in self._journals()]
        if leftovers:
            outcome.failures.append("leftovers")
            outcome.detail.append("left behind: " + ", ".join(sorted(set(leftovers))))
        code, err = self.corral_run(["lock", "--check"], root)
        if code != 0:
            outcome.failures.append("lock-stale")
            outcome.detail.append(err.strip()[-300:])
        locked = [n for n in PACKAGES if f'name = "{n}"' in (root / "pylock.toml").read_text()]
        probe = f"import {', '.join(locked) or 'sys'}"
        code, err = self.corral_run(["run", "--frozen", "python", "-c", probe], root)
        if code != 0:
            outcome.failures.append("env-broken")
            outcome.detail.append(f"run: {err.strip()[-300:]}")
        code, err = self.corral_run(["doctor"], root)
        if code != 0:
            outcome.failures.append("doctor-unhappy")
            outcome.detail.append(f"doctor: {err.strip()[-300:]}")
        if scenario.orphan and (root.parent / "orphan-env").exists():
            outcome.failures.append("gc-unfinished")
            outcome.detail.append("the orphan env is still there after the next gc")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def plan_trials(
    lab: Lab,
    *,
    names: list[str],
    named_per_scenario: int | None,
    random_per_scenario: int,
    timer_per_scenario: int,
    seed: int,
) -> list[tuple[str, str, float | None]]:
    """(scenario, fault, kill_after) for every trial: named points (all or a sample), random points, random times."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    plan: list[tuple[str, str, float | None]] = []
    for name in names:
        points = lab.points(name)
        key = [p for p in points if p.startswith(KEY_POINTS)] or points
        chosen = (
            points
            if named_per_scenario is None
            else sorted(rng.sample(key, min(named_per_scenario, len(key))), key=points.index)
        )
        plan += [(name, point, None) for point in chosen]
        chance = min(0.5, 2.0 / max(len(points), 1))
        plan += [(name, f"random:{seed}-{name}-{i}:{chance:.3f}", None) for i in range(random_per_scenario)]
        took = lab.duration(name)
        plan += [(name, "timer", rng.uniform(0.05, max(took, 0.1))) for _ in range(timer_per_scenario)]
    return plan


def run_plan(
    lab: Lab, plan: list[tuple[str, str, float | None]], report: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Run every planned trial."""
    outcomes = []
    for name, fault, kill_after in plan:
        outcome = lab.trial(name, fault, kill_after=kill_after)
        outcomes.append(outcome)
        if report:
            report(outcome)
    return outcomes
