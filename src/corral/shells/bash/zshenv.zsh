# written by `corral shell`: chain to the user's .zshenv, keep ZDOTDIR private until .zshrc
if [[ -f "${_CORRAL_USER_ZDOTDIR:-$HOME}/.zshenv" ]]; then
  _corral_zd=$ZDOTDIR; ZDOTDIR=${_CORRAL_USER_ZDOTDIR:-$HOME}; source "$ZDOTDIR/.zshenv"; ZDOTDIR=$_corral_zd; unset _corral_zd
fi
