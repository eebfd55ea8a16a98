#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our wg-quick on the three set-ups people build first, each brought up and down by it:
#   1. peer to peer: ping and HTTP across the tunnel;
#   2. a client reaching the LAN behind a gateway (PostUp forwarding and MASQUERADE): HTTP to the LAN host
#      works while up and not after down;
#   3. a full tunnel (0.0.0.0/0 and ::/0) with DNS: the "internet" host sees the gateway's address, the
#      tunnel's UDP does not loop, the fwmark rules, table 51820 and nft table are there while up, and the
#      resolver (a real openresolv, in a private mount namespace with its own /etc/resolv.conf and /run) holds
#      the tunnel's server.
# For each, the client's rules, routes, nft ruleset and resolv.conf are identical before up and after down, and
# the `[#]` lines of our wg-quick equal those of Debian's wg-quick (both starting our daemon). Then failures:
# a bad line, a missing file, a failing hook and a missing resolvconf leave the system as it was.
source "$(dirname "$0")/lib.sh"
QUICK=${OUR_WG_QUICK:-$ROOT/.build/debug/wg-quick}
DEBIAN_QUICK=$(command -v wg-quick)
[ -x "$QUICK" ] || fail "our wg-quick is not built at $QUICK"
command -v resolvconf >/dev/null || fail "resolvconf (openresolv) is needed"
export WG_QUICK_USERSPACE_IMPLEMENTATION=$OURS
for k in c1 p1 c2 g2 c3 g3; do keypair $k; done

# quick_side NS IMPL OUT CONF CHECKS: in a private mount namespace (own /run and /etc/resolv.conf, so resolvconf
# and the daemon's socket stay inside), snapshot, `wg-quick up`, run the CHECKS script, `wg-quick down`,
# snapshot. Leaves OUT.{before,after,up,down,checks}.
cat >"$TMP/side.sh" <<'SIDE'
set -u
quick=$1 out=$2 conf=$3 checks=$4
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p /run/resolvconf
cp /etc/resolv.conf "$out.resolv"
mount --bind "$out.resolv" /etc/resolv.conf
sysctl -qw net.ipv4.conf.all.src_valid_mark=0
snapshot() {
    ip rule; ip -6 rule; ip route; ip -6 route; nft list ruleset; echo "resolv.conf:"; cat /etc/resolv.conf
    ip -o link | sed 's/^[0-9]*: //' | cut -d' ' -f1-2
}
snapshot >"$out.before"
"$quick" up "$conf" 2>"$out.up" && up=0 || up=$?
echo "up exit $up" >>"$out.up"
bash -c "$checks" >"$out.checks" 2>&1 && echo "checks ok" >>"$out.checks" || echo "checks FAILED" >>"$out.checks"
"$quick" down "$conf" 2>"$out.down" && down=0 || down=$?
echo "down exit $down" >>"$out.down"
snapshot >"$out.after"
SIDE

# side NS NAME CONF CHECKS: runs ours, then Debian's, on the client side and compares.
side() {
    local ns=$1 name=$2 conf=$3 checks=$4 impl
    for impl in ours debian; do
        local q=$QUICK; [ $impl = debian ] && q=$DEBIAN_QUICK
        ip netns exec "$ns" unshare -m bash "$TMP/side.sh" "$q" "$TMP/$name.$impl" "$conf" "$checks"
        has -x "checks ok" "$TMP/$name.$impl.checks" || { cat "$TMP/$name.$impl.checks" "$TMP/$name.$impl.up"; show_logs; fail "$name: checks failed with $impl wg-quick"; }
        has -x "up exit 0" "$TMP/$name.$impl.up" || { cat "$TMP/$name.$impl.up"; fail "$name: $impl up failed"; }
        has -x "down exit 0" "$TMP/$name.$impl.down" || { cat "$TMP/$name.$impl.down"; fail "$name: $impl down failed"; }
        diff "$TMP/$name.$impl.before" "$TMP/$name.$impl.after" || fail "$name: $impl wg-quick left the system changed"
    done
    for phase in up down; do
        diff "$TMP/$name.debian.$phase" "$TMP/$name.ours.$phase" \
            || fail "$name: [#] lines of $phase differ from Debian's wg-quick (Debian's <, ours >)"
    done
    pass "$name: works; before up = after down; [#] lines as Debian's"
}

