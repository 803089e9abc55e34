"""`--json` on every command that reports, and the versioned error envelope on stdout when a command fails."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Corral

# Their output is code for a shell or another program's output (README: JSON output).
NO_JSON = {"run", "x", "shell", "activate", "deactivate", "hook", "completion"}


def envelope(stdout: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(stdout)
    assert data["corral_json"] == "1"
    assert set(data) >= {"command", "ok", "status", "data", "messages"}
    return data


def test_every_reporting_command_and_action_takes_json() -> None:
    from corral.cli.completion_cmd import command_specs

    leaves = [s for s in command_specs() if s.key and not s.subcommands]
    missing = [
        s.key for s in leaves if s.key.split()[0] not in NO_JSON and not any("--json" in o.flags for o in s.options)
    ]
    assert missing == []
    assert len(leaves) > 30  # the walk saw the actions (envs list, kernel add...) too


def test_an_error_with_json_is_the_envelope_with_code_message_and_fix(corral: Corral) -> None:
    done = corral("python", "find", "9.9", "--json")
    assert done.exit_code == 2
    data = envelope(done.stdout)
    assert data["ok"] is False
    assert data["status"] == "error"
    assert data["data"] is None
    assert data["command"] == "python find"
    error = data["error"]
    assert error["code"] == "interpreter-not-found"
    assert error["message"].startswith("no interpreter matches '9.9' (searched")
    assert error["fix"].startswith("install one")
    assert error["exit_code"] == 2
    assert done.stderr.startswith("error: no interpreter matches")  # people still get their line


def test_a_command_line_argparse_refuses_gives_the_envelope_too(corral: Corral) -> None:
    done = corral("add", "--json")
    assert done.exit_code == 2
    data = envelope(done.stdout)
    assert (data["command"], data["error"]["code"]) == ("add", "usage-error")
    assert "REQ" in data["error"]["message"]


def test_a_mistyped_command_with_json_names_the_close_one(corral: Corral) -> None:
    done = corral("snyc", "--json")
    data = envelope(done.stdout)
    assert data["error"] == {
        "code": "usage-error",
        "message": "unknown command 'snyc'",
        "fix": "did you mean `corral sync`?",
        "exit_code": 2,
    }


def test_success_envelope_says_ok(corral: Corral, tmp_path: Path) -> None:
    done = corral("config", "--json", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    data = envelope(done.stdout)
    assert (data["ok"], data["status"], data["command"]) == (True, "success", "config")


def test_no_project_with_json_is_a_project_not_found_envelope(corral: Corral, tmp_path: Path) -> None:
    done = corral("lock", "--json", cwd=tmp_path)
    assert done.exit_code == 2
    assert envelope(done.stdout)["error"]["code"] == "project-not-found"


@pytest.mark.integration
def test_missing_yes_without_a_terminal_is_exit_2_for_recreate_and_envs_rm(corral: Corral, project: Path) -> None:
    # given a project with an env (recreate asks first) and that env as a target for `envs rm`
    made = corral("venv", "--no-seed", "--json", cwd=project)
    assert made.exit_code == 0, made.stderr
    env = envelope(made.stdout)["data"]["path"]
    # when both are run without --yes and without a terminal (the test's stdin is no tty)
    recreate = corral("recreate", "--json", cwd=project)
    rm = corral("envs", "rm", env, "--json", cwd=project)
    # then both are usage errors (2), each with its envelope naming --yes as the fix
    for done, command in ((recreate, "recreate"), (rm, "envs rm")):
        assert done.exit_code == 2, done.stderr
        data = envelope(done.stdout)
        assert (data["command"], data["error"]["code"]) == (command, "usage-error")
        assert "--yes" in data["error"]["fix"]
