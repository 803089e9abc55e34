"""Shell completion scripts (bash, zsh, fish, PowerShell) from a plain model of corral's argparse tree.

The CLI walks its parsers into `CommandSpec`s (cli/completion_cmd.py); this module only writes text. A value is
completed by kind: `path`/`dir` (the shell's own file completion), `=a b c` (fixed choices), `none` (nothing to
offer), or a dynamic kind in `DYNAMIC` that the script asks `corral __complete KIND` for at completion time
(group and extra names from the nearest pyproject.toml, kernel names, shells), so the script never goes stale.
Every script shares one rule for where the cursor is: the first word that is no option is the command, the next
one its action when it has actions (`envs list`), and after the first argument of `run`/`x` the words belong to
another program (key `-rest-`: the shell's default completion).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DYNAMIC", "SHELLS", "CommandSpec", "OptionSpec", "render_script"]

DYNAMIC = ("groups", "extras", "kernels", "shells")
SHELLS = ("bash", "zsh", "fish", "powershell")


@dataclass(frozen=True)
class OptionSpec:
    """One option: its spellings, help, and the kind of value it takes (None: a flag)."""

    flags: tuple[str, ...]
    help: str
    values: str | None = None


@dataclass(frozen=True)
class CommandSpec:
    """One parser: its key ('' for corral itself, 'envs list' for an action), options, actions, first argument."""

    key: str
    help: str
    options: tuple[OptionSpec, ...]
    subcommands: tuple[tuple[str, str], ...] = ()
    positional: str | None = None
    rest: bool = False  # its words after the first argument belong to another program (run, x)


def render_script(shell: str, specs: list[CommandSpec], *, version: str) -> str:
    """The completion script for `shell` (one of SHELLS)."""
    render = {"bash": _bash, "zsh": _zsh, "fish": _fish, "powershell": _powershell}[shell]
    return render(specs, version)


def _value_flags(specs: list[CommandSpec]) -> list[str]:
    return sorted({f for s in specs for o in s.options if o.values is not None for f in o.flags})


def _with_subs(specs: list[CommandSpec]) -> list[str]:
    return [s.key for s in specs if s.subcommands and s.key]


def _sh(word: str) -> str:
    """`word` quoted for bash/zsh/fish single quotes."""
    return "'" + word.replace("'", "'\\''") + "'"


# --- bash and zsh share the walk over the words before the cursor (valid in both) ---

_WALK = """\
__corral_walk() {  # sets key (command path, or -rest-) and cdir (-C DIR) from the words before the cursor
  local w cmd= sub= npos=0 skip=0 grab=0
  for w in "${__corral_args[@]}"; do
    if ((skip)); then skip=0; ((grab)) && cdir=$w; grab=0; continue; fi
    case $w in
      -C|--directory) skip=1; grab=1 ;;
      VALUE_FLAGS) skip=1 ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=$w
         elif [[ -z $sub && " WITH_SUBS " == *" $cmd "* ]]; then sub=$w
         else npos=$((npos + 1)); fi ;;
    esac
  done
  key=$cmd${sub:+ $sub}
  case $key in REST_KEYS) ((npos > 0)) && key=-rest- ;; esac
  return 0
}
"""


def _walk(specs: list[CommandSpec]) -> str:
    rest = "|".join(_sh(s.key) for s in specs if s.rest) or "''"
    return (
        _WALK.replace("VALUE_FLAGS", "|".join(_value_flags(specs)) or "''")
        .replace("WITH_SUBS", " ".join(_with_subs(specs)))
        .replace("REST_KEYS", rest)
    )


def _optval_case(specs: list[CommandSpec]) -> str:
    lines = []
    for spec in specs:
        for option in spec.options:
            if option.values is not None:
                pattern = "|".join(_sh(f"{spec.key}:{f}") for f in option.flags)
                lines.append(f"    {pattern}) kind={_sh(option.values)} ;;")
    return "\n".join(lines)


def _bash(specs: list[CommandSpec], version: str) -> str:
    cases = "\n".join(
        f"    {_sh(s.key)}) opts={_sh(' '.join(f for o in s.options for f in o.flags))}; "
        f"subs={_sh(' '.join(n for n, _ in s.subcommands))}; pos={_sh(s.positional or 'none')} ;;"
        for s in specs
    )
    return f"""\