# server NS ADDRESS PORT LOG: a Python HTTP server logging client addresses.
server() {
    ip netns exec "$1" python3 -m http.server --bind "$2" "$3" --directory "$TMP" >"$4" 2>&1 &
    wait_for 5 ip netns exec "$1" bash -c "ss -ltnH | grep -q ':$3 '" || fail "HTTP server on $2:$3 did not start"
}

conf() {  # conf NAME: stdin to $TMP/NAME.conf, mode 600
    cat >"$TMP/$1.conf"; chmod 600 "$TMP/$1.conf"
}

step "1. peer to peer"
a=$(new_ns q1a-); b=$(new_ns q1b-)
veth "$a" "$b" 192.168.91.1 192.168.91.2 fd91::1 fd91::2
ia="q1a$TAG"; ib="q1b$TAG"; INTERFACES+=("$ia" "$ib")
conf "$ib" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/p1.key")
ListenPort = 42102
Address = 10.91.0.2/24
[Peer]
PublicKey = $(cat "$TMP/c1.pub")
AllowedIPs = 10.91.0.1/32
CONF
conf "$ia" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/c1.key")
ListenPort = 42101
Address = 10.91.0.1/24, fd91:10::1/64
PostUp = echo "up: %i"
PreDown = echo "going down: %i"
[Peer]
PublicKey = $(cat "$TMP/p1.pub")
Endpoint = 192.168.91.2:42102
AllowedIPs = 10.91.0.2/32, 10.92.0.0/16
CONF
ip netns exec "$b" "$QUICK" up "$TMP/$ib.conf" 2>"$TMP/$ib.up" || { cat "$TMP/$ib.up"; fail "peer up"; }
server "$b" 10.91.0.2 8081 "$TMP/http1.log"
side "$a" peer-to-peer "$TMP/$ia.conf" "ping -c 2 -i 0.2 -W 3 10.91.0.2 >/dev/null && curl -sf --max-time 5 http://10.91.0.2:8081/ >/dev/null && ip route show dev $ia | grep -q '10.92.0.0/16'"

step "2. a peer reaching the LAN behind the other"
c=$(new_ns q2c-); g=$(new_ns q2g-); l=$(new_ns q2l-)
veth "$c" "$g" 192.168.92.2 192.168.92.1 fd92::2 fd92::1
ip link add "w$TAG-a" netns "$g" type veth peer name "w$TAG-b" netns "$l"
ip -n "$g" link set "w$TAG-a" name lan0; ip -n "$l" link set "w$TAG-b" name eth0
ip -n "$g" addr add 172.16.92.1/24 dev lan0; ip -n "$l" addr add 172.16.92.2/24 dev eth0
ip -n "$g" link set lan0 up; ip -n "$l" link set eth0 up
ic="q2c$TAG"; ig="q2g$TAG"; INTERFACES+=("$ic" "$ig")
conf "$ig" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/g2.key")
ListenPort = 42202
Address = 10.92.0.1/24
PostUp = sysctl -qw net.ipv4.ip_forward=1; nft add table ip nat-%i; nft add chain ip nat-%i post '{ type nat hook postrouting priority 100; }'; nft add rule ip nat-%i post iifname %i oifname lan0 masquerade
PostDown = nft delete table ip nat-%i; sysctl -qw net.ipv4.ip_forward=0
[Peer]
PublicKey = $(cat "$TMP/c2.pub")
AllowedIPs = 10.92.0.2/32
CONF
conf "$ic" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/c2.key")
Address = 10.92.0.2/24
[Peer]
PublicKey = $(cat "$TMP/g2.pub")
Endpoint = 192.168.92.1:42202
AllowedIPs = 10.92.0.0/24, 172.16.92.0/24
CONF
gw_before=$(ip netns exec "$g" sh -c 'nft list ruleset; ip route; ip rule')
ip netns exec "$g" "$QUICK" up "$TMP/$ig.conf" 2>"$TMP/$ig.up" || { cat "$TMP/$ig.up"; fail "gateway up"; }
server "$l" 172.16.92.2 8082 "$TMP/http2.log"
side "$c" lan "$TMP/$ic.conf" "curl -sf --max-time 5 http://172.16.92.2:8082/ >/dev/null && grep -q '^172.16.92.1 ' $TMP/http2.log"
ip netns exec "$c" curl -sf --max-time 2 http://172.16.92.2:8082/ >/dev/null 2>&1 && fail "the LAN is still reachable after down"
pass "the LAN host is unreachable after down"
ip netns exec "$g" "$QUICK" down "$TMP/$ig.conf" 2>"$TMP/$ig.down" || { cat "$TMP/$ig.down"; fail "gateway down"; }
[ "$gw_before" = "$(ip netns exec "$g" sh -c 'nft list ruleset; ip route; ip rule')" ] || fail "gateway not restored by PostDown and down"
pass "gateway: PostUp NAT removed by PostDown"

