#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Daemon benchmark: the same two-namespace topology twice back to back, once with wireguard-swift and once
# with Debian's wireguard-go, measuring TCP throughput (iperf3, DURATION s, default 10), ping latency
# (100 pings) and the CPU time both daemons used during the iperf3 run. Prints our/wireguard-go ratios.
# Usage: bench/run.sh [DURATION]   (root; builds the release daemon first)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root" >&2; exit 1; }
DURATION=${1:-10}
source scripts/deps.sh
install_deps build
install_deps integration
swift build -c release --product wireguard-swift 2>&1 | tail -1
OURS="$PWD/.build/release/wireguard-swift"
GO=$(command -v wireguard-go)
source scripts/topology.sh
trap 'topo_down; rm -rf "$TOPO_DIR"' EXIT

cpu_ticks() {  # total utime+stime of the given pids, in clock ticks
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}

# measure NAME DAEMON: prints "NAME gbits latency_ms cpu_seconds"
measure() {
    topo_up "$2"
    ip netns exec "$TOPO_A" ping -c 1 -W 5 10.240.0.2 >/dev/null
    local latency
    latency=$(ip netns exec "$TOPO_A" ping -c 100 -i 0.01 -q 10.240.0.2 | awk -F/ '/rtt/ { print $5 }')
    ip netns exec "$TOPO_B" iperf3 -s -1 -D -B 10.240.0.2 >/dev/null
    sleep 0.5
    local pids before after json
    pids=$(topo_pids)
    before=$(cpu_ticks $pids)
    json=$(ip netns exec "$TOPO_A" iperf3 -c 10.240.0.2 -t "$DURATION" -J)
    after=$(cpu_ticks $pids)
    local bps
    bps=$(echo "$json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
    echo "$1 $bps $latency $(( after - before )) $(getconf CLK_TCK)"
    topo_down
}

echo "# $(nproc) cores, $(uname -r), iperf3 ${DURATION} s TCP, wireguard-go $($GO --version | head -1 | awk '{print $2}')" >&2
ours=$(measure wireguard-swift "$OURS")
theirs=$(measure wireguard-go "$GO")
python3 - "$DURATION" "$ours" "$theirs" <<'PY'
import sys
duration = float(sys.argv[1])
rows = []
for line in sys.argv[2:]:
    name, bps, lat, ticks, hz = line.split()
    rows.append((name, float(bps) / 1e9, float(lat), int(ticks) / int(hz)))
(o, g) = rows
print(f"{'':18}{'throughput':>14}{'ping avg':>12}{'daemon CPU':>14}{'CPU s per GB':>14}")
for name, gbit, lat, cpu in rows:
    print(f"{name:18}{gbit:>9.2f} Gbit/s{lat:>9.3f} ms{cpu:>12.2f} s{cpu / max(gbit / 8 * duration, 1e-9):>14.2f}")
print(f"{'ours/wireguard-go':18}{o[1] / g[1]:>14.2f}{o[2] / g[2]:>12.2f}{o[3] / g[3]:>14.2f}"
      f"{(o[3] / o[1]) / (g[3] / g[1]):>14.2f}")
PY
