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
