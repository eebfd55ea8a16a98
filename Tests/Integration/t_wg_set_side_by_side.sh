#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our wg and Debian's wg changing a device side by side: `set` (every option, keys from files and stdin),
# `setconf`, `addconf`, `syncconf` and bad inputs, against our daemon and against Debian's wireguard-go.
# Each command runs twice on the same interface, reset to the same baseline before each run: once with
# Debian's wg, once with ours. Stdout, stderr, exit status and the resulting `showconf` must be identical.
# Deliberate differences are tested as such: the hint after a wg-quick key, and `+`/`-` allowed IPs
# (current wireguard-tools upstream; Debian's 1.0.20210914 refuses them).
source "$(dirname "$0")/lib.sh"
wg_pair
ns=$(new_ns ss-)
compared=0

keypair dev; keypair other
for p in 1 2 3 4; do keypair "p$p"; done
(umask 077; wg genpsk >"$TMP/psk")
pub() { cat "$TMP/$1.pub"; }
printf 'not a key at all\n' >"$TMP/bad.key"
{ head -c 43 "$TMP/psk"; } >"$TMP/short.key"
{ tr -d '\n' <"$TMP/psk"; printf ' x\n'; } >"$TMP/trailing.key"

# The state every run starts from.
baseline() {
    cat <<CONF
[Interface]
PrivateKey = $(cat "$TMP/dev.key")
ListenPort = $1
FwMark = 0x10

[Peer]
PublicKey = $(pub p1)
PresharedKey = $(cat "$TMP/psk")
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.1.0.0/16, fd00:1::/64
PersistentKeepalive = 25

[Peer]
PublicKey = $(pub p2)
AllowedIPs = 10.2.0.0/16
CONF
}

# run IMPL IFACE ARGS...: resets IFACE, runs IMPL's wg (invoked as `wg` in both cases) with ARGS, where
# @IF@ stands for the interface; standard input from $STDIN. Leaves $TMP/IMPL.{out,err,state}.
run() {
    local impl=$1 i=$2 rc=0; shift 2
    ip netns exec "$ns" env -u WG_ENDPOINT_RESOLUTION_RETRIES wg setconf "$i" "$TMP/baseline.conf" || fail "baseline refused"
    (cd "$TMP/$impl" && ip netns exec "$ns" env PATH="$TMP/$impl:$PATH" wg "${@//@IF@/$i}" \
        <"${STDIN:-/dev/null}" >"$TMP/$impl.out" 2>"$TMP/$impl.err") || rc=$?
    echo "rc=$rc" >>"$TMP/$impl.out"
    # Port 0 picks an ephemeral port (32768 and up), different each time; the ports set on purpose are below that range.
    ip netns exec "$ns" wg showconf "$i" | sed -E 's/^ListenPort = (3[2-9]|[4-6][0-9])[0-9]{3}$/ListenPort = (ephemeral)/' \
        | canonical >"$TMP/$impl.state"
}

# same ARGS...: Debian's wg and ours, same output, status and resulting configuration. With HINT set, our
# stderr must hold that extra line (and is compared without it).
same() {
    run debian "$iface" "$@"
    run ours "$iface" "$@"
    if [ -n "${HINT:-}" ]; then
        has -Fx "$HINT" "$TMP/ours.err" || { cat "$TMP/ours.err"; fail "wg $*: our hint is missing"; }
        grep -vFx "$HINT" "$TMP/ours.err" >"$TMP/ours.err.nohint" || true
        mv "$TMP/ours.err.nohint" "$TMP/ours.err"
    fi
    for f in out err state; do
        if ! cmp -s "$TMP/debian.$f" "$TMP/ours.$f"; then
            echo "--- wg $*: $f differs (Debian's, then ours)"
            diff "$TMP/debian.$f" "$TMP/ours.$f" || true
            fail "wg $* differs"
        fi
    done
    compared=$((compared + 1))
}

conf() {  # conf NAME: stdin becomes $TMP/NAME.conf
    cat >"$TMP/$1.conf"
}

