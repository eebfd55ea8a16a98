#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every root-only integration test (t_*.sh) and reports which failed. Needs root, /dev/net/tun,
# network namespaces, Debian's wireguard-tools, wireguard-go, iperf3, nftables and python3.
set -uo pipefail
cd "$(dirname "$0")"
failed=()
for t in ${*:-t_*.sh}; do
    echo "=== $t"
    start=$SECONDS
    if bash "$t"; then
        echo "=== $t passed ($((SECONDS - start)) s)"
    else
        echo "=== $t FAILED ($((SECONDS - start)) s)"
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "integration tests failed: ${failed[*]}"
    exit 1
fi
echo "all integration tests passed"
