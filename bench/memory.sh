#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Daemon memory benchmark, both ends the same daemon (scripts/topology.sh), for ours and wireguard-go:
# - idle: resident set (VmRSS, and its anonymous part) of the initiating daemon with one peer, 5 s after a
#   handshake and a few pings;
# - load: VmRSS sampled every 5 s through a SATURATE-second iperf3 TCP run (first, max, last);
# - flood: VmRSS sampled through FLOOD seconds of UDP packets routed to a peer that has no session (its
#   other end does not know us, so every handshake fails and packets pile up for the peer).
# Usage: bench/memory.sh [SATURATE] [FLOOD]  (root; default 60 and 20 s; WGGO=/path adds a second wireguard-go;
#        OURS_BIN=/path measures that wireguard-swift binary instead of building the release one)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/memory.sh needs root" >&2; exit 1; }
SATURATE=${1:-60}
FLOOD=${2:-20}
source scripts/deps.sh
install_deps build
install_deps integration
[ -n "${OURS_BIN:-}" ] || swift build -c release --product wireguard-swift 2>&1 | tail -1
declare -A DAEMON=([ours]="${OURS_BIN:-$PWD/.build/release/wireguard-swift}" [go]="$(command -v wireguard-go)")
ORDER="ours go"
if [ -n "${WGGO:-}" ]; then DAEMON[wggo]="$WGGO"; ORDER="$ORDER wggo"; fi
source scripts/topology.sh
trap 'topo_down; rm -rf "$TOPO_DIR"' EXIT

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
anon() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status"; }
pid_a() { ip netns pids "$TOPO_A" | head -1; }

# sample SECONDS PID: VmRSS every 5 s; prints "first max last" in KiB.
sample() {
    local end=$((SECONDS + $1)) pid=$2 first="" max=0 last=0 v
    while [ $SECONDS -lt $end ]; do
        v=$(rss "$pid"); first=${first:-$v}; last=$v
        [ "$v" -gt "$max" ] && max=$v
        sleep 5
    done
    echo "$first $max $last"
}

printf '%-8s %10s %10s   %-26s %-26s\n' "" "idle RSS" "idle anon" "saturated RSS first/max/last" "no-session flood first/max/last"
for name in $ORDER; do
    topo_up "${DAEMON[$name]}"
    ip netns exec "$TOPO_A" ping -c 5 -i 0.2 -W 5 10.240.0.2 >/dev/null
    sleep 5
    pid=$(pid_a)
    idle=$(rss "$pid"); idle_anon=$(anon "$pid")
    ip netns exec "$TOPO_B" iperf3 -s -1 -D -B 10.240.0.2 >/dev/null
    sleep 0.3
    ip netns exec "$TOPO_A" iperf3 -c 10.240.0.2 -t "$SATURATE" >/dev/null &
    load=$(sample "$SATURATE" "$pid")
    wait
    # B forgets A: A's packets for B now wait for a handshake that never completes.
    ip netns exec "$TOPO_B" wg set "$TOPO_IF_B" peer "$(wg pubkey <"$TOPO_DIR/a.key")" remove
    ip netns exec "$TOPO_A" wg set "$TOPO_IF_A" peer "$(wg pubkey <"$TOPO_DIR/b.key")" remove
    ip netns exec "$TOPO_A" wg set "$TOPO_IF_A" peer "$(wg pubkey <"$TOPO_DIR/b.key")" endpoint 192.168.240.2:51820 allowed-ips 10.240.0.2/32
    ip netns exec "$TOPO_A" timeout "$FLOOD" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(1000)
while True:
    try: s.sendto(payload, ("10.240.0.2", 9))
    except OSError: pass' &
    flood=$(sample "$FLOOD" "$pid")
    wait || true
    printf '%-8s %7s KiB %7s KiB   %-26s %-26s\n' "$name" "$idle" "$idle_anon" "$load" "$flood"
    topo_down
done
