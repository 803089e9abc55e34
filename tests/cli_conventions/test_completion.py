"""`corral completion SHELL`: the generated scripts completing commands, flags and names in real bash, zsh, fish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import shellkit
from support.shellkit import make_environ, require

pexpect = pytest.importorskip("pexpect")

base_python_dir = shellkit.base_python_dir
corral_bin = shellkit.corral_bin

pytestmark = [pytest.mark.shells, pytest.mark.integration]

PYPROJECT = """\
[project]
name = "demo"
version = "0"
[project.optional-dependencies]
docs = ["x"]
fast = ["y"]
[dependency-groups]
dev = ["a"]
tests = ["b"]
"""


@pytest.fixture
def world(tmp_path: Path, corral_bin: Path, base_python_dir: Path) -> tuple[Path, dict[str, str]]:
    """A project with two groups and two extras; an environment whose PATH finds `corral`."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "data file.txt").write_text("", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    return project, make_environ(home, corral_bin, base_python_dir)


def script(shell: str, environ: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "corral", "completion", shell], env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout


BASH_CASES = [
    (["sy"], ["sync"]),
    (["sync", "--gr"], ["--group"]),
    (["sync", "--group", ""], ["dev", "tests"]),
    (["run", "--extra", ""], ["docs", "fast"]),
    (["add", "--optional", "f"], ["fast"]),
    (["envs", ""], ["list", "scan", "gc", "rm"]),
    (["envs", "list", "--sort", "s"], ["size"]),
    (["-C", ".", "doc"], ["doctor"]),
    (["completion", ""], ["bash", "zsh", "fish", "powershell", "pwsh"]),
    (["export", "-o", "data"], ["data file.txt"]),
]


@pytest.mark.parametrize(("words", "expected"), BASH_CASES, ids=[" ".join(w) for w, _ in BASH_CASES])
def test_bash_completes_commands_flags_and_project_names(
    world: tuple[Path, dict[str, str]], words: list[str], expected: list[str]
) -> None:
    # given the script loaded in a real bash, in the project folder
    project, environ = world
    bash = require("bash")
    (project / "c.bash").write_text(script("bash", environ), encoding="utf-8")
    words_code = " ".join("'" + w + "'" for w in ["corral", *words])
    # when bash's completion function runs for those words (as readline calls it)
    code = (
        f"source ./c.bash; COMP_WORDS=({words_code}); COMP_CWORD={len(words)}; _corral; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        [bash, "--norc", "-c", code], cwd=project, env=environ, capture_output=True, text=True, check=True
    )
    # then the offers are exactly the expected names
    assert sorted(done.stdout.splitlines()) == sorted(expected), done.stderr


