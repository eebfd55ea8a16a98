# SPDX-License-Identifier: MIT
# The two-namespace topology shared by the demo and the benchmark: namespaces wgdemo-a-PID and wgdemo-b-PID
# joined by a veth pair (192.168.240.1/2), a WireGuard daemon in each (ours or wireguard-go), configured
# with Debian's wg, tunnel addresses 10.240.0.1/2. topo_down removes everything, and runs from a trap.

TOPO_A="wgdemo-a-$$"
TOPO_B="wgdemo-b-$$"
TOPO_IF_A="wgdemoa$$"
TOPO_IF_B="wgdemob$$"
TOPO_DIR=$(mktemp -d /tmp/wgdemo.XXXXXX)

# topo_up DAEMON_COMMAND: builds the topology with DAEMON_COMMAND as the daemon on both sides.
topo_up() {
    local daemon=$1
    ip netns add "$TOPO_A"
    ip netns add "$TOPO_B"
    ip -n "$TOPO_A" link set lo up
    ip -n "$TOPO_B" link set lo up
    ip link add "vd$$a" netns "$TOPO_A" type veth peer name "vd$$b" netns "$TOPO_B"
    ip -n "$TOPO_A" addr add 192.168.240.1/24 dev "vd$$a"
    ip -n "$TOPO_B" addr add 192.168.240.2/24 dev "vd$$b"
    ip -n "$TOPO_A" link set "vd$$a" up
    ip -n "$TOPO_B" link set "vd$$b" up
    ip netns exec "$TOPO_A" env LOG_LEVEL=error $daemon "$TOPO_IF_A" >>"$TOPO_DIR/daemon-a.log" 2>&1
    ip netns exec "$TOPO_B" env LOG_LEVEL=error $daemon "$TOPO_IF_B" >>"$TOPO_DIR/daemon-b.log" 2>&1
    (umask 077; wg genkey >"$TOPO_DIR/a.key"; wg genkey >"$TOPO_DIR/b.key")
    ip netns exec "$TOPO_A" wg set "$TOPO_IF_A" private-key "$TOPO_DIR/a.key" listen-port 51820 \
        peer "$(wg pubkey <"$TOPO_DIR/b.key")" endpoint 192.168.240.2:51820 allowed-ips 10.240.0.2/32
    ip netns exec "$TOPO_B" wg set "$TOPO_IF_B" private-key "$TOPO_DIR/b.key" listen-port 51820 \
        peer "$(wg pubkey <"$TOPO_DIR/a.key")" endpoint 192.168.240.1:51820 allowed-ips 10.240.0.1/32
    ip -n "$TOPO_A" addr add 10.240.0.1/24 dev "$TOPO_IF_A"
    ip -n "$TOPO_B" addr add 10.240.0.2/24 dev "$TOPO_IF_B"
    ip -n "$TOPO_A" link set "$TOPO_IF_A" mtu 1420 up
    ip -n "$TOPO_B" link set "$TOPO_IF_B" mtu 1420 up
}

# topo_pids: the daemon processes (one per namespace).
topo_pids() {
    ip netns pids "$TOPO_A" 2>/dev/null
    ip netns pids "$TOPO_B" 2>/dev/null
}

topo_down() {
    local ns
    for ns in "$TOPO_A" "$TOPO_B"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    done
    sleep 0.3
    for ns in "$TOPO_A" "$TOPO_B"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -f "/var/run/wireguard/$TOPO_IF_A.sock" "/var/run/wireguard/$TOPO_IF_B.sock"
}
