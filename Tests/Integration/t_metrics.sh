#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The opt-in metrics endpoint (WG_METRICS_ADDRESS): a tunnel between two namespaces, our daemon on both
# sides (A on 127.0.0.1, B on [::1]); a real Prometheus in A scrapes A every second during a tunnel run, and
# its HTTP API returns the series with the values `wg show dump` gives (bytes, handshake time); drops are
# counted by reason; `promtool check metrics` accepts both expositions; only GET /metrics is served; hostile
# clients (slowloris, a huge request, many connections) stop neither pings nor later scrapes; a daemon
# without the variable has no listening socket and no extra thread.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null || {
    [ "${CI:-}" = true ] && fail "prometheus/promtool missing (scripts/deps.sh installs Debian's prometheus)"
    echo "SKIP: prometheus not installed (apt-get install prometheus)"; exit 0
}

a=$(new_ns ma-); b=$(new_ns mb-)
veth "$a" "$b" 192.168.86.1 192.168.86.2 fd86::1 fd86::2
ia="wma-$TAG"; ib="wmb-$TAG"; ic="wmc-$TAG"
PORT=9586
start_metrics_daemon() {  # NS IFACE ADDRESS
    INTERFACES+=("$2")
    ip netns exec "$1" env LOG_LEVEL=verbose WG_METRICS_ADDRESS="$3" "$OURS" "$2" >>"$TMP/$2.log" 2>&1 \
        || { show_logs; fail "daemon $2 with WG_METRICS_ADDRESS=$3 did not start"; }
}
start_metrics_daemon "$a" "$ia" "127.0.0.1:$PORT"
start_metrics_daemon "$b" "$ib" "[::1]:$PORT"
keypair a; keypair b
A_PUB=$(cat "$TMP/a.pub"); B_PUB=$(cat "$TMP/b.pub")
wg_up "$a" "$ia" a 41861 10.86.0.1/24 peer "$B_PUB" allowed-ips 10.86.0.2/32,fd86:86::2/128
wg_up "$b" "$ib" b 41862 10.86.0.2/24 peer "$A_PUB" endpoint 192.168.86.1:41861 allowed-ips 10.86.0.1/32

scrape() {  # NS URL [CURL ARGS...]
    local ns=$1 url=$2; shift 2
    ip netns exec "$ns" curl -sS --max-time 5 "$@" "$url"
}

step "a bad or busy address is an error before the daemon goes to the background"
out=$(ip netns exec "$a" env WG_METRICS_ADDRESS=localhost:9586 "$OURS" "wmx-$TAG" 2>&1) && fail "a host name was accepted"
echo "$out" | has "WG_METRICS_ADDRESS=localhost:9586 is not an address" || fail "unclear message: $out"
out=$(ip netns exec "$a" env WG_METRICS_ADDRESS="127.0.0.1:$PORT" "$OURS" "wmx-$TAG" 2>&1) && fail "a busy port was accepted"
echo "$out" | has "cannot serve metrics on 127.0.0.1:$PORT" || fail "unclear message: $out"
ip -n "$a" link show "wmx-$TAG" >/dev/null 2>&1 && fail "a refused start left interface wmx-$TAG behind"
pass "bad address and busy port refused with a message, nothing left behind"

step "Prometheus in A scrapes A every second"
mkdir -p "$TMP/prom"
cat >"$TMP/prom.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: wireguard
    static_configs: [ { targets: ["127.0.0.1:$PORT"] } ]
EOF
promtool check config "$TMP/prom.yml" >/dev/null || fail "promtool refuses the test's config"
ip netns exec "$a" prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom" \
    --web.listen-address=127.0.0.1:9090 >"$TMP/prometheus.out" 2>&1 &
wait_for 30 scrape "$a" http://127.0.0.1:9090/-/ready || { tail -20 "$TMP/prometheus.out"; fail "prometheus did not start"; }

