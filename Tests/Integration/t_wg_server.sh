#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# wg-server end to end, with our wg-quick starting our daemon: `init` with 3 peers in a server namespace
# (endpoint and masquerading interface from its default route), the server up, peer1 and peer2's generated
# configs up in two client namespaces (full tunnels; only the DNS line is dropped, so that resolvconf leaves the
# host's resolv.conf alone), pings between them, peer1's traffic reaching an "internet" namespace from the
# server's address (masqueraded; the internet has no route back to the tunnel or the client LANs). Then `add`
# peer4 while peer1 and peer2 keep pinging (no ping lost, their latest handshakes unchanged) and peer4 up in a
# third client namespace, `remove` peer3 (its address goes to the next peer), `list` without keys. The QR
# codes: the PNG and the terminal text (drawn as an image) decoded by zbarimg give back the client config
# byte for byte. Bad input: a read-only directory. Down: PostDown removes the nft table; without nft the
# hooks use iptables.
source "$(dirname "$0")/lib.sh"
SERVER=${OUR_WG_SERVER:-$ROOT/.build/debug/wg-server}
QUICK=${OUR_WG_QUICK:-$ROOT/.build/debug/wg-quick}
[ -x "$SERVER" ] || fail "wg-server is not built at $SERVER"
[ -x "$QUICK" ] || fail "our wg-quick is not built at $QUICK"
command -v zbarimg >/dev/null || fail "zbarimg (zbar-tools) is needed"
command -v iptables >/dev/null || fail "iptables is needed"
export WG_QUICK_USERSPACE_IMPLEMENTATION=$OURS

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair, IPv4 /24 at each end.
link() {
    ip link add "y$TAG-a" netns "$1" type veth peer name "y$TAG-b" netns "$4"
    ip -n "$1" link set "y$TAG-a" name "$2"; ip -n "$4" link set "y$TAG-b" name "$5"
    ip -n "$1" addr add "$3/24" dev "$2"; ip -n "$4" addr add "$6/24" dev "$5"
    ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}
s=$(new_ns wss-); i=$(new_ns wsi-); c1=$(new_ns ws1-); c2=$(new_ns ws2-); c3=$(new_ns ws3-)
link "$s" wan0 203.0.113.1 "$i" eth0 203.0.113.2
ip -n "$s" route add default via 203.0.113.2
for n in 1 2 3; do
    c=$(eval echo "\$c$n")
    link "$s" "lan$n" "192.168.8$n.1" "$c" eth0 "192.168.8$n.2"
    ip -n "$c" route add default via "192.168.8$n.1"
done
is="ws$TAG"; INTERFACES+=("$is")
etc="$TMP/etc"
srv() { ip netns exec "$s" "$SERVER" "$@" --dir "$etc" --interface "$is"; }

step "init"
srv init --peers 3 --endpoint auto --dns 192.0.2.53 --keepalive peer1 >"$TMP/init.out" 2>&1 || { cat "$TMP/init.out"; fail "init"; }
has -F "clients connect to 203.0.113.1:51820" "$TMP/init.out" || { cat "$TMP/init.out"; fail "endpoint auto is not the default route's source"; }
has -F 'oifname "wan0" masquerade' "$etc/$is.conf" || fail "masquerading not out of the default route's interface"
for n in 1 2 3; do
    conf="$etc/$is-peers/peer$n/peer$n.conf"
    has -x "Address = 10.13.13.$((n + 1))/32" "$conf" || fail "peer$n address"
    has -x "DNS = 192.0.2.53" "$conf" || fail "peer$n DNS"
    [ "$(stat -c %a "$conf")" = 600 ] && [ "$(stat -c %a "$(dirname "$conf")")" = 700 ] || fail "peer$n modes"
done
has -x "PersistentKeepalive = 25" "$etc/$is-peers/peer1/peer1.conf" || fail "peer1 keepalive"
! has PersistentKeepalive "$etc/$is-peers/peer2/peer2.conf" || fail "peer2 keepalive"
! has -E '[A-Za-z0-9+/]{43}=' "$TMP/init.out" || fail "init printed a key without --qr"
pass "init: server config, three client configs, endpoint and interface from the default route"