def test_bash_hides_internal_commands_and_leaves_run_arguments_alone(world: tuple[Path, dict[str, str]]) -> None:
    project, environ = world
    text = script("bash", environ)
    assert "hook-eval" not in text
    assert "__complete'" not in text.split("_corral()")[1].split("esac")[1]
    (project / "c.bash").write_text(text, encoding="utf-8")
    code = 'source ./c.bash; COMP_WORDS=(corral run pytest --gr); COMP_CWORD=3; _corral; echo "n=${#COMPREPLY[@]}"'
    done = subprocess.run(
        [require("bash"), "--norc", "-c", code], cwd=project, env=environ, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "n=0"  # pytest's own flags are not corral's


def tab_through(argv: list[str], setup: str, world: tuple[Path, dict[str, str]], typed: list[tuple[str, str]]) -> None:
    """Start an interactive shell, run `setup`, then type each partial line with a Tab and expect its completion."""
    project, environ = world
    child = pexpect.spawn(
        require(argv[0]),
        argv[1:],
        cwd=str(project),
        env={**environ, "PS1": "$ ", "TERM": "dumb"},
        encoding="utf-8",
        timeout=20,
    )
    try:
        child.sendline(f"{setup}; echo LOAD''ED")  # the echoed input line does not match
        child.expect("LOADED\r\n")
        for line, completed in typed:
            child.send(f"{line}\t")
            child.expect(completed)
            child.sendcontrol("u")
    finally:
        child.close(force=True)


def test_bash_completion_on_tab_in_an_interactive_shell(world: tuple[Path, dict[str, str]]) -> None:
    # given an interactive bash with the script evaluated as the README says,
    # when the user types a partial group name and presses Tab, then readline completes it from pyproject.toml
    tab_through(
        ["bash", "--norc", "--noprofile", "-i"],
        'eval "$(corral completion bash)"',
        world,
        [("corral sync --group te", "tests "), ("corral kernel li", "list ")],
    )


def test_zsh_completion_on_tab(world: tuple[Path, dict[str, str]]) -> None:
    # given an interactive zsh with compinit and the script loaded: a command, an extra name, an action
    tab_through(
        ["zsh", "-f", "-i"],
        'autoload -Uz compinit && compinit -u -D; eval "$(corral completion zsh)"',
        world,
        [("corral recre", "recreate "), ("corral sync --extra do", "docs "), ("corral envs sc", "scan ")],
    )


def test_zsh_completion_from_a_file_in_fpath(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    # given the script written once as `_corral` in a folder on $fpath (no corral run at shell start)
    _, environ = world
    functions = tmp_path / "zfunc"
    functions.mkdir()
    (functions / "_corral").write_text(script("zsh", environ), encoding="utf-8")
    # when zsh loads it on the first Tab, then it completes
    tab_through(
        ["zsh", "-f", "-i"],
        f"fpath=({functions} $fpath); autoload -Uz compinit && compinit -u -D",
        world,
        [("corral upgr", "upgrade "), ("corral sync --group te", "tests ")],
    )


FISH_CASES = [
    ("corral upg", ["upgrade"]),
    ("corral sync --group ", ["dev", "tests"]),
    ("corral kernel ", ["add", "list", "remove"]),
    ("corral envs list --sort ", ["python", "size", "used"]),
    ("corral add --optional ", ["docs", "fast"]),
]


@pytest.mark.parametrize(("line", "expected"), FISH_CASES, ids=[c for c, _ in FISH_CASES])
def test_fish_completes_commands_flags_and_project_names(
    world: tuple[Path, dict[str, str]], line: str, expected: list[str]
) -> None:
    project, environ = world
    fish = require("fish")
    (project / "c.fish").write_text(script("fish", environ), encoding="utf-8")
    done = subprocess.run(
        [fish, "--no-config", "-c", f"source ./c.fish; complete -C '{line}'"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    offered = sorted(row.split("\t")[0] for row in done.stdout.splitlines())
    assert offered == sorted(expected), done.stderr


def test_fish_offers_flags_with_their_help(world: tuple[Path, dict[str, str]]) -> None:
    project, environ = world
    (project / "c.fish").write_text(script("fish", environ), encoding="utf-8")
    done = subprocess.run(
        [require("fish"), "--no-config", "-c", "source ./c.fish; complete -C 'corral lock --'"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = dict(row.split("\t", 1) for row in done.stdout.splitlines())
    assert rows["--upgrade-package"].startswith("release the pin")
    assert "--json" in rows


def test_powershell_script_registers_a_native_completer_with_every_command(world: tuple[Path, dict[str, str]]) -> None:
    # PowerShell cannot run here: the script is checked as text
    _, environ = world
    text = script("powershell", environ)
    assert "Register-ArgumentCompleter -Native -CommandName corral" in text
    assert "'sync:--group' = 'groups'" in text
    assert "'envs' = @{ opts = " in text
    assert "hook-eval" not in text
    assert script("pwsh", environ) == text


def test_unknown_shell_is_a_usage_error(world: tuple[Path, dict[str, str]]) -> None:
    _, environ = world
    done = subprocess.run(
        [sys.executable, "-m", "corral", "completion", "tcsh"], env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_names_are_read_from_the_project_minus_c_names(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    # given the user is elsewhere and names the project with -C
    project, environ = world
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.bash").write_text(script("bash", environ), encoding="utf-8")
    (elsewhere / "c.fish").write_text(script("fish", environ), encoding="utf-8")
    # when bash and fish complete a group name
    code = (
        f"source ./c.bash; COMP_WORDS=(corral -C '{project}' sync --group ''); COMP_CWORD=5; "
        '_corral; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    bash = subprocess.run(
        [require("bash"), "--norc", "-c", code], cwd=elsewhere, env=environ, capture_output=True, text=True, check=True
    )
    fish = subprocess.run(
        [require("fish"), "--no-config", "-c", f"source ./c.fish; complete -C 'corral -C {project} sync --group '"],
        cwd=elsewhere,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    # then both offer that project's groups
    assert sorted(bash.stdout.split()) == ["dev", "tests"], bash.stderr
    assert sorted(row.split("\t")[0] for row in fish.stdout.splitlines()) == ["dev", "tests"], fish.stderr


def test_kernel_names_are_offered_for_kernel_remove(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    # given two kernelspecs in the user's Jupyter data folder
    project, environ = world
    data = tmp_path / "jupyter"
    for name in ("proj-a", "proj-b"):
        (data / "kernels" / name).mkdir(parents=True)
        (data / "kernels" / name / "kernel.json").write_text(
            '{"argv": ["python"], "display_name": "x"}', encoding="utf-8"
        )
    env = {**environ, "JUPYTER_DATA_DIR": str(data)}
    (project / "c.fish").write_text(script("fish", env), encoding="utf-8")
    # when fish completes `corral kernel remove `
    line = "source ./c.fish; complete -C 'corral kernel remove '"
    done = subprocess.run(
        [require("fish"), "--no-config", "-c", line], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    # then the kernels' names are offered (with the machine's own, from /usr/share/jupyter, if it has any)
    offered = {row.split("\t")[0] for row in done.stdout.splitlines()}
    assert {"proj-a", "proj-b"} <= offered, done.stderr


HOSTILE_PYPROJECT = """\
[project]
name = "demo"
version = "0"
[dependency-groups]
dev = ["a"]
"$(touch {mark}-1)" = ["b"]
"`touch {mark}-2`" = ["c"]
"q\\"$(touch {mark}-3)\\"" = ["d"]
"a;touch {mark}-4" = ["e"]
"line\\nbreak" = ["f"]
"""


def test_hostile_group_names_never_run_in_any_shell(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    # given a cloned project whose group names are shell code, newlines and quotes
    project, environ = world
    mark = tmp_path / "pwned"
    (project / "pyproject.toml").write_text(HOSTILE_PYPROJECT.format(mark=mark), encoding="utf-8")
    for shell in ("bash", "fish"):
        (project / f"c.{shell}").write_text(script(shell, environ), encoding="utf-8")
    # when bash and fish complete `corral sync --group ` there, and corral is asked for the names itself
    bash = subprocess.run(
        [
            require("bash"),
            "--norc",
            "-c",
            (
                'source ./c.bash; COMP_WORDS=(corral sync --group ""); COMP_CWORD=3; '
                '_corral; printf "%s\\n" "${COMPREPLY[@]}"'
            ),
        ],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    fish = subprocess.run(
        [require("fish"), "--no-config", "-c", "source ./c.fish; complete -C 'corral sync --group '"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    names = subprocess.run(
        [sys.executable, "-m", "corral", "__complete", "groups"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    # then nothing ran, and only the plain name is offered
    assert not list(tmp_path.glob("pwned*")), "a group name ran as shell code"
    assert bash.stdout.split() == ["dev"], bash.stderr
    assert [row.split("\t")[0] for row in fish.stdout.splitlines()] == ["dev"], fish.stderr
    assert names.stdout.split() == ["dev"]