# query EXPR: the first result's value (empty when none).
query() {
    scrape "$a" http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$1" -G |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

step "tunnel run"
ip netns exec "$b" ping -c 20 -i 0.05 -W 3 10.86.0.1 >/dev/null || { show_logs; fail "ping through the tunnel"; }
ip netns exec "$a" ping -c 5 -i 0.05 -s 1200 -W 3 10.86.0.2 >/dev/null || { show_logs; fail "ping from A"; }
# Drops by reason, in A: a destination no peer routes; datagrams that are no WireGuard message.
ip -n "$a" route add 10.86.99.0/24 dev "$ia"
ip netns exec "$a" ping -c 3 -i 0.05 -W 1 10.86.99.1 >/dev/null 2>&1 || true
for i in 1 2 3 4; do echo "garbage $i" | ip netns exec "$b" timeout 1 bash -c "cat >/dev/udp/192.168.86.1/41861" || true; done
# Transport messages naming no session (receiver index 0xdeadbeef).
for i in 1 2 3; do
    printf '\x04\x00\x00\x00\xef\xbe\xad\xde%040d' 0 | ip netns exec "$b" timeout 1 bash -c "cat >/dev/udp/192.168.86.1/41861" || true
done
# A real transport message from B, captured on A's wire and sent again with one bit of its tag flipped: it
# names B's session and does not authenticate.
ip netns exec "$a" timeout 10 python3 - "$TMP/captured" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("eth0", 0))
while True:
    p = s.recv(65535)
    ihl = (p[0] & 15) * 4
    if p[9] != 17 or int.from_bytes(p[ihl + 2:ihl + 4], "big") != 41861: continue
    payload = p[ihl + 8:]
    if payload[0] == 4 and len(payload) > 32:
        open(sys.argv[1], "wb").write(payload)
        break
PY
sniffer=$!
sleep 0.5
ip netns exec "$b" ping -c 3 -i 0.2 -W 2 10.86.0.1 >/dev/null || fail "ping while capturing"
wait "$sniffer" || fail "no transport message captured on A's wire"
ip netns exec "$b" python3 - "$TMP/captured" <<'PY'
import socket, sys
m = bytearray(open(sys.argv[1], "rb").read())
m[-1] ^= 1
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(bytes(m), ("192.168.86.1", 41861))
PY

# An initiator A does not know (C, a daemon without metrics in B, used again below): unknown_peer.
start_daemon swift "$b" "$ic"
keypair c
wg_up "$b" "$ic" c 41863 10.87.0.2/24 peer "$A_PUB" endpoint 192.168.86.1:41861 allowed-ips 10.87.0.1/32
ip netns exec "$b" ping -c 1 -W 1 10.87.0.1 >/dev/null 2>&1 || true

# The counters rest once traffic stops (no persistent keepalive; passive keepalives go within 10 s, so the
# comparison is retried).
sleep 2
compare() {
    local rx tx hs prx ptx phs
    rx=$(dump_field "$a" "$ia" "$B_PUB" 6); tx=$(dump_field "$a" "$ia" "$B_PUB" 7); hs=$(dump_field "$a" "$ia" "$B_PUB" 5)
    sleep 2.5  # at least two scrapes later
    prx=$(query "wireguard_received_bytes_total{interface=\"$ia\",public_key=\"$B_PUB\"}")
    ptx=$(query "wireguard_sent_bytes_total{interface=\"$ia\",public_key=\"$B_PUB\"}")
    phs=$(query "wireguard_latest_handshake_seconds{interface=\"$ia\",public_key=\"$B_PUB\",allowed_ips=\"10.86.0.2/32,fd86:86::2/128\"}")
    echo "  wg show dump: rx $rx tx $tx handshake $hs; prometheus: rx $prx tx $ptx handshake $phs"
    [ -n "$rx" ] && [ "$rx" -gt 0 ] && [ "$prx" = "$rx" ] && [ "$ptx" = "$tx" ] && [ "$phs" = "$hs" ]
}
ok=0
for attempt in 1 2 3 4; do if compare; then ok=1; break; fi; done
[ $ok = 1 ] || fail "Prometheus's values differ from wg show dump"
pass "bytes and handshake time through Prometheus match wg show dump"

