# written by `corral shell`: restore HOME, run the user's rc, then the env on top
setenv HOME "$_CORRAL_USER_HOME"
unsetenv _CORRAL_USER_HOME
if ( -f ~/.tcshrc ) then
  source ~/.tcshrc
else if ( -f ~/.cshrc ) then
  source ~/.cshrc
endif
