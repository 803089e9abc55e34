"""The replay part of a rebuild record (`cli.rebuild_replay`): what is kept of a rebuild's output, and its reader.

A replay repeats a rebuild's output to the user, so only the sync's own lines may be kept (its ` + ` report, and
without -q its progress and summary lines): a warning, an error, a live progress line, a -q run that said anything
on stderr gives no replay. A damaged or unknown line makes the whole replay unreadable (the full path then runs).
"""

from __future__ import annotations

import pytest

from corral.cli import rebuild_replay
from corral.cli.rebuild_replay import parse

ENV = "/p/.venv"
REPORT = [(2, "creating environment /p/.venv\n"), (2, "selecting pylock.toml for Python 3.12.1\n")]
REPORT += [(1, " + alpha 1.1\n"), (2, "synced /p/.venv with pylock.toml using uv: 1 installed, 0 changed\n")]


def shaped(out: list[tuple[int, str]], flags: list[str]) -> bool:
    return rebuild_replay._shaped(out, flags, ENV)  # noqa: SLF001 - the rule under test


def test_the_syncs_own_report_is_kept() -> None:
    assert shaped(REPORT, ["sync"])
    assert shaped([(1, " + alpha 1.1\n"), (1, " + demo (editable)\n")], ["sync", "-q"])


@pytest.mark.parametrize(
    ("out", "flags"),
    [
        ([*REPORT[:-1], (2, "warning: could not record /p/.venv in corral's inventory\n"), REPORT[-1]], ["sync"]),
        ([*REPORT, (2, "error: interrupted; nothing was left half done\n")], ["sync"]),
        (REPORT[:-1], ["sync"]),  # no summary: the command did not finish as a sync does
        ([(2, "\x1b[2K\rinstalling 1/3\n"), *REPORT], ["sync"]),  # a live progress line
        ([(1, " + alpha 1.1\n"), (2, "synced /p/.venv with pylock.toml\n")], ["sync", "-q"]),
        ([(1, "alpha 1.1\n")], ["sync", "-q"]),
        ([(1, " + alpha 1.1")], ["sync", "-q"]),  # cut short
        ([*REPORT[:-1], (2, "synced /other/.venv with pylock.toml using uv\n")], ["sync"]),
    ],
    ids=["warning", "interrupted", "no-summary", "live-line", "quiet-stderr", "not-a-report", "cut", "other-env"],
)
def test_other_output_gives_no_replay(out: list[tuple[int, str]], flags: list[str]) -> None:
    assert not shaped(out, flags)


def _lines() -> list[tuple[str, str]]:
    return [
        ("replay-flags", b"sync".hex()),
        ("replay-terminals", "00"),
        ("replay-cwd", b"/p".hex()),
        ("replay-environ", "ab" * 32),
        ("replay-folder", f"{b'/usr/bin'.hex()} 1,2,3"),
        ("replay-provenance", b"{}".hex()),
        ("replay-inputs", _INPUTS.hex()),
        ("replay-seed-key", "none"),
        ("replay-out", "2 " + b"synced\n".hex()),
    ]


_INPUTS = (
    b'{"git_index": null, "lock": {"path": "/p/pylock.toml"}, "pyproject": null, "python_pins": [], '
    b'"user_config": null}'
)


def test_a_replay_is_read_back() -> None:
    replay = parse(_lines())
    assert replay is not None
    assert replay.flags == ["sync"]
    assert replay.folders == [("/usr/bin", "1,2,3")]
    assert replay.out == [(2, "synced\n")]
    assert replay.inputs == {
        "git_index": None,
        "lock": {"path": "/p/pylock.toml"},
        "pyproject": None,
        "python_pins": [],
        "user_config": None,
    }


@pytest.mark.parametrize(
    "damage",
    [
        ("replay-out", "3 00"),  # no such stream
        ("replay-out", "2 zz"),  # not hex
        ("replay-folder", "2f"),  # no state
        ("replay-other", "00"),  # a kind this version does not write
        ("replay-inputs", b"[]".hex()),  # the stamp's inputs are an object
        ("replay-inputs", b'{"lock": {}}'.hex()),  # with every key input_state gives
        ("replay-inputs", b"{".hex()),  # not JSON
        ("replay-seed-key", "0" * 31),  # not a seed key's digest
    ],
)
def test_a_damaged_line_makes_the_replay_unreadable(damage: tuple[str, str]) -> None:
    assert parse([*_lines(), damage]) is None


def test_no_replay_lines_no_replay() -> None:
    assert parse([]) is None
    assert parse([line for line in _lines() if line[0] != "replay-environ"]) is None
    assert parse([line for line in _lines() if line[0] != "replay-inputs"]) is None, "a record of an older version"
    assert parse([line for line in _lines() if line[0] != "replay-seed-key"]) is None, "one that checked no seed's key"
