#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A tunnel configured only with wg (set, setconf, addconf, syncconf): `wg show all dump` reports the right
# keys, endpoints, allowed IPs, a recent handshake (wall clock) and growing transfer counters; syncconf
# keeps sessions. Run with Debian's wg and with ours, on our daemon and on Debian's wireguard-go.
source "$(dirname "$0")/lib.sh"
OURWG=${OUR_WG:-$ROOT/.build/debug/wg}
keypair a; keypair b; keypair c; keypair d
(umask 077; wg genpsk >"$TMP/psk")

# scenario WG-BINARY DAEMON-KIND N: N makes names and addresses unique.
scenario() {
local WGT=$1 kind=$2 n=$3
wg() { command "$WGT" "$@"; }
a=$(new_ns "t${n}a-"); b=$(new_ns "t${n}b-")
veth "$a" "$b" 192.168.60.1 192.168.60.2 fd60::1 fd60::2
ia="wt${n}a-$TAG"; ib="wt${n}b-$TAG"; ia=${ia:0:15}; ib=${ib:0:15}
start_daemon "$kind" "$a" "$ia"
start_daemon "$kind" "$b" "$ib"

step "setconf and set with $WGT, $kind daemon"
cat >"$TMP/a.conf" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/a.key")
ListenPort = 41100
FwMark = 0x1234

[Peer]
PublicKey = $(cat "$TMP/b.pub")
PresharedKey = $(cat "$TMP/psk")
Endpoint = 192.168.60.2:41200
AllowedIPs = 10.60.0.2/32, fd61::2/128
CONF
ip netns exec "$a" wg setconf "$ia" "$TMP/a.conf"
ip netns exec "$b" wg set "$ib" private-key "$TMP/b.key" listen-port 41200 \
    peer "$(cat "$TMP/a.pub")" preshared-key "$TMP/psk" endpoint "[fd60::1]:41100" allowed-ips 10.60.0.1/32,fd61::1/128 persistent-keepalive 25
ip -n "$a" addr add 10.60.0.1/24 dev "$ia"; ip -n "$a" link set "$ia" up
# B's persistent keepalive sends its handshake as B comes up: A must be listening by then.
wait_listening "$a" 41100 || fail "no UDP socket on 41100 after $ia came up"
ip -n "$b" addr add 10.60.0.2/24 dev "$ib"; ip -n "$b" link set "$ib" up
wait_listening "$b" 41200 || fail "no UDP socket on 41200 after $ib came up"

step "addconf adds a peer without touching the first"
cat >"$TMP/add.conf" <<CONF
[Peer]
PublicKey = $(cat "$TMP/c.pub")
Endpoint = 192.0.2.77:1234
AllowedIPs = 10.77.0.0/16
CONF
ip netns exec "$a" wg addconf "$ia" "$TMP/add.conf"

ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.60.0.2 >/dev/null || { show_logs; fail "ping"; }
dump=$(ip netns exec "$a" wg show all dump)
echo "$dump"
now=$(date +%s)
iface_line=$(echo "$dump" | awk -v i="$ia" '$1 == i && NF == 5')
[ "$(echo "$iface_line" | cut -f2)" = "$(cat "$TMP/a.key")" ] || fail "private key"
[ "$(echo "$iface_line" | cut -f3)" = "$(cat "$TMP/a.pub")" ] || fail "public key"
[ "$(echo "$iface_line" | cut -f4)" = 41100 ] || fail "listen port"
[ "$(echo "$iface_line" | cut -f5)" = 0x1234 ] || fail "fwmark"
peer_b=$(echo "$dump" | awk -v i="$ia" -v k="$(cat "$TMP/b.pub")" '$1 == i && $2 == k')
[ "$(echo "$peer_b" | cut -f3)" = "$(cat "$TMP/psk")" ] || fail "preshared key"
# B's keepalive starts the handshake from its IPv6 address, so A may have roamed to it.
case "$(echo "$peer_b" | cut -f4)" in 192.168.60.2:41200|"[fd60::2]:41200") ;; *) fail "endpoint: $(echo "$peer_b" | cut -f4)" ;; esac
[ "$(echo "$peer_b" | cut -f5)" = "10.60.0.2/32,fd61::2/128" ] || fail "allowed ips: $(echo "$peer_b" | cut -f5)"
hs=$(echo "$peer_b" | cut -f6)
[ $((now - hs)) -ge 0 ] && [ $((now - hs)) -lt 30 ] || fail "latest handshake $hs is not recent (now $now)"
rx1=$(echo "$peer_b" | cut -f7); tx1=$(echo "$peer_b" | cut -f8)
[ "$rx1" -gt 0 ] && [ "$tx1" -gt 0 ] || fail "transfer counters $rx1/$tx1"
peer_c=$(echo "$dump" | awk -v i="$ia" -v k="$(cat "$TMP/c.pub")" '$1 == i && $2 == k')
[ "$(echo "$peer_c" | cut -f4,5,6)" = "$(printf '192.0.2.77:1234\t10.77.0.0/16\t0')" ] || fail "added peer: $peer_c"
peer_a=$(ip netns exec "$b" wg show "$ib" dump | awk -v k="$(cat "$TMP/a.pub")" '$1 == k')
[ "$(echo "$peer_a" | cut -f8)" = 25 ] || fail "persistent keepalive on B: $peer_a"
pass "dump shows keys, endpoints, allowed IPs, handshake, counters"

ip netns exec "$a" ping -c 3 -i 0.2 -W 3 10.60.0.2 >/dev/null || fail "second ping"
peer_b=$(ip netns exec "$a" wg show "$ia" dump | awk -v k="$(cat "$TMP/b.pub")" '$1 == k')
rx2=$(echo "$peer_b" | cut -f6); tx2=$(echo "$peer_b" | cut -f7)
[ "$rx2" -gt "$rx1" ] && [ "$tx2" -gt "$tx1" ] || fail "counters did not grow: $rx1->$rx2, $tx1->$tx2"
pass "counters grow ($rx1 -> $rx2 received, $tx1 -> $tx2 sent)"

step "syncconf: peers not in the file go, the others keep their session"
hs_before=$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 5)
# The first file without C (which came from addconf), plus a new peer D.
{ cat "$TMP/a.conf"; printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.88.0.0/16\n' "$(cat "$TMP/d.pub")"; } >"$TMP/sync.conf"
ip netns exec "$a" wg syncconf "$ia" "$TMP/sync.conf"
keys=$(ip netns exec "$a" wg show "$ia" peers | sort)
[ "$keys" = "$(sort "$TMP/b.pub" "$TMP/d.pub")" ] || fail "peers after syncconf: $keys"
ip netns exec "$a" ping -c 1 -W 3 10.60.0.2 >/dev/null || fail "ping after syncconf"
[ "$(dump_field "$a" "$ia" "$(cat "$TMP/b.pub")" 5)" = "$hs_before" ] || fail "syncconf restarted the session"
pass "syncconf removed C, added D, kept B's session"
unset -f wg
}

scenario "$(command -v wg)" swift 1
for kind in swift go; do
    step "our wg, $kind daemon"
    scenario "$OURWG" $kind $([ $kind = swift ] && echo 2 || echo 3)
done
step "Debian's wg, go daemon"
scenario "$(command -v wg)" go 4
