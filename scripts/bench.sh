#!/usr/bin/env bash
# Prints the protocol core's benchmark figures (release build), each beside its OpenSSL reference measured in
# the same run on the same core (wireguard-bench spawns `openssl speed` itself), then heap allocations per
# packet and per complete handshake. Usage: scripts/bench.sh [CPU-seconds-per-figure]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f /usr/include/openssl/evp.h ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev; }
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product wireguard-bench 2>&1 | tail -1
BENCH="$SCRATCH/release/wireguard-bench"
"$BENCH" "${1:-3}"

# Heap allocations for two run lengths; the difference over the extra work is the per-item count (start-up
# allocations, OpenSSL's included, cancel out). Valgrind 3.19 cannot read the DWARF 5 debug information
# Swift 6 emits, so it runs a copy with the debug sections stripped (the symbol table stays).
if command -v valgrind >/dev/null; then
    STRIPPED=$(mktemp)
    trap 'rm -f "$STRIPPED"' EXIT
    strip --strip-debug -o "$STRIPPED" "$BENCH"
    chmod +x "$STRIPPED"
    allocs() { valgrind "$STRIPPED" "$@" 2>&1 | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,; }
    per() { # label small large args...
        local label=$1 small=$2 large=$3; shift 3
        local a b
        a=$(allocs "$@" "$small"); b=$(allocs "$@" "$large")
        echo "heap allocations per $label: $(( (b - a) / (large - small) ))" \
             "($a for $small, $b for $large; $(( b - a )) for $(( large - small )) more)"
    }
    per "seal+open pair (1420 B)" 1000 20000 --alloc-check
    per "complete handshake (two engines: initiation, response, keepalive)" 20 120 --handshakes
else
    echo "(valgrind not installed: allocation check skipped)"
fi
