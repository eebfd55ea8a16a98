#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cryptokey routing on a live device: packets whose inner source is not an allowed IP of the peer that sent
# them are dropped (and logged); a removed peer can be added again; low-order public keys produce no
# datagrams at all.
source "$(dirname "$0")/lib.sh"

a=$(new_ns aa-); b=$(new_ns ab-)
veth "$a" "$b" 192.168.90.1 192.168.90.2 fd90::1 fd90::2
ia="waa-$TAG"; ib="wab-$TAG"
start_daemon swift "$a" "$ia"
start_daemon swift "$b" "$ib"
keypair a; keypair b
wg_up "$a" "$ia" a 41601 10.90.0.1/24 peer "$(cat "$TMP/b.pub")" endpoint 192.168.90.2:41602 allowed-ips 10.90.0.2/32
wg_up "$b" "$ib" b 41602 10.90.0.2/24 peer "$(cat "$TMP/a.pub")" endpoint 192.168.90.1:41601 allowed-ips 10.90.0.0/24
ip netns exec "$b" ping -c 2 -i 0.2 -W 3 10.90.0.1 >/dev/null || { show_logs; fail "initial ping"; }

step "A no longer allows B's source address"
ip netns exec "$a" wg set "$ia" peer "$(cat "$TMP/b.pub")" allowed-ips 10.90.0.99/32
rx_before=$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 6)
if ip netns exec "$b" ping -c 2 -i 0.2 -W 1 10.90.0.1 >/dev/null 2>&1; then fail "packets from a disallowed source were accepted"; fi
rx_after=$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 6)
[ "$rx_after" -gt "$rx_before" ] || fail "B's packets did not even arrive (rx $rx_before -> $rx_after)"
grep -q "not in allowed IPs" "$TMP/$ia.log" || { show_logs; fail "drop not logged"; }
pass "dropped and logged: $(grep -m1 "not in allowed IPs" "$TMP/$ia.log" | cut -d' ' -f5-)"

step "remove the peer and add it again"
ip netns exec "$a" wg set "$ia" peer "$(cat "$TMP/b.pub")" remove
[ -z "$(ip netns exec "$a" wg show "$ia" peers)" ] || fail "peer not removed"
ip netns exec "$a" wg set "$ia" peer "$(cat "$TMP/b.pub")" endpoint 192.168.90.2:41602 allowed-ips 10.90.0.2/32
ip netns exec "$a" ping -c 2 -i 0.2 -W 3 10.90.0.2 >/dev/null || { show_logs; fail "ping after re-adding the peer"; }
pass "re-added peer works"

step "low-order public keys send nothing"
ip netns exec "$a" nft -f - <<NFT
table inet lowcount {
    chain out {
        type filter hook output priority 0;
        udp dport 41699 counter
    }
}
NFT
i=0
for key in 0000000000000000000000000000000000000000000000000000000000000000 \
           0100000000000000000000000000000000000000000000000000000000000000 \
           e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800 \
           5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157 \
           ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f \
           edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f; do
    i=$((i + 1))
    pub=$(python3 -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$key")
    ip netns exec "$a" wg set "$ia" peer "$pub" endpoint 192.168.90.2:41699 allowed-ips "10.91.$i.0/24" persistent-keepalive 1
    ip netns exec "$a" ping -c 1 -W 1 "10.91.$i.1" >/dev/null 2>&1 || true
done
sleep 2
count=$(ip netns exec "$a" nft list table inet lowcount | grep -o "packets [0-9]*" | awk '{print $2}')
[ "$count" = 0 ] || fail "$count datagrams sent to low-order peers"
pass "no datagrams to $i low-order peers"
