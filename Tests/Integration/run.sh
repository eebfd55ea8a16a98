#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every root-only integration test (t_*.sh) and reports which failed. Needs root, /dev/net/tun,
# network namespaces, Debian's wireguard-tools, wireguard-go, iperf3, nftables and python3.
set -uo pipefail
cd "$(dirname "$0")"
# Under CI=true a test that prints a SKIP line fails unless the line says why CI cannot provide what is
# missing ("SKIP: ... [CI cannot provide: REASON]", as lib.sh's skip prints it).
failed=()
log=$(mktemp /tmp/wgrun.XXXXXX)
trap 'status=$?; rm -f "$log"; exit $status' EXIT
for t in ${*:-t_*.sh}; do
    echo "=== $t"
    start=$SECONDS
    bash "$t" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    if [ "$status" -eq 0 ] && [ "${CI:-}" = true ] && grep -E '^(# )?SKIP' "$log" | grep -vE '\[CI cannot provide: [^]]+\]' >/dev/null; then
        echo "=== $t skipped under CI=true without a reason CI cannot provide"
        status=1
    fi
    if [ "$status" -eq 0 ]; then
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
