#!/usr/bin/env bash
# Swarm: runs many seeds of every scenario across all cores and prints a
# table of scenario x seeds x violations. Failing seeds are listed with the
# command that reproduces them.
# Usage: scripts/swarm.sh [SEEDS=1000] [FIRST_SEED=1] [scenario files...]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1000}
first=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then scenarios=(scenarios/*.textproto); fi

scripts/setup.sh > /dev/null
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF > /dev/null
sim=build/release/sim/tessera-sim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf '%-20s %8s %8s %10s %8s\n' scenario seeds failed violations wall_s
for scenario in "${scenarios[@]}"; do
  name=$(basename "$scenario" .textproto)
  start=$(date +%s)
  # Each line: exit status and the JSON summary of one seed.
  seq "$first" $((first + seeds - 1)) | xargs -P "$(nproc)" -I{} sh -c \
    "$sim --scenario $scenario --seed {} 2>/dev/null; echo \"exit=\$? seed={}\"" > "$out/$name.log" || true
  failed=$(grep -c '^exit=[^0]' "$out/$name.log" || true)
  violations=$(grep -o '"violations":[0-9]*' "$out/$name.log" | cut -d: -f2 | awk '{s+=$1} END {print s+0}')
  printf '%-20s %8d %8d %10d %8d\n' "$name" "$seeds" "$failed" "${violations:-0}" $(( $(date +%s) - start ))
  { grep '^exit=[^0]' "$out/$name.log" || true; } | sed 's/.*seed=//' | while read -r s; do
    echo "  failing: $sim --scenario $scenario --seed $s --record $name-$s.replay"
  done
done