step "3. a full tunnel with DNS"
c=$(new_ns q3c-); g=$(new_ns q3g-); i=$(new_ns q3i-)
veth "$c" "$g" 192.168.93.2 192.168.93.1 fd93::2 fd93::1
ip link add "x$TAG-a" netns "$g" type veth peer name "x$TAG-b" netns "$i"
ip -n "$g" link set "x$TAG-a" name wan0; ip -n "$i" link set "x$TAG-b" name eth0
ip -n "$g" addr add 198.51.100.1/24 dev wan0; ip -n "$i" addr add 198.51.100.2/24 dev eth0
ip -n "$g" addr add 2001:db8:93::1/64 dev wan0 nodad; ip -n "$i" addr add 2001:db8:93::2/64 dev eth0 nodad
ip -n "$g" link set wan0 up; ip -n "$i" link set eth0 up
ic="q3c$TAG"; ig="q3g$TAG"; INTERFACES+=("$ic" "$ig")
conf "$ig" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/g3.key")
ListenPort = 42302
Address = 10.93.0.1/24, fd93:10::1/64
PostUp = sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1; nft add table inet nat-%i; nft add chain inet nat-%i post '{ type nat hook postrouting priority 100; }'; nft add rule inet nat-%i post iifname %i oifname wan0 masquerade
PostDown = nft delete table inet nat-%i
[Peer]
PublicKey = $(cat "$TMP/c3.pub")
AllowedIPs = 10.93.0.2/32, fd93:10::2/128
CONF
conf "$ic" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/c3.key")
Address = 10.93.0.2/32
Address = fd93:10::2/128
DNS = 10.93.0.53, fd93:10::53, tunnel.example
[Peer]
PublicKey = $(cat "$TMP/g3.pub")
Endpoint = 192.168.93.1:42302
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
CONF
ip netns exec "$g" "$QUICK" up "$TMP/$ig.conf" 2>"$TMP/$ig.up" || { cat "$TMP/$ig.up"; fail "gateway up"; }
server "$i" 198.51.100.2 8083 "$TMP/http3.log"
server "$i" 2001:db8:93::2 8084 "$TMP/http3v6.log"
checks="set -e
curl -sf --max-time 5 http://198.51.100.2:8083/ >/dev/null
curl -sf --max-time 5 'http://[2001:db8:93::2]:8084/' >/dev/null
grep -q '^198.51.100.1 ' $TMP/http3.log
grep -q '^2001:db8:93::1 ' $TMP/http3v6.log
ip rule | grep -q 'not from all fwmark 0xca6c lookup 51820'
ip rule | grep -q 'from all lookup main suppress_prefixlength 0'
ip -6 rule | grep -q 'not from all fwmark 0xca6c lookup 51820'
[ \"\$(ip route show table 51820)\" = 'default dev $ic scope link ' ]
nft list table ip wg-quick-$ic | grep -q 'chain preraw'
nft list table ip wg-quick-$ic | grep -q 'meta l4proto udp meta mark 0x0000ca6c ct mark set meta mark'
nft list table ip6 wg-quick-$ic | grep -q 'chain premangle'
[ \"\$(wg show $ic fwmark)\" = 0xca6c ]
[ \"\$(wg show $ic latest-handshakes | cut -f2)\" -gt 0 ]
grep -q '^nameserver 10.93.0.53' /etc/resolv.conf
grep -q '^nameserver fd93:10::53' /etc/resolv.conf
grep -q '^search tunnel.example' /etc/resolv.conf"
side "$c" full-tunnel "$TMP/$ic.conf" "$checks"
for f in "$TMP"/full-tunnel.*.before; do has -x "nameserver 10.93.0.53" "$f" && fail "resolv.conf had the tunnel server before up"; done

step "failures leave the system unchanged"
fails="$TMP/fail"
snap() { ip netns exec "$c" sh -c 'ip -o link | cut -d" " -f2; ip rule; ip route; ip -6 route; nft list ruleset'; }
before=$(snap)
expect_failure() {  # expect_failure NAME MESSAGE-REGEX CONF-FILE
    if ip netns exec "$c" "$QUICK" up "$3" 2>"$fails.$1"; then fail "$1: up succeeded"; fi
    has -E "$2" "$fails.$1" || { cat "$fails.$1"; fail "$1: no reason given"; }
    [ "$before" = "$(snap)" ] || { cat "$fails.$1"; fail "$1: the system changed"; }
    pass "$1: refused, says why, nothing changed"
}
{ sed '/^DNS/d' "$TMP/$ic.conf"; echo "Bogus = 1"; } >"$TMP/bad$TAG.conf"
expect_failure "bad line" "Line unrecognized: \`Bogus=1'" "$TMP/bad$TAG.conf"
expect_failure "missing file" "\`$TMP/none$TAG.conf' does not exist" "$TMP/none$TAG.conf"
{ sed '/^DNS/d' "$TMP/$ic.conf" | sed 's/^\[Peer\]/PostUp = echo about to fail; false\n[Peer]/'; } >"$TMP/hook$TAG.conf"
expect_failure "failing hook" "hook \`echo about to fail; false' failed with exit status 1" "$TMP/hook$TAG.conf"
ip netns exec "$c" env PATH=/usr/local/bin:/usr/bin:/bin "$QUICK" up "$TMP/$ic.conf" 2>"$fails.dns" && fail "up without resolvconf succeeded"
has "resolvconf' is not installed" "$fails.dns" || { cat "$fails.dns"; fail "missing resolvconf: no reason"; }
! has "^\[#\]" "$fails.dns" || { cat "$fails.dns"; fail "missing resolvconf: something ran before the check"; }
pass "missing resolvconf: said before changing anything"

step "strip, save, deliberate differences"
ip netns exec "$c" "$QUICK" strip "$TMP/$ic.conf" >"$TMP/strip.ours"
ip netns exec "$c" "$DEBIAN_QUICK" strip "$TMP/$ic.conf" >"$TMP/strip.debian"
cmp -s "$TMP/strip.ours" "$TMP/strip.debian" || { diff "$TMP/strip.debian" "$TMP/strip.ours"; fail "strip differs"; }
pass "strip prints what Debian's prints"
# World-accessible file: same warning.
# (wg-quick warns when the file and its directory are both open to others.)
mkdir -m 755 "$TMP/open"; cp "$TMP/$ic.conf" "$TMP/open/world$TAG.conf"; chmod 644 "$TMP/open/world$TAG.conf"
ip netns exec "$c" "$QUICK" strip "$TMP/open/world$TAG.conf" >"$TMP/w.ours" 2>&1
ip netns exec "$c" "$DEBIAN_QUICK" strip "$TMP/open/world$TAG.conf" >"$TMP/w.debian" 2>&1
has -F "Warning: \`$TMP/open/world$TAG.conf' is world accessible" "$TMP/w.ours" || { cat "$TMP/w.ours"; fail "no world-accessible warning"; }
cmp -s "$TMP/w.ours" "$TMP/w.debian" || { diff "$TMP/w.debian" "$TMP/w.ours"; fail "world-accessible warning differs"; }
pass "world-accessible file: the same warning"

# save: the running configuration written back with the wg-quick keys, as Debian's writes it.
keypair extra
ip netns exec "$b" wg set "$ib" peer "$(cat "$TMP/extra.pub")" allowed-ips 10.91.7.0/24 endpoint 192.0.2.7:7
cp "$TMP/$ib.conf" "$TMP/$ib.orig"
ip netns exec "$b" "$QUICK" save "$TMP/$ib.conf" 2>"$TMP/save.ours.err" || { cat "$TMP/save.ours.err"; fail "save"; }
cp "$TMP/$ib.conf" "$TMP/save.ours"; cp "$TMP/$ib.orig" "$TMP/$ib.conf"
ip netns exec "$b" "$DEBIAN_QUICK" save "$TMP/$ib.conf" 2>"$TMP/save.debian.err" || { cat "$TMP/save.debian.err"; fail "Debian's save"; }
has -x "Address = 10.91.0.2/24" "$TMP/save.ours" && has -x "AllowedIPs = 10.91.7.0/24" "$TMP/save.ours" || { cat "$TMP/save.ours"; fail "saved file lacks the address or the new peer"; }
[ "$(stat -c %a "$TMP/save.ours")" = 600 ] || fail "saved file is not 0600"
for f in save save.err; do
    a="$TMP/${f/save/save.ours}"; d="$TMP/${f/save/save.debian}"
    [ $f = save ] && { a="$TMP/save.ours"; d="$TMP/$ib.conf"; }
    cmp -s "$a" "$d" || { diff "$d" "$a"; fail "save: $f differs from Debian's"; }
done
pass "save writes what Debian's writes"

# SaveConfig = true saves on down.
ip netns exec "$b" "$QUICK" down "$TMP/$ib.conf" 2>/dev/null || fail "down"
sed -i 's/^\[Interface\]$/[Interface]\nSaveConfig = true/' "$TMP/$ib.conf"
ip netns exec "$b" "$QUICK" up "$TMP/$ib.conf" 2>/dev/null || fail "up with SaveConfig"
ip netns exec "$b" wg set "$ib" peer "$(cat "$TMP/extra.pub")" remove
ip netns exec "$b" "$QUICK" down "$TMP/$ib.conf" 2>"$TMP/savedown.err" || { cat "$TMP/savedown.err"; fail "down with SaveConfig"; }
has -x "SaveConfig = true" "$TMP/$ib.conf" && ! has "$(cat "$TMP/extra.pub")" "$TMP/$ib.conf" \
    || { cat "$TMP/$ib.conf"; fail "SaveConfig did not write the running configuration on down"; }
pass "SaveConfig = true writes the configuration on down"

# Deliberate differences from Debian's wg-quick: src_valid_mark only when not already set; hooks keep their
# comments (upstream wg-quick; Debian's drops everything after '#').
ip netns exec "$c" sysctl -qw net.ipv4.conf.all.src_valid_mark=1
sed '/^DNS/d; s/^\[Peer\]/PostUp = echo kept # this comment\n[Peer]/' "$TMP/$ic.conf" >"$TMP/diff$TAG.conf"; chmod 600 "$TMP/diff$TAG.conf"
ip netns exec "$c" "$QUICK" up "$TMP/diff$TAG.conf" 2>"$TMP/diff.up" || { cat "$TMP/diff.up"; fail "up"; }
ip netns exec "$c" "$QUICK" down "$TMP/diff$TAG.conf" 2>/dev/null || fail "down"
! has "src_valid_mark" "$TMP/diff.up" || fail "src_valid_mark set although it was already on"
has -Fx "[#] echo kept # this comment" "$TMP/diff.up" || { cat "$TMP/diff.up"; fail "hook comment not kept"; }
pass "deliberate: src_valid_mark left alone when already 1; hook comments kept"
