#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian's wg-quick starts our daemon through WG_QUICK_USERSPACE_IMPLEMENTATION: `up` brings a configured
# tunnel up (also a full tunnel, whose policy routing only works if every datagram carries the fwmark),
# `down` leaves nothing behind: no interface, process, socket, address, route, rule or nft table.
source "$(dirname "$0")/lib.sh"

a=$(new_ns qa-); b=$(new_ns qb-)
veth "$a" "$b" 192.168.70.1 192.168.70.2 fd70::1 fd70::2
ib="wqb-$TAG"
start_daemon swift "$b" "$ib"
keypair a; keypair b
wg_up "$b" "$ib" b 41300 10.70.0.2/24 peer "$(cat "$TMP/a.pub")" allowed-ips 10.70.0.1/32

# (Debian's wg-quick sets net.ipv4.conf.all.src_valid_mark=1 for a full tunnel and never restores it, so
# that sysctl is not part of the comparison.)
snapshot() {
    ip netns exec "$a" sh -c 'ip link; ip addr; ip route; ip -6 route; ip rule; ip -6 rule; nft list ruleset' \
        | sed 's/^[0-9]*: //; s/ tentative//' | grep -v "valid_lft\|link/none"
}

for allowed in 10.70.0.2/32 0.0.0.0/0; do
    ia="wqa-$TAG"
    INTERFACES+=("$ia")
    conf="$TMP/$ia.conf"
    cat >"$conf" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/a.key")
Address = 10.70.0.1/24
ListenPort = 41301

[Peer]
PublicKey = $(cat "$TMP/b.pub")
Endpoint = 192.168.70.2:41300
AllowedIPs = $allowed
CONF
    chmod 600 "$conf"
    step "wg-quick up with AllowedIPs = $allowed"
    before=$(snapshot)
    ip netns exec "$a" env WG_QUICK_USERSPACE_IMPLEMENTATION="$OURS" wg-quick up "$conf" 2>"$TMP/up.err" || { cat "$TMP/up.err"; fail "wg-quick up"; }
    grep -q "^\[#\] $OURS $ia" "$TMP/up.err" || { cat "$TMP/up.err"; fail "wg-quick did not start our daemon"; }
    ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.70.0.2 >/dev/null || { cat "$TMP/up.err"; show_logs; fail "ping through the wg-quick tunnel"; }
    [ "$(ip netns exec "$a" wg show "$ia" listen-port)" = 41301 ] || fail "listen port"
    if [ "$allowed" = 0.0.0.0/0 ]; then
        ip netns exec "$a" ip rule | has "not from all fwmark 0xca6c lookup 51820" || fail "fwmark rule missing"
        [ "$(ip netns exec "$a" wg show "$ia" fwmark)" = 0xca6c ] || fail "fwmark not set"
    fi
    pass "up: tunnel works"
    pid=$(ip netns pids "$a")
    ip netns exec "$a" env WG_QUICK_USERSPACE_IMPLEMENTATION="$OURS" wg-quick down "$conf" 2>"$TMP/down.err" || { cat "$TMP/down.err"; fail "wg-quick down"; }
    wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "daemon still running after down"
    [ ! -e "/var/run/wireguard/$ia.sock" ] || fail "socket left behind"
    after=$(snapshot)
    [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "state differs after down"; }
    pass "down: nothing left behind"
done
