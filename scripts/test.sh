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

# Fuzz smoke: every libFuzzer target builds (debug, with the sanitizers) and runs 10 s from the committed
# corpus, which it replays first; the corpus is left as committed. Longer runs: scripts/fuzz.sh all 600.
FUZZ_CONFIG=debug FUZZ_MERGE=0 scripts/fuzz.sh all "${FUZZ_SMOKE_SECONDS:-10}"

if [ "$(id -u)" -ne 0 ]; then
    # CI runs as root: there a run without the integration tests is a failure.
    [ "${CI:-}" != true ] || { echo "integration tests need root (network namespaces, TUN); CI=true runs them" >&2; exit 1; }
    echo "integration tests skipped: they need root (network namespaces, TUN)" >&2
    exit 0
fi
Tests/Integration/run.sh

# The daemon's behaviour again with each offload turned off (the suite above runs with all of them on).
for off in WG_DISABLE_TUN_OFFLOAD WG_DISABLE_USO WG_DISABLE_UDP_GSO WG_DISABLE_UDP_GRO; do
    echo "=== with $off=1"
    env "$off=1" Tests/Integration/run.sh t_interop.sh t_roaming.sh t_allowed_ips.sh t_nat_keepalive.sh \
        t_daemon.sh t_uapi.sh t_ipv4_only.sh t_wg_tools.sh
done
