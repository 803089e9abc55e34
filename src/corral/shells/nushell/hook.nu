# corral for nushell: `corral hook nu | save -f ($nu.default-config-dir | path join corral.nu)`,
# then add `source corral.nu` to config.nu. Gives corral-activate, corral-deactivate and the cd-hook.
def --env corral-apply [change: record] {
  load-env $change.set
  hide-env -i ...$change.unset
}
def --env --wrapped corral-activate [...args] { corral-apply (@CORRAL@ activate --shell nu ...$args | from json) }
def --env corral-deactivate [] { corral-apply (@CORRAL@ deactivate --shell nu | from json) }
$env.config.hooks.env_change.PWD = ($env.config.hooks.env_change.PWD? | default [] | append {|before, after|
  let out = (@CORRAL@ hook-eval nu | str trim)
  if ($out | is-not-empty) { corral-apply ($out | from json) }
})