v=$(query "wireguard_peer_handshakes_total{interface=\"$ia\",public_key=\"$B_PUB\"}")
[ "${v:-0}" -ge 1 ] || fail "wireguard_peer_handshakes_total is '$v'"
v=$(query "wireguard_interface_dropped_packets_total{interface=\"$ia\",reason=\"no_peer\"}")
[ "${v:-0}" -ge 3 ] || fail "no_peer drops: '$v', expected at least 3"
v=$(query "wireguard_interface_dropped_packets_total{interface=\"$ia\",reason=\"malformed\"}")
[ "${v:-0}" -ge 4 ] || fail "malformed drops: '$v', expected at least 4"
v=$(query "wireguard_interface_dropped_packets_total{interface=\"$ia\",reason=\"unknown_session\"}")
[ "${v:-0}" -ge 3 ] || fail "unknown_session drops: '$v', expected at least 3"
v=$(query "wireguard_peer_dropped_packets_total{interface=\"$ia\",public_key=\"$B_PUB\",reason=\"bad_authentication\"}")
[ "$v" = 1 ] || fail "bad_authentication drops for B: '$v', expected 1"
v=$(query "wireguard_interface_handshake_failures_total{interface=\"$ia\",reason=\"unknown_peer\"}")
[ "${v:-0}" -ge 1 ] || fail "unknown_peer handshake failures: '$v', expected at least 1"
v=$(query "wireguard_peer_endpoint_info{interface=\"$ia\",public_key=\"$B_PUB\",endpoint=\"192.168.86.2:41862\"}")
[ "$v" = 1 ] || fail "endpoint label: '$v'"
v=$(query "count(wireguard_received_bytes_total{interface=\"$ia\",remote_ip=\"192.168.86.2\",remote_port=\"41862\"})")
[ "$v" = 1 ] || fail "remote_ip/remote_port labels: '$v'"
v=$(query "up{job=\"wireguard\"}")
[ "$v" = 1 ] || fail "Prometheus's up for the target is '$v'"
pass "handshakes, unknown_peer, drops by reason (no_peer, malformed, unknown_session, bad_authentication), endpoint labels in Prometheus"

step "promtool check metrics"
for ns_url in "$a http://127.0.0.1:$PORT/metrics" "$b http://[::1]:$PORT/metrics"; do
    set -- $ns_url
    scrape "$1" "$2" >"$TMP/exposition" || fail "scrape of $2"
    promtool check metrics <"$TMP/exposition" >"$TMP/promtool.out" 2>&1 || { cat "$TMP/promtool.out"; fail "promtool refuses $2"; }
    has "^wireguard_sent_bytes_total{interface=" "$TMP/exposition" || fail "no wireguard_sent_bytes_total in $2"
    # promtool accepts untyped samples: every family must have its HELP and TYPE lines before its samples.
    python3 - "$TMP/exposition" <<'PY' || fail "HELP/TYPE lines missing in $2"
import re, sys
seen = {"HELP": set(), "TYPE": set()}
for line in open(sys.argv[1]):
    m = re.match(r"# (HELP|TYPE) (\S+)", line)
    if m: seen[m[1]].add(m[2]); continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)[0]
    if name not in seen["HELP"] or name not in seen["TYPE"]: sys.exit(f"{name}: no HELP/TYPE before its samples")
PY
done
pass "promtool accepts the expositions on 127.0.0.1 and [::1]"

