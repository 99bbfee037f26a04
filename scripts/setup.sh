#!/usr/bin/env bash
# Installs every Debian package Tessera needs to build, test and benchmark,
# and the npm packages of the JavaScript SDK tests.
# Idempotent: when everything is present it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libboost-program-options-dev
  libssl-dev libisal-dev libjerasure-dev libgf-complete-dev
  librocksdb-dev libprotobuf-dev protobuf-compiler
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  libpugixml-dev nlohmann-json3-dev
  # tessera-admin durability --plot
  gnuplot-nox
  # real S3 clients for the integration tests
  awscli s3cmd python3-boto3 curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  # dpkg-query reports "install ok installed" only for fully installed packages.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

# Node.js and npm for the JavaScript SDK tests: the machine's own when it
# has them (a newer Node than Debian's 18), Debian's otherwise.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The JavaScript SDK at the versions package-lock.json pins, installed again
# only when the lock changed.
JS=tests/integration/js
if [ ! -f "$JS/node_modules/.package-lock.json" ] || [ "$JS/package-lock.json" -nt "$JS/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci in $JS"
  (cd "$JS" && npm ci --no-audit --no-fund --loglevel=error)
fi