conf full <<CONF
# A comment line, then keys in odd case and spacing.
[interface]
  privatekey=$(cat "$TMP/other.key")   # trailing comment
LISTENPORT = 0
fwmark = off
[ Peer ]
PublicKey = $(pub p3)
Endpoint = [fd00::3]:4000
AllowedIPs = 10.3.0.0/16,
AllowedIPs = fd00:3::/48
PresharedKey = $(cat "$TMP/psk")
PersistentKeepalive = off

[Peer]
PublicKey = $(pub p1)
AllowedIPs = 10.1.0.0/16
Endpoint = localhost:51820
CONF
conf peers-only <<CONF
[Peer]
PublicKey = $(pub p4)
AllowedIPs = 10.4.0.1/24
Endpoint = 198.51.100.4:1
CONF
conf empty </dev/null
conf no-pubkey <<CONF
[Peer]
AllowedIPs = 10.9.0.0/16
CONF
conf unknown-key <<CONF
[Interface]
PrivateKey = $(cat "$TMP/other.key")
Bogus = 1
CONF
conf wg-quick-key <<CONF
[Interface]
PrivateKey = $(cat "$TMP/other.key")
Address = 10.0.0.1/24
CONF
conf bad-prefix <<CONF
[Peer]
PublicKey = $(pub p3)
AllowedIPs = 10.3.0.0/33
CONF
conf bad-v6-prefix <<CONF
[Peer]
PublicKey = $(pub p3)
AllowedIPs = fd00::/129
CONF
conf bad-key <<CONF
[Peer]
PublicKey = $(pub p3 | tr A-Za-z a-zA-Z | cut -c 2-)
CONF
conf before-section <<CONF
PrivateKey = $(cat "$TMP/other.key")
CONF
conf empty-value <<CONF
[Interface]
ListenPort =
CONF
conf bad-endpoint <<CONF
[Peer]
PublicKey = $(pub p3)
Endpoint = 192.0.2.1
CONF

