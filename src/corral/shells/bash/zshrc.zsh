# written by `corral shell`: restore ZDOTDIR, run the user's .zshrc, then the env on top
ZDOTDIR=${_CORRAL_USER_ZDOTDIR:-$HOME}
unset _CORRAL_USER_ZDOTDIR
if [[ "$ZDOTDIR" == "$HOME" ]]; then unset ZDOTDIR; fi
if [[ -f "${ZDOTDIR:-$HOME}/.zshrc" ]]; then source "${ZDOTDIR:-$HOME}/.zshrc"; fi
