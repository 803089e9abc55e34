"""PowerShell and cmd cannot run here: their generated text and quoting are checked against each language's rules,
for the Windows layout (`Scripts\\`, `;` in PATH, case-insensitive paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import ShellError
from corral.plugins import load_shell
from corral.services.activation import activate_change, deactivate_change
from corral.shells.cmd import cmd_quote
from corral.shells.powershell import ps_quote

NASTY = "C:\\Users\\Jö 'x' \u2018y\u2019 $HOME `n %PATH% ! & ^ ; 中\\proj\\.venv"
PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def ps_unquote(literal: str) -> str:
    """PowerShell's verbatim-string rule: inside '...' every quote character must come doubled."""
    assert literal[0] in PS_QUOTES
    assert literal[-1] in PS_QUOTES
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] in PS_QUOTES:
            assert i + 1 < len(body), f"lone quote at the end of {literal!r}"
            assert body[i + 1] in PS_QUOTES, f"lone quote {body[i]!r} in {literal!r}"
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


@pytest.mark.parametrize("value", ["plain", "it's", "\u2018typographic\u2019", "$env:HOME `n", "100% ü", NASTY])
def test_powershell_quote_round_trips_under_the_verbatim_string_rule(value: str) -> None:
    assert ps_unquote(ps_quote(value)) == value


def test_powershell_activation_uses_scripts_and_semicolons() -> None:
    change = activate_change(Path(NASTY), {"PATH": r"C:\Windows;C:\Tools"}, windows=True)
    text = load_shell("pwsh").render(change)
    lines = text.splitlines()
    assert lines[0] == "$env:VIRTUAL_ENV = " + ps_quote(NASTY)
    path_line = next(line for line in lines if line.startswith("$env:PATH = "))
    assert ps_unquote(path_line[len("$env:PATH = ") :]) == NASTY + r"\Scripts;C:\Windows;C:\Tools"
    assert "function global:prompt" in text
    assert "\r" not in text


def test_powershell_deactivation_restores_the_prompt_and_removes_variables() -> None:
    change = deactivate_change({"VIRTUAL_ENV": NASTY, "PATH": NASTY + r"\Scripts;C:\Windows"}, windows=True)
    assert change is not None
    text = load_shell("powershell").render(change)
    assert "$env:PATH = 'C:\\Windows'" in text
    assert "Remove-Item -LiteralPath env:VIRTUAL_ENV -ErrorAction SilentlyContinue" in text
    assert "Copy-Item function:global:_corral_old_prompt function:global:prompt" in text


def test_cmd_activation_is_one_set_per_line_with_values_verbatim() -> None:
    change = activate_change(Path(NASTY), {"PATH": r"C:\Windows"}, windows=True)
    lines = load_shell("cmd").render(change).splitlines()
    assert lines[0] == f'set "VIRTUAL_ENV={NASTY}"'  # % and ! stay: FOR /F ... DO @%i does not re-expand
    assert f'set "PATH={NASTY}\\Scripts;C:\\Windows"' in lines
    assert 'if not defined _CORRAL_OLD_PROMPT call set "_CORRAL_OLD_PROMPT=%PROMPT%"' in lines
    assert all(line.startswith(("set ", "if ", "call ")) for line in lines)


def test_cmd_prompt_escapes_dollar_in_the_env_name(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = C:\\Python312\nprompt = a$b\n", encoding="utf-8")
    text = load_shell("cmd").render(activate_change(env, {"PATH": ""}, windows=True))
    assert 'call set "PROMPT=(a_b) %_CORRAL_OLD_PROMPT%"' in text  # `$` is sanitised before PROMPT sees it


def test_cmd_refuses_a_double_quote_it_cannot_express() -> None:
    with pytest.raises(ShellError, match="double quote"):
        load_shell("cmd").render(activate_change(Path('C:\\a"b'), {"PATH": ""}, windows=True))


def test_cmd_quote_doubles_double_quotes() -> None:
    assert cmd_quote('say "hi" 100%') == '"say ""hi"" 100%"'


def test_cmd_has_no_hook_and_says_what_to_use() -> None:
    with pytest.raises(ShellError, match="corral shell"):
        load_shell("cmd").hook(corral=["corral"])


def test_windows_paths_compare_case_insensitively_on_deactivation() -> None:
    change = deactivate_change(
        {"VIRTUAL_ENV": r"C:\Proj\.venv", "PATH": r"c:\proj\.VENV\scripts\;C:\Windows"}, windows=True
    )
    assert change is not None
    assert change.path == (r"C:\Windows",)
    assert change.path_sep == ";"


def test_cmd_subshell_puts_the_prompt_in_the_environment() -> None:
    plan = load_shell("cmd").subshell(
        executable="cmd.exe", init="", environ={"VIRTUAL_ENV_PROMPT": "demo", "PROMPT": "$P$G"}
    )
    assert plan.argv == ["cmd.exe", "/k"]
    assert plan.environ["PROMPT"] == "(demo) $P$G"


def test_powershell_subshell_dot_sources_the_init_file_after_the_profile() -> None:
    plan = load_shell("pwsh").subshell(executable="pwsh", init="$env:X = 'y'\n", environ={})
    assert plan.argv[:3] == ["pwsh", "-NoLogo", "-NoExit"]
    assert plan.files == {"init.ps1": "$env:X = 'y'\n"}
