#!/usr/bin/env bash
# S3 benchmark of the embedded default over loopback (prints figures,
# asserts nothing). The load generator is bench/s3_load (C++, blocking Beast
# clients, UNSIGNED-PAYLOAD bodies from one repeated block), so the client
# costs little of the machine's two cores. Beside the S3 figures, in the
# same run: write_bound_bench, the machine's bound for the same bytes
# (encode + SHA-256 + fsync'd writes of the 1.4x fragment bytes; reading the
# 10 data fragments back with SHA-256).
# Usage: bench/s3_bench.sh [BUILD_DIR=build/release] [GIB_OBJECTS=3] [SMALL_OBJECTS=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
gib=${2:-3}
small=${3:-5000}
if [ ! -x "$build/bench/s3_load" ]; then
  scripts/setup.sh > /dev/null
  scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF > /dev/null
fi
dir=$(mktemp -d "$PWD/tessera-bench.XXXXXX")
trap 'kill $(cat "$dir/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$dir"' EXIT
key=BENCHACCESSKEY000001
secret=benchsecret00000000000000000000000000001
echo "$key:$secret" > "$dir/users"

"$build/bench/write_bound_bench" "$dir/bound" 1024

"$build/prod/tessera-server" --data-dir "$dir/data" --port 0 --users "$dir/users" > "$dir/server.log" 2>&1 &
echo $! > "$dir/pid"
for _ in $(seq 1 100); do grep -q "Tessera S3 on" "$dir/server.log" && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$dir/server.log")
curl -s -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$key:$secret" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$port/bench" > /dev/null
load() { "$build/bench/s3_load" 127.0.0.1 "$port" "$key" "$secret" "$@"; }

load put bench $((1 << 30)) "$gib" 1
load get bench $((1 << 30)) "$gib" 1
load put bench 4096 "$small" 16
load get bench 4096 "$small" 16
load put bench $((5 << 30)) 1 1
echo "server_peak_rss_mib $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$(cat "$dir/pid")/status") / 1024 ))"
