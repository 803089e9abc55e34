# corral cd-hook for zsh: add `eval "$(corral hook zsh)"` to ~/.zshrc
_corral_hook() {
  if [[ "${_CORRAL_LAST_PWD-}" != "$PWD" ]]; then
    _CORRAL_LAST_PWD=$PWD
    eval "$(@CORRAL@ hook-eval zsh)"
  fi
}
autoload -Uz add-zsh-hook
add-zsh-hook precmd _corral_hook
# after any corral command (venv, allow, ...) look again at the next prompt
corral() { @CORRAL@ "$@"; local _corral_status=$?; unset _CORRAL_LAST_PWD; return $_corral_status; }
