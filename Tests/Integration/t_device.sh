#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Device semantics the kernel has: (1) an interface that is down sends nothing (no socket, no handshake,
# even with a persistent keepalive set over UAPI), answers UAPI, and at up sends its handshake at once;
# (2) a packet to an address no peer takes (or to a peer without endpoint) gets an ICMP host / ICMPv6
# address unreachable, so ping says why; (3) a forged datagram to another of our addresses does not change
# the address we reply from (the sticky source moves only with authenticated packets).
source "$(dirname "$0")/lib.sh"

a=$(new_ns dva-); b=$(new_ns dvb-)
veth "$a" "$b" 192.168.91.1 192.168.91.2 fd91::1 fd91::2
ip -n "$a" addr add 192.168.91.11/24 dev eth0
ia="wdva-$TAG"; ib="wdvb-$TAG"
start_daemon swift "$a" "$ia"
start_daemon swift "$b" "$ib"
keypair a; keypair b; keypair c
A="ip netns exec $a"; B="ip netns exec $b"
apub=$(cat "$TMP/a.pub"); bpub=$(cat "$TMP/b.pub")

# Count every UDP datagram leaving A from its WireGuard port, whatever its destination.
$A nft -f - <<'EOF'
table inet wgcount {
    counter sent { }
    chain out { type filter hook output priority 0; udp sport 41901 counter name sent; }
}
EOF
sent() { $A nft list counter inet wgcount sent | awk '/packets/ { print $2 }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

step "B up, waiting for A"
wg_up "$b" "$ib" b 41902 10.91.0.2/24 peer "$apub" allowed-ips 10.91.0.1/32,fd91:1::1/128
$B ip addr add fd91:1::2/64 dev "$ib" nodad

step "A configured while down, persistent keepalive 1 s over UAPI"
$A wg set "$ia" private-key "$TMP/a.key" listen-port 41901 peer "$bpub" endpoint 192.168.91.2:41902 \
    allowed-ips 10.91.0.2/32,fd91:1::2/128 persistent-keepalive 1
$A wg set "$ia" peer "$(cat "$TMP/c.pub")" allowed-ips 10.91.0.50/32,fd91:1::50/128
$A ip addr add 10.91.0.1/24 dev "$ia"
$A ip addr add fd91:1::1/64 dev "$ia" nodad
sleep 2.5
[ "$(sent)" = 0 ] || fail "A sent $(sent) datagrams while down"
tx=$(dump_field "$a" "$ia" "$bpub" 7)
[ "$tx" = 0 ] || fail "A's tx_bytes for B is $tx while down (the persistent keepalive's handshake went out)"
$A ss -Hunl | has ":41901 " && fail "A has a UDP socket on 41901 while down: $($A ss -Hunl)"
$A wg show "$ia" listen-port | has -x 41901 || fail "UAPI does not report the port while down"
$A wg show "$ia" persistent-keepalive | has "$bpub.*1$" || fail "UAPI does not report the keepalive while down"
pass "down: nothing sent in 2.5 s, no socket, UAPI answers (port, peers, keepalive)"

step "A up: the persistent keepalive's handshake within a second"
start=$(now_ms)
$A ip link set "$ia" up
until [ "$(dump_field "$a" "$ia" "$bpub" 5)" != 0 ]; do
    [ $(($(now_ms) - start)) -lt 1000 ] || { show_logs; fail "no handshake within 1 s of up (sent $(sent))"; }
    sleep 0.05
done
pass "handshake $(($(now_ms) - start)) ms after up"
$A ping -c 2 -i 0.2 -W 2 10.91.0.2 >/dev/null || { show_logs; fail "ping through the tunnel after up"; }
$A ss -Hunl | has ":41901 " || fail "no socket on 41901 after up"

step "A down again: sessions cleared, nothing leaves although the keepalive is every second"
$A ip link set "$ia" down
sleep 0.3
before=$(sent)
sleep 3
[ "$(sent)" = "$before" ] || fail "A sent $(($(sent) - before)) datagrams while down"
$A ss -Hunl | has ":41901 " && fail "socket still open after down"
pass "down: nothing sent in 3 s"
$A ip link set "$ia" up
$A ip addr replace fd91:1::1/64 dev "$ia" nodad  # IPv6 addresses do not survive down
more_sent() { [ "$(sent)" -gt "$before" ]; }
wait_for 2 more_sent || fail "nothing sent after the second up"
$A ping -c 1 -W 2 10.91.0.2 >/dev/null || fail "ping after the second up"
pass "up again: handshake and traffic"

step "ping to addresses no peer takes: ICMP unreachable back into the TUN"
# Strict reverse-path filtering must not drop the error (it comes from the unreachable address, via the TUN).
$A sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf."$ia".rp_filter=1
out=$($A ping -c 1 -W 2 10.91.0.77 2>&1) && fail "ping to 10.91.0.77 succeeded?"
echo "$out" | has "Destination Host Unreachable" || fail "ping 10.91.0.77 said: $out"
pass "no peer: $(echo "$out" | grep -m1 Unreachable)"
out=$($A ping -c 1 -W 2 10.91.0.50 2>&1) && fail "ping to 10.91.0.50 succeeded?"
echo "$out" | has "Destination Host Unreachable" || fail "ping 10.91.0.50 (peer without endpoint) said: $out"
pass "peer without endpoint: $(echo "$out" | grep -m1 Unreachable)"
out=$($A ping -6 -c 1 -W 2 fd91:1::77 2>&1) && fail "ping to fd91:1::77 succeeded?"
echo "$out" | has "Destination unreachable: Address unreachable" || fail "ping -6 fd91:1::77 said: $out"
pass "IPv6, no peer: $(echo "$out" | grep -m1 -i unreachable)"
# From an address of its own, so that no earlier error spent its tokens.
$A ip addr add 10.91.0.3/32 dev "$ia"
out=$($A ping -c 10 -i 0.01 -W 1 -I 10.91.0.3 10.91.0.77 2>&1) || true
n=$(echo "$out" | grep -c "Destination Host Unreachable" || true)
[ "$n" -eq 6 ] || fail "10 pings in 0.1 s got $n errors, expected the per-host burst of 6: $out"
pass "rate limited: 10 pings in 0.1 s, $n errors"

step "sticky source: A replies from the address B sent to (.11), a forged datagram to .1 changes nothing"
$B wg set "$ib" peer "$apub" endpoint 192.168.91.11:41901
$B ping -c 2 -i 0.2 -W 2 10.91.0.1 >/dev/null || fail "ping from B to A at .11"
[ "$(dump_field "$b" "$ib" "$apub" 3)" = 192.168.91.11:41901 ] || fail "B sees A at $(dump_field "$b" "$ib" "$apub" 3)"
# From B's own address and port (a raw socket beside B's daemon), to A's other address: an initiation
# that fails MAC1, a transport message for an unknown index, garbage.
$B python3 - <<'EOF'
import socket, struct, os
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind(("192.168.91.2", 0))
for payload in (b"\x01\x00\x00\x00" + os.urandom(144), b"\x04\x00\x00\x00" + os.urandom(44), os.urandom(60)):
    s.sendto(struct.pack("!HHHH", 41902, 41901, 8 + len(payload), 0) + payload, ("192.168.91.1", 0))
EOF
sleep 0.3
$A ping -c 3 -i 0.2 -W 2 10.91.0.2 >/dev/null || fail "ping from A after the forged datagrams"
seen=$(dump_field "$b" "$ib" "$apub" 3)
[ "$seen" = 192.168.91.11:41901 ] || fail "after forged datagrams to .1, A replies from $seen"
pass "A still replies from 192.168.91.11"
