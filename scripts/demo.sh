#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job, on a fresh Debian machine as root: installs what it needs, builds wireguard-swift (release),
# and our wg, and runs a real tunnel between two network namespaces: handshake, ping, a 5-second iperf3,
# `wg show`.
# Everything it creates is removed at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo.sh needs root (network namespaces, TUN)" >&2; exit 1; }
source scripts/deps.sh
install_deps build
install_deps integration

echo "== building wireguard-swift and wg (release)"
swift build -c release --product wireguard-swift 2>&1 | tail -1
swift build -c release --product wg 2>&1 | tail -1
DAEMON="$PWD/.build/release/wireguard-swift"
# Our wg configures and shows the tunnel.
export PATH="$PWD/.build/release:$PATH"

source scripts/topology.sh
trap 'topo_down; rm -rf "$TOPO_DIR"' EXIT
echo "== two namespaces ($TOPO_A, $TOPO_B) joined by a veth pair; wireguard-swift in each"
topo_up "$DAEMON"

echo "== handshake"
ip netns exec "$TOPO_A" wg show "$TOPO_IF_A" latest-handshakes | awk '{ print "before: latest handshake " ($2 == 0 ? "never" : $2) }'
ip netns exec "$TOPO_A" ping -c 1 -W 5 10.240.0.2 >/dev/null
ip netns exec "$TOPO_A" wg show "$TOPO_IF_A" latest-handshakes | awk -v now="$(date +%s)" '{ print "after first packet: latest handshake " now - $2 " s ago" }'

echo "== ping through the tunnel"
ip netns exec "$TOPO_A" ping -c 5 -i 0.2 10.240.0.2

echo "== iperf3, 5 seconds, TCP, through the tunnel"
ip netns exec "$TOPO_B" iperf3 -s -1 -D -B 10.240.0.2 >/dev/null
sleep 0.5
ip netns exec "$TOPO_A" iperf3 -c 10.240.0.2 -t 5 | grep -E "sender|receiver"

echo "== wg show"
ip netns exec "$TOPO_A" wg show "$TOPO_IF_A"
echo
ip netns exec "$TOPO_B" wg show "$TOPO_IF_B"
echo "== done; removing namespaces"
