#!/usr/bin/env bash
# All tests: set up, build once with AddressSanitizer + UBSan (optimised,
# assertions on), and run every GoogleTest, RapidCheck and CLI test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSERA_SANITIZE=ON
cd build/test
ctest -j "$(nproc)" --output-on-failure --timeout 600