step "QR codes"
for n in 1 2; do
    conf="$etc/$is-peers/peer$n/peer$n.conf"
    srv show "peer$n" >"$TMP/show$n" && cmp -s "$TMP/show$n" "$conf" || fail "show peer$n is not the client config"
    srv show "peer$n" --png "$TMP/peer$n.png" || fail "show --png"
    for png in "$TMP/peer$n.png" "$etc/$is-peers/peer$n/peer$n.png"; do
        zbarimg -q --raw "$png" 2>/dev/null >"$TMP/decoded" || fail "zbarimg cannot read $png"
        cmp -s "$TMP/decoded" <(cat "$conf"; echo) || { diff "$TMP/decoded" "$conf" || true; fail "$png does not decode to the client config"; }
    done
    srv show "peer$n" --qr >"$TMP/qr$n.txt" || fail "show --qr"
    python3 -c 'import sys; sys.exit(max(map(len, open(sys.argv[1], encoding="utf-8").read().splitlines())) > 80)' "$TMP/qr$n.txt" \
        || fail "the terminal QR code is wider than 80 columns"
    python3 "$ROOT/Tests/Integration/halfblocks_png.py" "$TMP/qr$n.txt" "$TMP/qr$n.png"
    zbarimg -q --raw "$TMP/qr$n.png" 2>/dev/null >"$TMP/decoded" || fail "zbarimg cannot read the terminal QR code"
    cmp -s "$TMP/decoded" <(cat "$conf"; echo) || fail "the terminal QR code does not decode to the client config"
done
pass "QR codes: PNG and terminal text decode to the client config byte for byte"

step "server and two clients up"
ip netns exec "$s" "$QUICK" up "$etc/$is.conf" 2>"$TMP/up.s" || { cat "$TMP/up.s"; fail "server up"; }
for n in 1 2; do
    ic="wc$n$TAG"; INTERFACES+=("$ic")
    sed '/^DNS = /d' "$etc/$is-peers/peer$n/peer$n.conf" >"$TMP/$ic.conf"; chmod 600 "$TMP/$ic.conf"
    c=$(eval echo "\$c$n")
    ip netns exec "$c" "$QUICK" up "$TMP/$ic.conf" 2>"$TMP/up.$n" || { cat "$TMP/up.$n"; fail "client $n up"; }
done
ip netns exec "$c1" ping -c 3 -i 0.2 -W 3 10.13.13.1 >/dev/null || { show_logs; fail "peer1 cannot ping the server"; }
ip netns exec "$c2" ping -c 3 -i 0.2 -W 3 10.13.13.1 >/dev/null || { show_logs; fail "peer2 cannot ping the server"; }
ip netns exec "$c1" ping -c 3 -i 0.2 -W 3 10.13.13.3 >/dev/null || fail "peer1 cannot ping peer2 through the server"
pass "ping: peers to the server and to each other"

ip netns exec "$i" python3 -m http.server --bind 203.0.113.2 8080 --directory "$TMP" >"$TMP/http.log" 2>&1 &
wait_for 5 ip netns exec "$i" bash -c "ss -ltnH | grep -q ':8080 '" || fail "HTTP server did not start"
ip netns exec "$c1" curl -sf --max-time 5 http://203.0.113.2:8080/ >/dev/null || fail "peer1 cannot reach the internet through the server"
has '^203\.0\.113\.1 ' "$TMP/http.log" || { cat "$TMP/http.log"; fail "the internet did not see the server's address"; }
[ "$(ip netns exec "$c1" wg show "wc1$TAG" transfer | cut -f3)" -gt 0 ] || fail "peer1 sent nothing through the tunnel"
pass "masquerading: peer1's traffic reaches the internet from 203.0.113.1"

step "add peer4 while peer1 and peer2 ping"
handshakes() { ip netns exec "$s" wg show "$is" latest-handshakes | sort; }
before=$(handshakes)
ip netns exec "$c1" ping -c 20 -i 0.1 -W 2 10.13.13.1 >"$TMP/ping1" 2>&1 & p1=$!
ip netns exec "$c2" ping -c 20 -i 0.1 -W 2 10.13.13.1 >"$TMP/ping2" 2>&1 & p2=$!
sleep 0.5
srv add peer4 >"$TMP/add.out" 2>&1 || { cat "$TMP/add.out"; fail "add"; }
wait $p1 || { cat "$TMP/ping1"; fail "peer1 lost pings while peer4 was added"; }
wait $p2 || { cat "$TMP/ping2"; fail "peer2 lost pings while peer4 was added"; }
has " 0% packet loss" "$TMP/ping1" && has " 0% packet loss" "$TMP/ping2" || fail "pings lost while adding"
has -F "[#] wg syncconf $is <(wg-quick strip '$etc/$is.conf')" "$TMP/add.out" || { cat "$TMP/add.out"; fail "add did not sync the running interface"; }
pub4=$(cat "$etc/$is-peers/peer4/publickey")
[ "$(handshakes | grep -vF "$pub4")" = "$before" ] || { echo "$before"; handshakes; fail "a session was renewed by add"; }
[ "$(ip netns exec "$s" wg show "$is" allowed-ips | awk -v k="$pub4" '$1 == k { print $2 }')" = 10.13.13.5/32 ] || fail "peer4 not on the interface"
ic="wc3$TAG"; INTERFACES+=("$ic")
sed '/^DNS = /d' "$etc/$is-peers/peer4/peer4.conf" >"$TMP/$ic.conf"; chmod 600 "$TMP/$ic.conf"
ip netns exec "$c3" "$QUICK" up "$TMP/$ic.conf" 2>"$TMP/up.3" || { cat "$TMP/up.3"; fail "peer4 up"; }
ip netns exec "$c3" ping -c 3 -i 0.2 -W 3 10.13.13.1 >/dev/null || fail "peer4 cannot ping the server"
pass "add: peer4 live at 10.13.13.5, peer1 and peer2 kept their sessions and lost no ping"

