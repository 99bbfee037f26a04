#!/usr/bin/env bash
# The main job: set up, build (Release) and start the S3 server on its
# embedded default: one process with every role, 14 disk directories under
# ./tessera-data, 10+4 erasure coding, S3 on http://127.0.0.1:9000.
# Extra arguments go to tessera-server (see --help), e.g. --port 9100.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF
exec build/release/prod/tessera-server "$@"
