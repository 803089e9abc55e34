# corral cd-hook for bash: add `eval "$(corral hook bash)"` to ~/.bashrc
_corral_hook() {
  local _corral_status=$?
  if [ "${_CORRAL_LAST_PWD-}" != "$PWD" ]; then
    _CORRAL_LAST_PWD=$PWD
    eval "$(@CORRAL@ hook-eval bash)"
  fi
  return $_corral_status
}
case ";${PROMPT_COMMAND-};" in
  *";_corral_hook;"*) ;;
  *) PROMPT_COMMAND="_corral_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac
# after any corral command (venv, allow, ...) look again at the next prompt
corral() { @CORRAL@ "$@"; local _corral_status=$?; unset _CORRAL_LAST_PWD; return $_corral_status; }
