# corral cd-hook for PowerShell: add `corral hook pwsh | Out-String | Invoke-Expression` to $PROFILE
if (-not (Test-Path function:global:_corral_hook_prompt)) {
  Copy-Item function:global:prompt function:global:_corral_hook_prompt
}
function global:prompt {
  if ($global:_CORRAL_LAST_PWD -ne $PWD.ProviderPath) {
    $global:_CORRAL_LAST_PWD = $PWD.ProviderPath
    (@CORRAL@ hook-eval pwsh) -join "`n" | Invoke-Expression
  }
  _corral_hook_prompt
}
