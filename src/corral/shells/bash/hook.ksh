# corral cd-hook for ksh: add `eval "$(corral hook ksh)"` to ~/.kshrc (ksh has no prompt hook: cd is wrapped)
_corral_hook() {
  if [ "${_CORRAL_LAST_PWD-}" != "$PWD" ]; then
    _CORRAL_LAST_PWD=$PWD
    eval "$(@CORRAL@ hook-eval ksh)"
  fi
}
cd() { command cd "$@" || return; _corral_hook; }
_corral_hook
