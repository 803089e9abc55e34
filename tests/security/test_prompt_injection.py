"""A prompt never runs code when the env is activated, in any shell.

The creators (uv's, the native one, venv, virtualenv) paste the prompt unescaped into bin/activate* (bash and zsh
between double quotes and then into PS1, which they expand again at every prompt; csh, fish and nu between single
quotes...). Before the fix, `[tool.corral] prompt = "x$(touch P1)..."` and `corral sync` gave an env whose
`. .venv/bin/activate` ran the commands; so did `--prompt`, CORRAL_PROMPT, `prompt = "."` and the default prompt
in a folder named so. Now a prompt that is set is refused (a config error naming where it was set and what a prompt
may hold) and a folder's name is neutralised (`_` for every character a shell could interpret); an ordinary
prompt (spaces, dots, dashes, parentheses, brackets, letters of any script) still shows as it is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import pyenv_python
from support.shellkit import base_python_dir, corral_bin, make_environ  # noqa: F401 - fixtures
from support.toml import tomllib

# every quoting context of the activation scripts: double quotes, backquotes, single quotes, PS1 expansion
HOSTILE = "x$(touch P1)`touch P2`'; touch P3; echo '\"; touch P4; echo \"%F{red}"
NEUTRAL = "x_(touch P1)_touch P2___ touch P3_ echo ___ touch P4_ echo __F_red_"
ORDINARY = "Mÿ app-1.0 (dev) [ß] ok"
SHELLS = ("bash", "zsh", "fish", "csh", "tcsh", "nu")


@pytest.fixture
def environ(tmp_path: Path, corral_bin: Path, base_python_dir: Path) -> dict[str, str]:  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    return make_environ(home, corral_bin, base_python_dir)


def _project(root: Path, corral_table: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[tool.corral]\nseed = false\n{corral_table}", encoding="utf-8")
    (root / ".python-version").write_text(f"{pyenv_python('3.12')}\n", encoding="utf-8")
    return root


def _corral(environ: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", *args], cwd=cwd, env=environ, capture_output=True, text=True, check=False
    )


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scripts(shell: str, activate: Path) -> tuple[list[str], str]:
    """(argv, script) that activates `activate`'s env in `shell` and prints the prompt name as the shell shows it."""
    bin_dir = activate.parent
    if shell == "bash":  # ${PS1@P}: PS1 expanded as bash expands it at every prompt
        code = f'PS1="$ "; . {bin_dir}/activate; printenv VIRTUAL_ENV_PROMPT; printf "%s\\n" "${{PS1@P}}"'
        return ["-c", code], ""
    if shell == "zsh":  # print -P with prompt_subst: PS1 as an interactive zsh shows it
        code = f'setopt prompt_subst; PS1="$ "; . {bin_dir}/activate; printenv VIRTUAL_ENV_PROMPT; print -rP -- "$PS1"'
        return ["-f", "-c", code], ""
    if shell == "fish":
        return ["--no-config", "-c", f"source {bin_dir}/activate.fish; printenv VIRTUAL_ENV_PROMPT"], ""
    if shell in {"csh", "tcsh"}:
        return ["-f"], f"set prompt = '> '\nsource {bin_dir}/activate.csh\nprintenv VIRTUAL_ENV_PROMPT\n"
    return ["--no-config-file", "-c", f"overlay use {bin_dir}/activate.nu; ^printenv VIRTUAL_ENV_PROMPT"], ""