step "only GET /metrics"
code() { ip netns exec "$a" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[ "$(code "http://127.0.0.1:$PORT/metrics")" = 200 ] || fail "GET /metrics"
[ "$(code "http://127.0.0.1:$PORT/")" = 404 ] || fail "GET / is not 404"
[ "$(code "http://127.0.0.1:$PORT/metricsx")" = 404 ] || fail "GET /metricsx is not 404"
[ "$(code -X POST -d x "http://127.0.0.1:$PORT/metrics")" = 405 ] || fail "POST /metrics is not 405"
[ "$(code -H "X-Big: $(printf 'a%.0s' $(seq 5000))" "http://127.0.0.1:$PORT/metrics")" = 431 ] || fail "a 5 KB head is not 431"
# A client that shuts down its side once the request is sent still gets the response.
ip netns exec "$a" python3 - "$PORT" <<'PY' || fail "half-closed client got no response"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = b""
while chunk := s.recv(65536): data += chunk
assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"wireguard_sent_bytes_total" in data, data[:200]
PY
# A request with a large body: the 405 must arrive whole (the body is drained, not reset).
ip netns exec "$a" python3 - "$PORT" <<'PY' || fail "the 405 to a request with a body was lost"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
body = b"x" * (4 << 20)
s.sendall(b"POST /metrics HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
data = b""
while chunk := s.recv(65536): data += chunk
assert data.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n"), data[:200]
PY
pass "404, 405 and 431 for anything else; a half-closed client is answered; a body is drained"

step "hostile clients: slowloris, a huge request, too many connections"
ip netns exec "$a" python3 - "$PORT" >"$TMP/hostile.out" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 8
held = []
big = socket.create_connection(("127.0.0.1", port))
try:
    big.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * (1 << 20))
except OSError:
    pass  # closed after 4 KiB: fine
while time.time() < end:
    # Keep opening connections that send one byte a second and never finish a request.
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.send(b"G")
        held.append(s)
    except OSError:
        pass
    for s in held:
        try: s.send(b"E")
        except OSError: pass
    held = held[-64:]
    time.sleep(0.05)
print("hostile done")
PY
hostile=$!
sleep 0.5
ip netns exec "$b" ping -c 30 -i 0.2 -W 2 10.86.0.1 >"$TMP/ping.out" 2>&1 || { cat "$TMP/ping.out"; fail "pings stopped under the hostile clients"; }
wait "$hostile" || fail "hostile client script failed: $(cat "$TMP/hostile.out")"
ip netns exec "$a" wg show "$ia" >/dev/null || fail "UAPI stalled after the hostile clients"
wait_for 10 scrape "$a" "http://127.0.0.1:$PORT/metrics" || fail "no scrape works after the hostile clients left"
pass "pings and UAPI unaffected, scrapes work again after the hostile clients"

step "without WG_METRICS_ADDRESS: no socket, no thread"
pid_c=$(ip netns exec "$b" ss -xlp | awk -v s="/var/run/wireguard/$ic.sock" '$0 ~ s { match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }')
pid_b=$(ip netns exec "$b" ss -xlp | awk -v s="/var/run/wireguard/$ib.sock" '$0 ~ s { match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }')
[ -n "$pid_c" ] && [ -n "$pid_b" ] || fail "cannot find the daemons' pids"
ip netns exec "$b" ss -tlnp | has "pid=$pid_c," && fail "the daemon without WG_METRICS_ADDRESS listens on TCP"
threads_c=$(ls "/proc/$pid_c/task" | wc -l); threads_b=$(ls "/proc/$pid_b/task" | wc -l)
[ "$threads_b" -eq $((threads_c + 1)) ] || fail "threads: $threads_b with metrics, $threads_c without (expected one more)"
pass "no TCP socket and $threads_c threads without it, $threads_b with it"

step "the daemon with metrics stops when its interface goes"
pid_a=$(ip netns exec "$a" ss -xlp | awk -v s="/var/run/wireguard/$ia.sock" '$0 ~ s { match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }')
[ -n "$pid_a" ] || fail "cannot find A's daemon"
ip -n "$a" link del "$ia"
wait_for 5 bash -c "! kill -0 $pid_a" || fail "the daemon with a metrics thread did not stop within 5 s of ip link del"
ip netns exec "$a" ss -tln | has ":$PORT " && fail "the metrics port is still open after the daemon stopped"
pass "stopped, metrics thread joined, port closed"