step "remove peer3, add peer5, list"
pub3=$(cat "$etc/$is-peers/peer3/publickey")
before=$(handshakes | grep -v "^$pub3")
srv remove peer3 >"$TMP/remove.out" 2>&1 || { cat "$TMP/remove.out"; fail "remove"; }
[ ! -e "$etc/$is-peers/peer3" ] || fail "peer3's folder is still there"
! ip netns exec "$s" wg show "$is" peers | has -F "$pub3" || fail "peer3 is still on the interface"
[ "$(handshakes)" = "$before" ] || fail "a session was renewed by remove"
ip netns exec "$c1" ping -c 2 -i 0.2 -W 2 10.13.13.1 >/dev/null || fail "peer1 after remove"
srv add peer5 >/dev/null 2>&1 || fail "add peer5"
has -x "Address = 10.13.13.4/32" "$etc/$is-peers/peer5/peer5.conf" || fail "peer5 did not get peer3's freed address"
srv list >"$TMP/list"
cat >"$TMP/list.expected" <<LIST
NAME   ADDRESS             KEEPALIVE
peer1  10.13.13.2/32       25
peer2  10.13.13.3/32       off
peer4  10.13.13.5/32       off
peer5  10.13.13.4/32       off
LIST
diff "$TMP/list.expected" "$TMP/list" || fail "list"
pass "remove frees the address, list prints names and addresses only"

step "bad input"
mkdir -p "$TMP/ro"
if ip netns exec "$s" unshare -m sh -c "mount -t tmpfs -o ro tmpfs '$TMP/ro' && '$SERVER' init --peers 1 --dir '$TMP/ro' --dns none" >"$TMP/ro.out" 2>&1; then
    fail "init into a read-only directory succeeded"
fi
[ "$(cat "$TMP/ro.out")" = "wg-server: cannot create $TMP/ro/wg0-server: Read-only file system" ] || { cat "$TMP/ro.out"; fail "read-only directory: message"; }
srv add peer1 2>"$TMP/dup.err" && fail "adding a name in use succeeded"
[ "$(cat "$TMP/dup.err")" = "wg-server: peer \`peer1' already exists" ] || { cat "$TMP/dup.err"; fail "name in use: message"; }
pass "bad input: one line, exit 1"

step "down, and the iptables fallback"
ip netns exec "$s" "$QUICK" down "$etc/$is.conf" 2>"$TMP/down.s" || { cat "$TMP/down.s"; fail "server down"; }
! ip netns exec "$s" nft list tables | has "wg-server-$is" || fail "PostDown left the nft table"
# PATH without nft: every /usr/sbin program but nft, linked into one directory.
mkdir "$TMP/sbin"
for f in /usr/sbin/* /sbin/*; do [ "${f##*/}" = nft ] || ln -sf "$f" "$TMP/sbin/${f##*/}"; done
nonft="$(dirname "$QUICK"):$TMP/sbin:/usr/bin:/bin"
ip netns exec "$s" env PATH="$nonft" "$QUICK" up "$etc/$is.conf" 2>"$TMP/up.ipt" || { cat "$TMP/up.ipt"; fail "server up without nft"; }
ip netns exec "$s" iptables -t nat -S POSTROUTING | has -x -- "-A POSTROUTING -s 10.13.13.0/24 -o wan0 -j MASQUERADE" || fail "no iptables MASQUERADE without nft"
! ip netns exec "$s" nft list tables | has "wg-server-$is" || fail "an nft table without nft on PATH"
ip netns exec "$s" env PATH="$nonft" "$QUICK" down "$etc/$is.conf" 2>"$TMP/down.ipt" || { cat "$TMP/down.ipt"; fail "server down without nft"; }
! ip netns exec "$s" iptables -t nat -S POSTROUTING | has -- "-j MASQUERADE" || fail "PostDown left the iptables rule"
pass "down removes the firewall rules; without nft, iptables"
