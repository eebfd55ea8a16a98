#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A client behind a NAT with a 2-second UDP conntrack timeout: persistent keepalive keeps the mapping open so
# the server can reach the client long after the last data packet; without it, the path closes (the control
# that shows this test can fail).
source "$(dirname "$0")/lib.sh"

c=$(new_ns nc-); n=$(new_ns nn-); s=$(new_ns ns-)
ip link add "c$TAG" netns "$c" type veth peer name "n$TAG" netns "$n"
ip link add "s$TAG" netns "$s" type veth peer name "m$TAG" netns "$n"
ip -n "$c" addr add 10.0.1.2/24 dev "c$TAG"; ip -n "$c" link set "c$TAG" up; ip -n "$c" route add default via 10.0.1.1
ip -n "$n" addr add 10.0.1.1/24 dev "n$TAG"; ip -n "$n" link set "n$TAG" up
ip -n "$n" addr add 10.0.2.1/24 dev "m$TAG"; ip -n "$n" link set "m$TAG" up
ip -n "$s" addr add 10.0.2.2/24 dev "s$TAG"; ip -n "$s" link set "s$TAG" up
ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$n" nft -f - <<NFT
table ip nat {
    chain post { type nat hook postrouting priority 100; oifname "m$TAG" masquerade; }
}
NFT
if ! ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2 2>/dev/null; then
    skip "cannot set nf_conntrack UDP timeouts in a namespace on this kernel" \
        "a kernel whose conntrack timeouts are per namespace (a property of the host kernel, not a package)"
fi

ic="wnc-$TAG"; is="wns-$TAG"
start_daemon swift "$c" "$ic"
start_daemon swift "$s" "$is"
keypair c; keypair s
wg_up "$s" "$is" s 41501 10.51.0.1/24 peer "$(cat "$TMP/c.pub")" allowed-ips 10.51.0.2/32
wg_up "$c" "$ic" c 41502 10.51.0.2/24 peer "$(cat "$TMP/s.pub")" endpoint 10.0.2.2:41501 allowed-ips 10.51.0.1/32 persistent-keepalive 1

ip netns exec "$c" ping -c 2 -i 0.3 -W 3 10.51.0.1 >/dev/null || { show_logs; fail "client to server"; }
echo "  server sees the client at $(dump_field "$s" "$is" "$(cat "$TMP/c.pub")" 3)"
sleep 6
ip netns exec "$s" ping -c 2 -i 0.3 -W 3 10.51.0.2 >/dev/null || { show_logs; fail "server could not reach the client 6 s later despite keepalive"; }
pass "keepalive kept the NAT mapping open"

step "control: without keepalive the mapping expires"
ip netns exec "$c" wg set "$ic" peer "$(cat "$TMP/s.pub")" persistent-keepalive 0
sleep 6
if ip netns exec "$s" ping -c 2 -i 0.3 -W 2 10.51.0.2 >/dev/null 2>&1; then
    fail "server reached the client without keepalive: the NAT timeout is not in effect, so the test proves nothing"
fi
pass "without keepalive the server cannot reach the client"
