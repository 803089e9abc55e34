"""`corral run SCRIPT.py` of a PEP 723 script whose env is ready: answered before argparse (`cli.script_quick`).

Each test writes a real script (no dependencies: nothing to download), lets the full path build its env with the real
CLI, then checks which runs the quick path answers (`python -X importtime` lists what a process imported) and that
its answer is the full path's to the byte (the same env, argv, environment and exit code); then changes what a user
or a hostile repository would and checks the command goes the full way and says what it always said.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_quick_path import corral, messages, was_quick

from conftest import pyenv_python

pytestmark = pytest.mark.integration

_SHOW = "import json, os, sys\nprint(json.dumps([sys.prefix, sys.argv, dict(os.environ)]))\nsys.exit(3)\n"
_BLOCK = '# /// script\n# requires-python = ">=3.12"\n# dependencies = []\n# ///\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UV_OFFLINE", "1")  # nothing to download: no dependencies
    pyenv_python("3.12")
    work = tmp_path / "work"
    work.mkdir()
    return work


def script(folder: Path, name: str = "tool.py", block: str = _BLOCK) -> Path:
    path = folder / name
    path.write_text(block + _SHOW, encoding="utf-8")
    return path


def built(folder: Path, *args: str) -> None:
    first = corral(folder, "run", *args)
    assert first.returncode == 3, first.stderr[-2000:]
    assert not was_quick(first), "the first run builds the env"


def test_a_ready_script_env_is_run_as_the_full_path_runs_it(folder: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    quick = corral(folder, "run", "tool.py", "-q", "--python", "3.9", "--locked")  # the script's arguments
    full = corral(folder, "run", "-v", "tool.py", "-q", "--python", "3.9", "--locked")
    assert was_quick(quick)
    assert not was_quick(full)
    assert quick.returncode == full.returncode == 3
    assert messages(quick) == messages(full) == []
    prefix, argv, environ = json.loads(quick.stdout)
    assert [prefix, argv, environ] == json.loads(full.stdout)
    assert argv == [str(folder / "tool.py"), "-q", "--python", "3.9", "--locked"]
    assert environ["VIRTUAL_ENV"] == prefix
    assert Path(prefix).parent.name == "envs", "the script's own cached env"
    assert (Path(prefix) / "corral-ready.json").is_file()


def test_a_path_below_or_absolute_is_quick_a_dotted_one_is_not(folder: Path) -> None:
    (folder / "sub").mkdir()
    script(folder / "sub")
    built(folder, "sub/tool.py")
    assert was_quick(corral(folder, "run", "sub/tool.py"))
    assert was_quick(corral(folder / "sub", "run", str(folder / "sub" / "tool.py")))
    dotted = corral(folder, "run", "./sub/tool.py")
    assert not was_quick(dotted)
    assert dotted.returncode == 3
    assert json.loads(dotted.stdout)[1][0] == str(folder / "sub" / "tool.py")


def test_an_edited_block_builds_a_new_env_and_two_blocks_are_refused(folder: Path) -> None:
    path = script(folder)
    built(folder, "tool.py")
    path.write_text(_BLOCK.replace("[]", '[]\n# [tool.x]\n# y = "z"') + _SHOW, encoding="utf-8")
    again = corral(folder, "run", "tool.py")
    assert not was_quick(again)
    assert again.returncode == 3
    assert any("built the env for tool.py" in line for line in messages(again))
    assert was_quick(corral(folder, "run", "tool.py"))
    path.write_text(_BLOCK + "import os\n" + _BLOCK + _SHOW, encoding="utf-8")
    twice = corral(folder, "run", "tool.py")
    assert not was_quick(twice)
    assert twice.returncode != 0
    assert "more than one `# /// script` block" in twice.stderr


def test_a_script_env_without_its_ready_mark_or_pyvenv_cfg_goes_the_full_way(folder: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    prefix = Path(json.loads(corral(folder, "run", "tool.py").stdout)[0])
    (prefix / "pyvenv.cfg").unlink()
    broken = corral(folder, "run", "tool.py")
    assert not was_quick(broken)
    assert broken.returncode != 3
    assert f"{prefix} is not an environment" in broken.stderr
    shutil.rmtree(prefix)
    rebuilt = corral(folder, "run", "tool.py")
    assert not was_quick(rebuilt)
    assert rebuilt.returncode == 3


def test_a_linked_or_unrecorded_lock_and_a_hashed_lock_name_go_the_full_way(folder: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    lock = folder / "pylock.tool.toml"
    lock.symlink_to(folder / "tool.py")
    linked = corral(folder, "run", "tool.py")
    assert not was_quick(linked)
    assert linked.returncode != 3
    assert "is a symbolic link" in linked.stderr
    lock.unlink()
    lock.write_text('lock-version = "1.0"\ncreated-by = "someone"\n', encoding="utf-8")  # no inputs-hash: maybe stale
    unrecorded = corral(folder, "run", "--frozen", "tool.py")
    assert not was_quick(unrecorded)
    lock.unlink()
    script(folder, "a.b.py")  # its lock's name carries a hash of the file name
    built(folder, "a.b.py")
    dotted = corral(folder, "run", "a.b.py")
    assert not was_quick(dotted)
    assert dotted.returncode == 3


def test_a_script_without_a_block_and_a_crlf_script(folder: Path) -> None:
    (folder / "plain.py").write_text(_SHOW, encoding="utf-8")
    plain = corral(folder, "run", "plain.py")
    assert not was_quick(plain), "no block: the project's env runs it (there is none here: the full path says so)"
    path = folder / "tool.py"
    path.write_bytes((_BLOCK + _SHOW).replace("\n", "\r\n").encode("utf-8"))
    built(folder, "tool.py")
    crlf = corral(folder, "run", "tool.py")
    assert was_quick(crlf)
    assert crlf.returncode == 3


def test_a_corral_home_only_path_objects_spell_goes_the_full_way(folder: Path) -> None:
    script(folder)
    built(folder, "tool.py")
    home = os.environ["CORRAL_HOME"]  # tests/conftest.py gives each test its own
    for spelled in ("relative/home", f"{home}//", f"{home}/../{Path(home).name}"):
        ran = corral(folder, "run", "tool.py", CORRAL_HOME=spelled)
        assert not was_quick(ran), spelled
        assert ran.returncode == 3, ran.stderr[-2000:]
