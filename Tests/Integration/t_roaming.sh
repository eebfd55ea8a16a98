#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Roaming and sticky sources: when B moves to a new address and port, traffic continues and A's endpoint
# follows; A answers from the address B sent to, even when A has several.
source "$(dirname "$0")/lib.sh"

a=$(new_ns ra-); b=$(new_ns rb-)
veth "$a" "$b" 192.168.80.1 192.168.80.2 fd80::1 fd80::2
ip -n "$a" addr add 192.168.80.11/24 dev eth0
ia="wra-$TAG"; ib="wrb-$TAG"
start_daemon swift "$a" "$ia"
start_daemon swift "$b" "$ib"
keypair a; keypair b
wg_up "$a" "$ia" a 41401 10.80.0.1/24 peer "$(cat "$TMP/b.pub")" allowed-ips 10.80.0.2/32
wg_up "$b" "$ib" b 41402 10.80.0.2/24 peer "$(cat "$TMP/a.pub")" endpoint 192.168.80.11:41401 allowed-ips 10.80.0.1/32

ip netns exec "$b" ping -c 3 -i 0.2 -W 3 10.80.0.1 >/dev/null || { show_logs; fail "initial ping"; }
[ "$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 3)" = 192.168.80.2:41402 ] || fail "A did not learn B's endpoint"
ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.80.0.2 >/dev/null || fail "ping from A"
[ "$(dump_field "$b" "$ib" "$(cat "$TMP/a.pub")" 3)" = 192.168.80.11:41401 ] || fail "A replied from another address than .11: B now has $(dump_field "$b" "$ib" "$(cat "$TMP/a.pub")" 3)"
pass "replies leave from the address the peer sent to (192.168.80.11)"

step "B moves to 192.168.80.3, port 41403"
# Keep the new address when the old (primary) one goes.
ip netns exec "$b" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
ip -n "$b" addr add 192.168.80.3/24 dev eth0
ip -n "$b" addr del 192.168.80.2/24 dev eth0
ip netns exec "$b" wg set "$ib" listen-port 41403
ip netns exec "$b" ping -c 3 -i 0.2 -W 3 10.80.0.1 >/dev/null || { show_logs; fail "ping after B moved"; }
seen=$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 3)
[ "$seen" = 192.168.80.3:41403 ] || fail "A's endpoint for B is $seen, expected 192.168.80.3:41403"
ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.80.0.2 >/dev/null || fail "ping from A after B moved"
pass "endpoint followed to $seen"

step "A's sticky address disappears: A sends from an address it still has"
ip -n "$a" addr del 192.168.80.11/24 dev eth0
ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.80.0.2 >/dev/null || { show_logs; fail "ping from A after it lost its address"; }
seen=$(dump_field "$b" "$ib" "$(cat "$TMP/a.pub")" 3)
[ "$seen" = 192.168.80.1:41401 ] || fail "B sees A at $seen"
pass "B now sees A at $seen"
