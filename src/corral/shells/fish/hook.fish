# corral cd-hook for fish: add `corral hook fish | source` to ~/.config/fish/config.fish
function _corral_hook --on-event fish_prompt
    if test "$_CORRAL_LAST_PWD" != "$PWD"
        set -g _CORRAL_LAST_PWD $PWD
        @CORRAL@ hook-eval fish | source
    end
end
# after any corral command (venv, allow, ...) look again at the next prompt
function corral
    @CORRAL@ $argv
    set -l _corral_status $status
    set -e _CORRAL_LAST_PWD
    return $_corral_status
end