def _shown_prompts(env: Path, tmp_path: Path, environ: dict[str, str]) -> dict[str, list[str]]:
    """What each installed shell shows as the prompt name after activating `env`; asserts nothing else ran.

    The env's path holds the hostile folder name too: it is reached through a plain symlink, and every shell
    runs in an empty folder, where a `touch Pn` that ran would leave its file.
    """
    import shutil

    plain = tmp_path / "plain"
    plain.mkdir(exist_ok=True)
    link = plain / "env"
    if not link.is_symlink():
        link.symlink_to(env)
    shown: dict[str, list[str]] = {}
    for shell in SHELLS:
        program = shutil.which(shell)
        if program is None:
            continue
        cwd = tmp_path / f"run-{shell}"
        cwd.mkdir()
        args, stdin = _scripts(shell, link / "bin" / "activate")
        home = {"HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "config")} if shell in {"fish", "nu"} else {}
        done = subprocess.run(
            [program, *args], cwd=cwd, env=environ | home, input=stdin, capture_output=True, text=True, check=False
        )
        ran = sorted(p.name for p in cwd.iterdir() if p.name.startswith("P"))
        assert ran == [], f"{shell} ran the prompt's commands: {ran}\n{done.stderr}"
        assert done.returncode == 0, f"{shell}: {done.stderr}"
        shown[shell] = done.stdout.splitlines()
    assert "bash" in shown, "bash is needed for this test"
    return shown


def _check_shown(shown: dict[str, list[str]], name: str) -> None:
    for shell, lines in shown.items():
        assert lines[0] == name, shell
    assert shown["bash"][1] == f"({name}) $ "
    if "zsh" in shown:
        assert shown["zsh"][1] == f"({name}) $ "


@pytest.mark.shells
@pytest.mark.parametrize("creator", ["uv", "native"])
@pytest.mark.parametrize("prompt_line", ['prompt = "."\n', ""], ids=["dot", "default"])
def test_a_hostile_folder_name_is_neutralised(
    tmp_path: Path, environ: dict[str, str], creator: str, prompt_line: str
) -> None:
    """`prompt = "."` and the default prompt (no [project] name) are the folder's name, which may be hostile."""
    root = _project(tmp_path / HOSTILE, f'creator = "{creator}"\n{prompt_line}')
    done = _corral(environ, root, "sync")
    assert done.returncode == 0, done.stderr
    _check_shown(_shown_prompts(root / ".venv", tmp_path, environ), NEUTRAL)
    assert f"prompt = {NEUTRAL}\n" in (root / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    if prompt_line:
        return
    done = _corral(environ, root, "recreate", "--yes")  # the default prompt again, through the atomic rebuild
    assert done.returncode == 0, done.stderr
    assert f"prompt = {NEUTRAL}\n" in (root / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")


@pytest.mark.shells
@pytest.mark.parametrize("creator", ["uv", "native"])
def test_an_ordinary_prompt_still_shows(tmp_path: Path, environ: dict[str, str], creator: str) -> None:
    root = _project(tmp_path / "proj", f'creator = "{creator}"\nprompt = {_toml_string(ORDINARY)}\n')
    done = _corral(environ, root, "sync")
    assert done.returncode == 0, done.stderr
    _check_shown(_shown_prompts(root / ".venv", tmp_path, environ), ORDINARY)


def test_a_hostile_prompt_in_pyproject_is_refused(tmp_path: Path, environ: dict[str, str]) -> None:
    root = _project(tmp_path / "proj", f"prompt = {_toml_string(HOSTILE)}\n")
    assert tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["corral"]["prompt"] == HOSTILE
    done = _corral(environ, root, "sync")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{root / 'pyproject.toml'}: [tool.corral] prompt" in done.stderr
    assert "a prompt may hold letters, digits, spaces and" in done.stderr
    assert not (root / ".venv").exists()
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("P")) == []


@pytest.mark.parametrize("how", ["--prompt", "CORRAL_PROMPT"])
def test_a_hostile_prompt_given_to_corral_venv_is_refused(tmp_path: Path, environ: dict[str, str], how: str) -> None:
    args = ["venv", "--no-seed", "--python", str(pyenv_python("3.12")), str(tmp_path / "env")]
    if how == "--prompt":
        done = _corral(environ, tmp_path, *args, "--prompt", HOSTILE)
    else:
        done = _corral(environ | {"CORRAL_PROMPT": HOSTILE}, tmp_path, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{how}: the prompt" in done.stderr
    assert not (tmp_path / "env").exists()


@pytest.mark.shells
@pytest.mark.parametrize("creator", ["uv", "native"])
def test_corral_venv_into_a_hostile_folder_name_without_a_prompt(
    tmp_path: Path, environ: dict[str, str], creator: str
) -> None:
    """No prompt given: the creators take the env folder's own name, which may be hostile too."""
    target = tmp_path / HOSTILE
    args = ["venv", "--no-seed", "--creator", creator, "--python", str(pyenv_python("3.12")), str(target)]
    done = _corral(environ, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    _check_shown(_shown_prompts(target, tmp_path, environ), NEUTRAL)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("P")) == []


def test_a_combining_accent_is_a_letter_of_the_prompt(tmp_path: Path, environ: dict[str, str]) -> None:
    """`cafe\u0301` (macOS spells folder names so) is an ordinary prompt, not refused as a character that could run."""
    target = tmp_path / "env"
    args = ["venv", "--no-seed", "--python", str(pyenv_python("3.12")), str(target), "--prompt", "cafe\u0301"]
    done = _corral(environ, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "prompt = cafe\u0301\n" in (target / "pyvenv.cfg").read_text(encoding="utf-8")
