#!/usr/bin/env bash
# Runs every test from a fresh Debian machine (as root): installs what the build and the tests need, builds,
# runs the Swift tests, then the root-only integration tests (network namespaces, TUN, Debian's
# wireguard-go, wg and wg-quick). Without root, only the Swift tests run, and it says so.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_deps build
if [ "$(id -u)" -eq 0 ]; then install_deps integration; fi

swift build --build-tests
swift test --skip-build

if [ "$(id -u)" -ne 0 ]; then
    echo "integration tests skipped: they need root (network namespaces, TUN)" >&2
    exit 0
fi
Tests/Integration/run.sh