# bash completion for corral {version}: eval "$(corral completion bash)" in ~/.bashrc
{_walk(specs)}
__corral_values() {{  # $1: a kind (path, dir, none, =choices, or one corral knows), $2: the word so far
  local IFS=$'\\n'
  case $1 in
    path) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$2")) ;;
    dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$2")) ;;
    none) COMPREPLY=() ;;
    '='*) IFS=$' \\t\\n'; COMPREPLY=($(compgen -W "${{1#=}}" -- "$2")) ;;
    *) local -a dir=(); [[ -n $cdir ]] && dir=(-C "$cdir")
       local w; COMPREPLY=()  # literal prefix match: compgen -W would expand $(...) in a name
       while IFS= read -r w; do [[ $w == "$2"* ]] && COMPREPLY+=("$w"); done \
         < <(command corral "${{dir[@]}}" __complete "$1" 2>/dev/null) ;;
  esac
}}

_corral() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} key kind= opts= subs= pos= cdir=
  local -a __corral_args=("${{COMP_WORDS[@]:1:COMP_CWORD-1}}")
  __corral_walk
  if [[ $key == -rest- ]]; then compopt -o default 2>/dev/null; COMPREPLY=(); return 0; fi
  case "$key:$prev" in
{_optval_case(specs)}
  esac
  if [[ -n $kind ]]; then __corral_values "$kind" "$cur"; return 0; fi
  case $key in
{cases}
    *) return 0 ;;
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $subs ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else __corral_values "$pos" "$cur"
  fi
  return 0
}}
complete -F _corral corral
"""


def _zsh_described(items: list[tuple[str, str]]) -> str:
    return " ".join(_sh(name.replace(":", "\\:") + ":" + text.replace("\n", " ")) for name, text in items)


def _zsh(specs: list[CommandSpec], version: str) -> str:
    cases = "\n".join(
        f"    {_sh(s.key)}) opts=({_zsh_described([(f, o.help) for o in s.options for f in o.flags])}); "
        f"subs=({_zsh_described(list(s.subcommands))}); pos={_sh(s.positional or 'none')} ;;"
        for s in specs
    )
    return f"""\
