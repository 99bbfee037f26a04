#!/usr/bin/env bash
# Installs every Debian package Tessera needs to build, test and benchmark.
# Idempotent: when everything is present it only checks and exits.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libboost-program-options-dev
  libssl-dev libisal-dev libjerasure-dev libgf-complete-dev
  librocksdb-dev libprotobuf-dev protobuf-compiler
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  libpugixml-dev
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

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
