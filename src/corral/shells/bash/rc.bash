# written by `corral shell`: the user's bashrc first, then the env on top
if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
