#!/usr/bin/env bash
# Per-prompt cost of corral's bash cd-hook.
#   nothing changed: the prompt function compares $PWD in pure bash (target < 5 ms; it is microseconds)
#   folder changed:  one `corral hook-eval` run (Python start-up + a look at pyproject.toml / pyvenv.cfg)
# usage: benchmarks/bench_hook.sh [PROJECT_DIR]   (CORRAL=command to run corral, N=prompts to time)
set -eu
CORRAL=${CORRAL:-corral}
N=${N:-1000}
M=${M:-20}
target=${1:-$PWD}
eval "$($CORRAL hook bash)"
cd "$target"
_corral_hook  # first prompt in this folder: asks corral once

start=$(date +%s%N)
for ((i = 0; i < N; i++)); do _corral_hook; done
end=$(date +%s%N)
echo "unchanged \$PWD: $N prompts in $(((end - start) / 1000000)) ms = $(((end - start) / N / 1000)) us per prompt"

start=$(date +%s%N)
for ((i = 0; i < M; i++)); do unset _CORRAL_LAST_PWD; _corral_hook; done
end=$(date +%s%N)
echo "changed \$PWD:   $M prompts in $(((end - start) / 1000000)) ms = $(((end - start) / M / 1000000)) ms per prompt"
