#!/usr/bin/env bash
# Runs every test from a fresh Debian machine (as root): installs what the build needs, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "need root to install: ${need[*]}" >&2; exit 1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

swift build --build-tests
swift test --skip-build