#compdef corral
# zsh completion for corral {version}: eval "$(corral completion zsh)" in ~/.zshrc (after compinit)
{_walk(specs)}
__corral_values() {{  # $1: a kind (path, dir, none, =choices, or one corral knows)
  case $1 in
    path) _files ;;
    dir) _files -/ ;;
    none) return 1 ;;
    '='*) compadd -- ${{=${{1#=}}}} ;;
    *) local -a found dir; [[ -n $cdir ]] && dir=(-C "$cdir")
       found=(${{(f)"$(command corral "${{dir[@]}}" __complete $1 2>/dev/null)"}}); compadd -a found ;;
  esac
}}

_corral() {{
  local key kind= pos= cdir= prev=${{words[CURRENT-1]}}
  local -a opts subs
  local -a __corral_args; __corral_args=("${{(@)words[2,CURRENT-1]}}")
  __corral_walk
  if [[ $key == -rest- ]]; then _default; return; fi
  case "$key:$prev" in
{_optval_case(specs)}
  esac
  if [[ -n $kind ]]; then __corral_values "$kind"; return; fi
  case $key in
{cases}
    *) return 1 ;;
  esac
  if [[ $PREFIX == -* ]]; then _describe -t options option opts
  elif (( ${{#subs}} )); then _describe -t commands command subs
  else __corral_values "$pos"
  fi
}}
# autoloaded from a file `_corral` in $fpath: complete now; evaluated: register with compinit's compdef
if [[ ${{funcstack[1]-}} == _corral ]]; then _corral "$@"
elif (( $+functions[compdef] )); then compdef _corral corral; fi
"""


def _fish_flags(option: OptionSpec) -> str:
    parts = []
    for flag in option.flags:
        if flag.startswith("--"):
            parts.append(f"-l {_sh(flag[2:])}")
        elif len(flag) == 2:  # noqa: PLR2004 - "-x"
            parts.append(f"-s {_sh(flag[1:])}")
        else:
            parts.append(f"-o {_sh(flag[1:])}")
    return " ".join(parts)


def _fish_values(kind: str | None) -> str:
    if kind is None:
        return ""
    if kind == "path":
        return " -r -F"
    if kind == "dir":
        return " -r -f -a '(__fish_complete_directories)'"
    if kind == "none":
        return " -r -f"
    if kind.startswith("="):
        return f" -r -f -a {_sh(kind[1:])}"
    return f" -r -f -a {_sh(f'(__corral_values {kind})')}"


def _fish(specs: list[CommandSpec], version: str) -> str:
    rest = " ".join(_sh(s.key) for s in specs if s.rest) or "''"
    flags = " ".join(_sh(f) for f in _value_flags(specs)) or "''"
    lines = [
        f"# fish completion for corral {version}: corral completion fish > ~/.config/fish/completions/corral.fish",
        "function __corral_key  # the command path before the cursor (or -rest- inside run/x's program)",
        "    set -l words (commandline -opc)",
        "    set -l cmd; set -l sub; set -l npos 0; set -l skip 0",
        "    for w in $words[2..-1]",
        "        if test $skip = 1; set skip 0; continue; end",
        "        switch $w",
        f"            case {flags}",
        "                set skip 1",
        "            case '-*'",
        "            case '*'",
        '                if test -z "$cmd"; set cmd $w',
        f'                else if test -z "$sub"; and contains -- $cmd {" ".join(_with_subs(specs))}; set sub $w',
        "                else; set npos (math $npos + 1); end",
        "        end",
        "    end",
        '    set -l key (string trim -- "$cmd $sub")',
        f'    if test $npos -gt 0; and contains -- "$key" {rest}; echo -- -rest-; else; echo -- "$key"; end',
        "end",
        'function __corral_is; test (__corral_key) = "$argv[1]"; end',
        "function __corral_values  # names corral knows (groups, extras...), seen from -C DIR when it is given",
        "    set -l words (commandline -opc); set -l dir",
        "    for i in (seq (math (count $words) - 1))",
        "        if contains -- $words[$i] -C --directory; set dir -C $words[(math $i + 1)]; end",
        "    end",
        "    command corral $dir __complete $argv[1] 2>/dev/null",
        "end",
        "complete -c corral -f",
        "complete -c corral -n '__corral_is -rest-' -F",
    ]
    for spec in specs:
        when = f"-n {_sh('__corral_is ' + _sh(spec.key))}"
        for name, text in spec.subcommands:
            lines.append(f"complete -c corral {when} -a {_sh(name)} -d {_sh(text)}")
        if not spec.subcommands and spec.positional not in {None, "none"}:
            lines.append(f"complete -c corral {when}{_fish_values(spec.positional).replace(' -r', '')}")
        lines.extend(
            f"complete -c corral {when} {_fish_flags(option)}{_fish_values(option.values)} -d {_sh(option.help)}"
            for option in spec.options
        )
    return "\n".join(lines) + "\n"


def _ps(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def _ps_list(words: list[str]) -> str:
    return "@(" + ", ".join(_ps(w) for w in words) + ")"


def _powershell(specs: list[CommandSpec], version: str) -> str:
    table = "\n".join(
        f"    {_ps(s.key)} = @{{ opts = {_ps_list([f for o in s.options for f in o.flags])}; "
        f"subs = {_ps_list([n for n, _ in s.subcommands])}; pos = {_ps(s.positional or 'none')}; "
        f"rest = ${str(s.rest).lower()} }}"
        for s in specs
    )
    optvals = "\n".join(
        f"    {_ps(s.key + ':' + f)} = {_ps(o.values)}"
        for s in specs
        for o in s.options
        if o.values is not None
        for f in o.flags
    )
    return f"""\
# PowerShell completion for corral {version}: corral completion powershell | Out-String | Invoke-Expression
$__corralSpec = @{{
{table}
}}
$__corralOptVals = @{{
{optvals}
}}
Register-ArgumentCompleter -Native -CommandName corral -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Where-Object {{ $_.Extent.EndOffset -lt $cursorPosition }} |
        Select-Object -Skip 1 | ForEach-Object {{ $_.ToString() }})
    $cmd = ''; $sub = ''; $npos = 0; $skip = $false
    foreach ($w in $words) {{
        if ($skip) {{ $skip = $false; continue }}
        if ($w.StartsWith('-')) {{
            $skip = @($__corralOptVals.Keys | Where-Object {{ $_.EndsWith(":$w") }}).Count -gt 0; continue
        }}
        if ($cmd -eq '') {{ $cmd = $w }}
        elseif ($sub -eq '' -and $__corralSpec[$cmd].subs.Count -gt 0) {{ $sub = $w }}
        else {{ $npos++ }}
    }}
    $key = if ($sub) {{ "$cmd $sub" }} else {{ $cmd }}
    $spec = $__corralSpec[$key]
    if ($null -eq $spec -or ($spec.rest -and $npos -gt 0)) {{ return }}
    $prev = if ($words.Count) {{ $words[-1] }} else {{ '' }}
    $kind = $__corralOptVals["${{key}}:$prev"]
    if (-not $kind) {{
        if ($wordToComplete.StartsWith('-')) {{ $candidates = $spec.opts }}
        elseif ($spec.subs.Count) {{ $candidates = $spec.subs }}
        else {{ $kind = $spec.pos }}
    }}
    if ($kind) {{
        if ($kind -in @('path', 'dir', 'none')) {{ return }}
        if ($kind.StartsWith('=')) {{ $candidates = $kind.Substring(1) -split ' ' }}
        else {{ $candidates = @(& corral __complete $kind 2>$null) }}
    }}
    $candidates | Where-Object {{ $_ -like "$wordToComplete*" }} | ForEach-Object {{
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }}
}}
"""
