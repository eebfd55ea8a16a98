#!/usr/bin/env bash
# Prints the protocol core's benchmark figures (release build). Usage: scripts/bench.sh [seconds-per-figure]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f /usr/include/openssl/evp.h ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev; }
swift build -c release --product wireguard-bench
.build/release/wireguard-bench "${1:-3}"
echo "reference on this machine, same run: openssl speed -evp chacha20-poly1305 at 1420 bytes"
openssl speed -seconds 3 -bytes 1420 -evp chacha20-poly1305 2>/dev/null | tail -1 \
    | awk '{ printf "  %.1f Gbit/s\n", $2 * 8 / 1e6 }'

# Allocations per packet on the in-place transport path: heap allocations for 20,000 vs 1,000 seal+open pairs.
if command -v valgrind >/dev/null; then
    allocs() { valgrind .build/release/wireguard-bench --alloc-check "$1" 2>&1 | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,; }
    small=$(allocs 1000); large=$(allocs 20000)
    echo "heap allocations: $small for 1,000 packets, $large for 20,000 packets" \
         "=> $(( (large - small) / 19000 )) per packet ($(( large - small )) extra for 19,000 more)"
else
    echo "(valgrind not installed: allocation check skipped)"
fi
