#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our daemon against itself and against Debian's wireguard-go, either side initiating, IPv4 and IPv6 as the
# outer transport and inside the tunnel: ping both ways and a 3-second iperf3 TCP run.
source "$(dirname "$0")/lib.sh"
[ -n "$GO" ] || fail "wireguard-go is not installed"

n=0
# run_pair KIND_A KIND_B OUTER(4|6) INITIATOR(a|b) IPERF(yes|no)
run_pair() {
    local ka=$1 kb=$2 outer=$3 init=$4 iperf=$5
    n=$((n + 1))
    local a b ia="wi$n-$TAG" ib="wr$n-$TAG"
    step "$ka <-> $kb, outer IPv$outer, initiator $init"
    a=$(new_ns "ia$n-"); b=$(new_ns "ib$n-")
    ip link add "v$TAG-a" netns "$a" type veth peer name "v$TAG-b" netns "$b"
    ip -n "$a" link set "v$TAG-a" name eth0; ip -n "$b" link set "v$TAG-b" name eth0
    ip -n "$a" addr add 192.168.50.1/24 dev eth0; ip -n "$b" addr add 192.168.50.2/24 dev eth0
    ip -n "$a" addr add fd50::1/64 dev eth0 nodad; ip -n "$b" addr add fd50::2/64 dev eth0 nodad
    ip -n "$a" link set eth0 up; ip -n "$b" link set eth0 up
    start_daemon "$ka" "$a" "$ia"
    start_daemon "$kb" "$b" "$ib"
    keypair "a$n"; keypair "b$n"
    local ea="192.168.50.1:41001" eb="192.168.50.2:41002"
    if [ "$outer" = 6 ]; then ea="[fd50::1]:41001"; eb="[fd50::2]:41002"; fi
    ip netns exec "$a" wg set "$ia" private-key "$TMP/a$n.key" listen-port 41001 \
        peer "$(cat "$TMP/b$n.pub")" endpoint "$eb" allowed-ips 10.50.0.2/32,fd51::2/128
    ip netns exec "$b" wg set "$ib" private-key "$TMP/b$n.key" listen-port 41002 \
        peer "$(cat "$TMP/a$n.pub")" endpoint "$ea" allowed-ips 10.50.0.1/32,fd51::1/128
    ip -n "$a" addr add 10.50.0.1/24 dev "$ia"; ip -n "$a" addr add fd51::1/64 dev "$ia" nodad; ip -n "$a" link set "$ia" up
    ip -n "$b" addr add 10.50.0.2/24 dev "$ib"; ip -n "$b" addr add fd51::2/64 dev "$ib" nodad; ip -n "$b" link set "$ib" up
    wait_listening "$a" 41001 && wait_listening "$b" 41002 || fail "no UDP socket after the interfaces came up"

    local first=$a second=$b responder=$ib peer_first=10.50.0.2 peer_second=10.50.0.1 p6_first=fd51::2 p6_second=fd51::1
    if [ "$init" = b ]; then
        first=$b; second=$a; responder=$ia; peer_first=10.50.0.1; peer_second=10.50.0.2; p6_first=fd51::1; p6_second=fd51::2
    fi
    ip netns exec "$first" ping -c 2 -W 3 -i 0.3 "$peer_first" >/dev/null || { show_logs; fail "initiator ping (IPv4 inside)"; }
    grep -qi "sending handshake response" "$TMP/$responder.log" || { show_logs; fail "the other side did not respond to a handshake"; }
    ip netns exec "$second" ping -c 2 -W 3 -i 0.3 "$peer_second" >/dev/null || fail "reverse ping (IPv4 inside)"
    ip netns exec "$first" ping -6 -c 2 -W 3 -i 0.3 "$p6_first" >/dev/null || fail "ping (IPv6 inside)"
    ip netns exec "$second" ping -6 -c 2 -W 3 -i 0.3 "$p6_second" >/dev/null || fail "reverse ping (IPv6 inside)"
    # The endpoint each side learned is the other's outer address.
    local seen
    seen=$(dump_field "$a" "$ia" "$(cat "$TMP/b$n.pub")" 3)
    [ "$seen" = "$eb" ] || fail "A's endpoint for B is $seen, expected $eb"
    if [ "$iperf" = yes ]; then
        ip netns exec "$b" iperf3 -s -1 -D -B 10.50.0.2 >/dev/null
        sleep 0.3
        local out
        out=$(ip netns exec "$a" iperf3 -c 10.50.0.2 -t 3 -J) || fail "iperf3 through the tunnel"
        local bps
        bps=$(echo "$out" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))')
        [ "$bps" -gt 1000000 ] || fail "iperf3 throughput only $bps bit/s"
        echo "  iperf3: $((bps / 1000000)) Mbit/s"
    fi
    pass "$ka <-> $kb, outer IPv$outer, initiator $init"
}

run_pair swift swift 4 a yes
run_pair swift swift 6 b no
run_pair swift go 4 a yes
run_pair swift go 6 b yes
run_pair swift go 4 b no
run_pair go swift 6 b no
