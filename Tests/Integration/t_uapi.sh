#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UAPI on the socket: malformed requests get an errno and change nothing; `allowed_ip=-…` removes one
# prefix; a large configuration (10,000 peers, 100,000 allowed IPs) is set and read back in seconds.
source "$(dirname "$0")/lib.sh"
UAPI="python3 $(dirname "$0")/uapi.py"

ns=$(new_ns ua-)
ifname="wgu-$TAG"
start_daemon swift "$ns" "$ifname"
sock="/var/run/wireguard/$ifname.sock"
hex() { printf '%064x' "$1"; }
get() { printf 'get=1\n\n' | $UAPI "$sock"; }

printf 'set=1\nprivate_key=%s\nlisten_port=42000\nfwmark=7\npublic_key=%s\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.0/24\nallowed_ip=10.1.0.0/16\npersistent_keepalive_interval=0\n\n' \
    "$(hex 1)" "$(hex 2)" | $UAPI "$sock" | has -x "errno=0" || fail "valid set refused"
before=$(get)
echo "$before" | has "^listen_port=42000$" || fail "listen_port not applied: $before"
echo "$before" | tail -1 | has -x "errno=0" || fail "get does not end with errno=0"

bad() {  # bad NAME REQUEST [--shutdown]
    local reply
    reply=$(printf "$2" | $UAPI "$sock" ${3:-}) || true
    echo "$reply" | has "^errno=-[1-9]" || fail "$1: expected an errno, got: $reply"
    [ "$(get)" = "$before" ] || fail "$1: configuration changed"
    pass "$1 -> $(echo "$reply" | head -1), configuration unchanged"
}
bad "unknown key" "set=1\nlisten_port=43000\npublic_key=$(hex 3)\nallowed_ip=10.9.0.0/24\nfrobnicate=1\n\n"
bad "bad hex" "set=1\nlisten_port=43000\nprivate_key=zz$(hex 5 | cut -c3-)\n\n"
bad "short key" "set=1\npublic_key=abcd\n\n"
bad "bad endpoint" "set=1\npublic_key=$(hex 2)\nendpoint=192.0.2.1\n\n"
bad "hostname endpoint" "set=1\npublic_key=$(hex 2)\nendpoint=example.com:51820\n\n"
bad "bad prefix" "set=1\npublic_key=$(hex 2)\nallowed_ip=10.0.0.0/40\n\n"
bad "line without =" "set=1\nreplace_peers=true\nlisten_port\n\n"
bad "device key after a peer" "set=1\npublic_key=$(hex 2)\nfwmark=9\n\n"
bad "truncated input" "set=1\nreplace_peers=true\npublic_key=$(hex 4)\n" --shutdown
ip netns exec "$ns" python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",43999)); time.sleep(30)' &
sleep 0.5
bad "port in use" "set=1\nreplace_peers=true\nlisten_port=43999\n\n"

reply=$(printf 'hello=1\n\n' | $UAPI "$sock") || true
[ -z "$reply" ] || fail "unknown operation got a reply: $reply"
[ "$(get)" = "$before" ] || fail "unknown operation changed the configuration"
pass "unknown operation: connection closed without reply"

step "allowed_ip=- removes one prefix"
printf 'set=1\npublic_key=%s\nallowed_ip=-10.1.0.0/16\n\n' "$(hex 2)" | $UAPI "$sock" | has -x "errno=0" || fail "removal refused"
after=$(get)
echo "$after" | has "^allowed_ip=10.0.0.0/24$" || fail "wrong prefix removed"
echo "$after" | has "^allowed_ip=10.1.0.0/16$" && fail "prefix not removed"
pass "one prefix removed"

step "Debian's wg reads what we report"
ip netns exec "$ns" wg show "$ifname" fwmark | has -x "0x7" || fail "wg show fwmark"
ip netns exec "$ns" wg show "$ifname" listen-port | has -x "42000" || fail "wg show listen-port"
pass "wg show fields"

step "10,000 peers and 100,000 allowed IPs"
python3 - "$TMP/big.req" <<'PY'
import sys
lines = ["set=1", "replace_peers=true"]
n = 0
for p in range(10000):
    lines.append("public_key=%064x" % (p + 100))
    for a in range(10):
        lines.append("allowed_ip=10.%d.%d.%d/32" % (n >> 16, (n >> 8) & 255, n & 255))
        n += 1
open(sys.argv[1], "w").write("\n".join(lines) + "\n\n")
PY
start=$(date +%s.%N)
$UAPI "$sock" <"$TMP/big.req" | has -x "errno=0" || fail "large set refused"
mid=$(date +%s.%N)
get >"$TMP/big.get"
end=$(date +%s.%N)
peers=$(grep -c "^public_key=" "$TMP/big.get")
ips=$(grep -c "^allowed_ip=" "$TMP/big.get")
[ "$peers" = 10000 ] && [ "$ips" = 100000 ] || fail "read back $peers peers, $ips allowed IPs"
get_s=$(python3 -c "print(round($end - $mid, 2))")
set_s=$(python3 -c "print(round($mid - $start, 2))")
python3 -c "import sys; sys.exit(0 if $set_s < 30 and $get_s < 30 else 1)" || fail "too slow: set $set_s s, get $get_s s"
ip netns exec "$ns" wg show "$ifname" dump | tail -n +2 | wc -l | has -x 10000 || fail "wg show dump does not list 10,000 peers"
pass "set in $set_s s, get in $get_s s"
