set _corral_cmd = ( @CORRAL@ ) ;
alias cwdcmd 'eval "`$_corral_cmd:q hook-eval tcsh`"' ;
eval "`$_corral_cmd:q hook-eval tcsh`" ;
