#!/usr/bin/env bash
# The main job: set up, build (Release) and run the simulator on the default
# scenario, printing its counters and the one-line JSON summary.
# Extra arguments go to tessera-sim (e.g. --seed 7, --scenario FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF
case " $* " in
  *" --scenario"*) ;;
  *) set -- --scenario scenarios/rpc_partition.textproto "$@" ;;
esac
exec build/release/sim/tessera-sim --verbose "$@"
