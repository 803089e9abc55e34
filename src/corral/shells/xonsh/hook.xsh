# corral cd-hook for xonsh: add `execx($(corral hook xonsh))` to ~/.xonshrc
@events.on_chdir
def _corral_hook(olddir, newdir, **kwargs):
    _corral_out = $(@CORRAL@ hook-eval xonsh)
    if _corral_out.strip():
        execx(_corral_out)

_corral_hook(None, None)