for kind in swift go; do
    step "against $kind"
    [ $kind = go ] && export UNORDERED=1
    iface="ss$kind-$TAG"; iface=${iface:0:15}
    start_daemon "$kind" "$ns" "$iface"
    port=$([ $kind = swift ] && echo 21900 || echo 21901)
    baseline "$port" >"$TMP/baseline.conf"

    step "set: every option"
    same set @IF@ listen-port 22001 fwmark 0xbeef private-key "$TMP/other.key"
    same set @IF@ listen-port 0 fwmark off
    same set @IF@ fwmark 1234
    same set @IF@ private-key /dev/null
    STDIN="$TMP/other.key" same set @IF@ private-key /dev/stdin
    same set @IF@ peer "$(pub p3)" preshared-key "$TMP/psk" endpoint "[fd00::3]:3" persistent-keepalive 15 \
        allowed-ips "10.3.0.0/16, fd00:3::/64" peer "$(pub p4)" endpoint 203.0.113.4:4 allowed-ips 10.4.0.0/16
    same set @IF@ peer "$(pub p1)" remove
    same set @IF@ peer "$(pub p1)" allowed-ips ""
    same set @IF@ peer "$(pub p1)" allowed-ips 10.1.2.3/16,fd00:1::1/64
    same set @IF@ peer "$(pub p1)" preshared-key /dev/null persistent-keepalive off
    same set @IF@ peer "$(pub p2)" endpoint localhost:9 allowed-ips 10.2.0.0/16,10.22.0.0/16
    same set @IF@ peer "$(pub p2)" endpoint "::1:9"
    same set @IF@ listen-port 70000
    step "set: bad input"
    same set
    same set @IF@
    same set @IF@ peer "$(pub p3 | cut -c 2-)"
    same set @IF@ peer
    same set @IF@ listen-port
    same set @IF@ listen-port ""
    same set @IF@ listen-port -1
    same set @IF@ listen-port no-such-service
    same set @IF@ fwmark 0x
    same set @IF@ fwmark 0x1ffffffff
    same set @IF@ private-key /no/such/file
    same set @IF@ private-key "$TMP"
    same set @IF@ private-key "$TMP/bad.key"
    same set @IF@ private-key "$TMP/short.key"
    same set @IF@ private-key "$TMP/trailing.key"
    same set @IF@ peer "$(pub p3)" allowed-ips 10.0.0.0/33
    same set @IF@ peer "$(pub p3)" allowed-ips 10.0.0.0/
    same set @IF@ peer "$(pub p3)" allowed-ips 10.0.0.256/8
    same set @IF@ peer "$(pub p3)" allowed-ips 10.0.0.0/8,
    same set @IF@ peer "$(pub p3)" endpoint 192.0.2.1
    same set @IF@ peer "$(pub p3)" endpoint "[fd00::1"
    same set @IF@ peer "$(pub p3)" endpoint "[fd00::1]"
    same set @IF@ peer "$(pub p3)" endpoint ""
    same set @IF@ peer "$(pub p3)" persistent-keepalive 65536
    same set @IF@ peer "$(pub p3)" persistent-keepalive -1
    same set @IF@ remove
    same set @IF@ bogus 1
    same set @IF@ peer "$(pub p3)" listen-port 1
    same set "no-such-$TAG" listen-port 1
    # A transient resolver failure is retried, with a growing pause, as many times as the variable says.
    WG_ENDPOINT_RESOLUTION_RETRIES=2 same set @IF@ peer "$(pub p3)" endpoint 192.0.2.1:no-such-service
    WG_ENDPOINT_RESOLUTION_RETRIES=often same set @IF@ peer "$(pub p3)" endpoint 192.0.2.1:1

    step "setconf, addconf, syncconf"
    for sub in setconf addconf syncconf; do
        for c in full peers-only empty; do same $sub @IF@ "$TMP/$c.conf"; done
        STDIN="$TMP/peers-only.conf" same $sub @IF@ /dev/stdin
        for c in no-pubkey unknown-key bad-prefix bad-v6-prefix bad-key before-section empty-value bad-endpoint; do
            same $sub @IF@ "$TMP/$c.conf"
        done
        HINT="\`Address' is a wg-quick(8) key, not a wg(8) one: \`wg-quick strip' prints the file without such keys" \
            same $sub @IF@ "$TMP/wg-quick-key.conf"
        same $sub @IF@ /no/such/file
        same $sub @IF@
        same $sub "no-such-$TAG" "$TMP/full.conf"
    done
    ip netns exec "$ns" ip link del "$iface"
done
pass "$compared commands print the same and leave the same configuration"

step "deliberate difference: + and - in allowed-ips (newer wireguard-tools)"
iface="ssinc-$TAG"; iface=${iface:0:15}
start_daemon swift "$ns" "$iface"
baseline 21902 >"$TMP/baseline.conf"
run ours "$iface" set @IF@ peer "$(pub p1)" allowed-ips +10.9.0.0/16,-fd00:1::/64 peer "$(pub p2)" allowed-ips -10.2.0.0/16
[ "$(cat "$TMP/ours.out")" = rc=0 ] || { cat "$TMP/ours.err"; fail "incremental allowed-ips refused"; }
[ "$(ip netns exec "$ns" wg show "$iface" allowed-ips | sort)" = "$(printf '%s\t10.1.0.0/16 10.9.0.0/16\n%s\t(none)' "$(pub p1)" "$(pub p2)" | sort)" ] \
    || { ip netns exec "$ns" wg show "$iface" allowed-ips; fail "incremental allowed-ips applied wrongly"; }
run debian "$iface" set @IF@ peer "$(pub p1)" allowed-ips +10.9.0.0/16
has -F "Unable to parse IP address: \`+10.9.0.0'" "$TMP/debian.err" || fail "Debian's wg unexpectedly accepts +"
pass "ours adds and removes single prefixes; Debian's 1.0.20210914 refuses the syntax"
