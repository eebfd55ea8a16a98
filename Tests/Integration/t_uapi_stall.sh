#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control plane never stalls the tunnel: with 10,000 extra peers (130,000 allowed IPs) on A,
# - a UAPI client that asks for `get` and then does not read its (4 MB) reply for 11 s holds up neither A's
#   timers (persistent keepalives every second keep reaching B) nor a ping through the tunnel;
# - a large `set` (replacing those peers) is applied in short engine-lock holds while a ping runs: no ping
#   is lost or delayed by more than a generous bound, and the daemon's logged longest hold (CPU time of the
#   work, which preemption on a loaded machine does not inflate) stays under 20 ms.
source "$(dirname "$0")/lib.sh"
UAPI="python3 $(dirname "$0")/uapi.py"

a=$(new_ns sta-)
b=$(new_ns stb-)
veth "$a" "$b" 192.168.97.1 192.168.97.2 fd97::1 fd97::2
ifa="wgsa-$TAG" ifb="wgsb-$TAG"
start_daemon swift "$a" "$ifa"
start_daemon swift "$b" "$ifb"
keypair a
keypair b
wg_up "$a" "$ifa" a 51820 10.97.0.1/24 peer "$(cat "$TMP/b.pub")" endpoint 192.168.97.2:51820 \
    allowed-ips 10.97.0.2/32 persistent-keepalive 1
wg_up "$b" "$ifb" b 51820 10.97.0.2/24 peer "$(cat "$TMP/a.pub")" allowed-ips 10.97.0.1/32
ip netns exec "$a" ping -c 3 -i 0.2 -W 5 10.97.0.2 >/dev/null || { show_logs; fail "no ping through the tunnel"; }
sock="/var/run/wireguard/$ifa.sock"

# big.req N: a set adding 10,000 peers (13 allowed IPs each, key and addresses from N) next to A's peer.
python3 - "$TMP" <<'PY'
import sys
for name, base in (("big1", 1000), ("big2", 50000)):
    lines = ["set=1"]
    for p in range(10000):
        lines.append("public_key=%064x" % (base + p))
        lines.append("replace_allowed_ips=true")
        for a in range(13):
            n = p * 13 + a
            lines.append("allowed_ip=%d.%d.%d.%d/32" % (20 + (base > 1000), n >> 16, (n >> 8) & 255, n & 255))
    open(f"{sys.argv[1]}/{name}.req", "w").write("\n".join(lines) + "\n\n")
PY
$UAPI "$sock" <"$TMP/big1.req" | has -x "errno=0" || fail "large set refused"

# rx_bytes of B from A: every keepalive adds 32 bytes.
rx() { dump_field "$b" "$ifb" "$(cat "$TMP/a.pub")" 6; }

step "a client that does not read its get reply stalls neither pings nor timers"
ip netns exec "$a" python3 - "$sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"get=1\n\n")
time.sleep(11)
s.close()
PY
reader=$!
sleep 0.5
# Keepalives first: pings would reset the persistent-keepalive timer.
before=$(rx)
sleep 4.5
after=$(rx)
keepalives=$(( (after - before) / 32 ))
[ "$keepalives" -ge 3 ] || fail "only $keepalives keepalives reached B in 4.5 s while a UAPI client stalled"
out=$(ip netns exec "$a" ping -c 20 -i 0.25 -W 1 10.97.0.2) || { echo "$out"; fail "pings lost while a UAPI client stalls"; }
kill -0 "$reader" 2>/dev/null || fail "the stalled client finished too early for the test to mean anything"
wait "$reader"
pass "$keepalives keepalives in 4.5 s, then 20 pings ($(echo "$out" | tail -1)) while a UAPI client did not read"

step "a large set is applied without stopping traffic"
ip netns exec "$a" ping -c 40 -i 0.05 -W 1 10.97.0.2 >"$TMP/ping.out" &
pinger=$!
sleep 0.2
$UAPI "$sock" <"$TMP/big2.req" | has -x "errno=0" || fail "second large set refused"
wait "$pinger" || { cat "$TMP/ping.out"; fail "pings lost during a large set"; }
max=$(awk -F/ '/^rtt/ { print $6 }' "$TMP/ping.out")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 500 else 1)" "$max" || fail "a ping took $max ms during a large set"
hold=$(grep 'configuration updated (10000 peer blocks' "$TMP/$ifa.log" | tail -1 | sed -n 's/.*(CPU \([0-9.]*\) ms).*/\1/p')
[ -n "$hold" ] || { show_logs; fail "no engine-lock hold logged"; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 20 else 1)" "$hold" || fail "engine lock held for $hold ms of CPU"
pass "no ping lost (slowest $max ms); longest engine-lock hold $hold ms of CPU"
