#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Daemon benchmark: the same two-namespace topology (scripts/topology.sh) for each daemon configuration, in
# alternating rounds, both ends the same daemon. Per configuration and round: ping RTT idle; iperf3 TCP single
# stream (throughput, retransmits, daemon CPU-seconds per GB moved) with ping running beside it (RTT under
# load); TCP reverse (-R); TCP 4 streams (-P 4); UDP with 64-byte payloads (packets/s received, loss).
# Prints the median of the rounds per configuration and ratios against the reference wireguard-go.
#
# Usage: bench/run.sh [ROUNDS] [DURATION]        (root; builds the release daemon first)
#   ROUNDS    rounds per configuration (default 3), DURATION seconds per iperf3 run (default 10)
#   WGGO=/path/to/wireguard-go   a second (newer) wireguard-go, added to the comparison and used as reference
#   CONFIGS="ours go ..."       which configurations to run (default: all). Names: ours, ours-no-tun-offload,
#             ours-no-uso, ours-no-udp-gso, ours-no-udp-gro, ours-metrics (WG_METRICS_ADDRESS set, not scraped),
#             go (Debian's), wggo (WGGO)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root" >&2; exit 1; }
ROUNDS=${1:-3}
DURATION=${2:-10}
source scripts/deps.sh
install_deps build
install_deps integration
swift build -c release --product wireguard-swift 2>&1 | tail -1
OURS="$PWD/.build/release/wireguard-swift"
GO=$(command -v wireguard-go)
source scripts/topology.sh
RESULTS="$TOPO_DIR/results"
trap 'topo_down; rm -rf "$TOPO_DIR"' EXIT

declare -A DAEMON=(
    [ours]="$OURS"
    [ours-no-tun-offload]="env WG_DISABLE_TUN_OFFLOAD=1 $OURS"
    [ours-no-uso]="env WG_DISABLE_USO=1 $OURS"
    [ours-no-udp-gso]="env WG_DISABLE_UDP_GSO=1 $OURS"
    [ours-no-udp-gro]="env WG_DISABLE_UDP_GRO=1 $OURS"
    [ours-metrics]="env WG_METRICS_ADDRESS=127.0.0.1:9586 $OURS"
    [go]="$GO"
)
ORDER="ours ours-no-tun-offload ours-no-uso ours-no-udp-gso ours-no-udp-gro go"
if [ -n "${WGGO:-}" ]; then
    DAEMON[wggo]="$WGGO"
    ORDER="$ORDER wggo"
fi
CONFIGS=${CONFIGS:-$ORDER}

cpu_ticks() {  # total utime+stime of the given pids, in clock ticks
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}

iperf() {  # iperf3 client in A against B's server, JSON
    ip netns exec "$TOPO_A" iperf3 -c 10.240.0.2 -t "$DURATION" -J "$@"
}

# measure NAME: one round of every figure for configuration NAME, as one JSON line in $RESULTS.
measure() {
    local name=$1
    topo_up "${DAEMON[$name]}"
    ip netns exec "$TOPO_A" ping -c 1 -W 5 10.240.0.2 >/dev/null
    local idle loaded pids before after
    idle=$(ip netns exec "$TOPO_A" ping -c 50 -i 0.02 -q 10.240.0.2 | awk -F/ '/rtt/ { print $5 }')
    ip netns exec "$TOPO_B" iperf3 -s -D -B 10.240.0.2 >/dev/null
    sleep 0.5
    pids=$(topo_pids)
    before=$(cpu_ticks $pids)
    ip netns exec "$TOPO_A" ping -c $((DURATION * 4 - 4)) -i 0.25 -q 10.240.0.2 >"$TOPO_DIR/ping" &
    local ping_pid=$!
    iperf >"$TOPO_DIR/tcp.json"
    after=$(cpu_ticks $pids)
    wait "$ping_pid" || true
    loaded=$(awk -F/ '/rtt/ { print $5 }' "$TOPO_DIR/ping")
    iperf -R >"$TOPO_DIR/reverse.json"
    iperf -P 4 >"$TOPO_DIR/parallel.json"
    iperf -u -b 0 -l 64 >"$TOPO_DIR/udp.json"
    python3 - "$name" "$idle" "${loaded:-nan}" "$((after - before))" "$(getconf CLK_TCK)" "$DURATION" "$TOPO_DIR" \
        >>"$RESULTS" <<'PY'
import json, sys
name, idle, loaded, ticks, hz, duration, d = sys.argv[1:]
load = lambda f: json.load(open(f"{d}/{f}.json"))["end"]
tcp, rev, par, udp = load("tcp"), load("reverse"), load("parallel"), load("udp")
gbytes = tcp["sum_received"]["bytes"] / 1e9
cpu = int(ticks) / int(hz)
u = udp["sum"]
print(json.dumps({
    "name": name, "tcp": tcp["sum_received"]["bits_per_second"] / 1e9,
    "retransmits": tcp["sum_sent"].get("retransmits", 0), "cpu_per_gb": cpu / max(gbytes, 1e-9),
    "reverse": rev["sum_received"]["bits_per_second"] / 1e9, "parallel": par["sum_received"]["bits_per_second"] / 1e9,
    "udp_kpps": (u["packets"] - u["lost_packets"]) / float(duration) / 1e3, "udp_loss": u["lost_percent"],
    "ping_idle": float(idle), "ping_loaded": float(loaded)}))
PY
    topo_down
}

echo "# $(nproc) cores, $(uname -r), $ROUNDS rounds, iperf3 ${DURATION} s; wireguard-go: $($GO --version | head -1 | awk '{print $2}')${WGGO:+, WGGO $($WGGO --version | head -1 | awk '{print $2}')}" >&2
for round in $(seq 1 "$ROUNDS"); do
    for name in $CONFIGS; do
        echo "# round $round: $name" >&2
        measure "$name"
    done
done
python3 - "$RESULTS" "$CONFIGS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
order = sys.argv[2].split()
cols = [("tcp", "TCP Gbit/s", "{:.2f}"), ("retransmits", "retr", "{:.0f}"), ("cpu_per_gb", "CPU s/GB", "{:.2f}"),
        ("reverse", "-R Gbit/s", "{:.2f}"), ("parallel", "-P4 Gbit/s", "{:.2f}"), ("udp_kpps", "UDP64 kpps", "{:.0f}"),
        ("udp_loss", "loss %", "{:.1f}"), ("ping_idle", "ping ms", "{:.3f}"), ("ping_loaded", "loaded ms", "{:.3f}")]
med = {}
for name in order:
    mine = [r for r in rows if r["name"] == name]
    if mine:
        med[name] = {k: statistics.median(r[k] for r in mine) for k, _, _ in cols}
        med[name]["range"] = (min(r["tcp"] for r in mine), max(r["tcp"] for r in mine))
print(f"median of {len(rows) // max(len(med), 1)} alternating rounds")
print(f"{'':22}" + "".join(f"{h:>12}" for _, h, _ in cols) + f"{'TCP range':>14}")
for name, m in med.items():
    print(f"{name:22}" + "".join(f"{f.format(m[k]):>12}" for k, _, f in cols) + f"{m['range'][0]:>7.2f}–{m['range'][1]:.2f}")
ref = "wggo" if "wggo" in med else "go"
if ref in med:
    for name in [n for n in med if n.startswith("ours")]:
        o, g = med[name], med[ref]
        ratio = lambda k: o[k] / g[k] if g[k] else float("nan")
        print(f"{name + '/' + ref:22}" + "".join(f"{ratio(k):>12.2f}" for k, _, _ in cols))
PY
