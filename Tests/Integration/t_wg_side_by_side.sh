#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our wg and Debian's wg side by side, against our daemon and against Debian's wireguard-go: for a matrix of
# configurations, `show` in every form, `showconf` and a set of bad invocations must print the same stdout,
# stderr and exit status. The configurations are applied with Debian's wg (t_wg_set_side_by_side compares
# the commands that change a device).
source "$(dirname "$0")/lib.sh"
wg_pair

ns=$(new_ns sb-)
compared=0
# same ARGS...: runs both wg binaries (both invoked as `wg`, so messages name the same program) and compares.
same() {
    local o do orc=0 drc=0
    (cd "$TMP/ours" && ip netns exec "$ns" env PATH="$TMP/ours:$PATH" WG_COLOR_MODE="${COLOR:-never}" wg "$@" >"$TMP/oo" 2>"$TMP/oe") || orc=$?
    (cd "$TMP/debian" && ip netns exec "$ns" env PATH="$TMP/debian:$PATH" WG_COLOR_MODE="${COLOR:-never}" wg "$@" >"$TMP/do" 2>"$TMP/de") || drc=$?
    o="$(canonical <"$TMP/oo")
rc=$orc"
    do="$(canonical <"$TMP/do")
rc=$drc"
    if [ "$o" != "$do" ] || ! cmp -s "$TMP/oe" "$TMP/de"; then
        echo "--- ours: wg $*"; echo "$o"; cat "$TMP/oe"
        echo "--- Debian's: wg $*"; echo "$do"; cat "$TMP/de"
        fail "wg $* differs"
    fi
    compared=$((compared + 1))
}

all_forms() {  # all_forms IFACE
    same show "$1"
    COLOR=always same show "$1"
    WG_HIDE_KEYS=never same show "$1"
    for f in public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips \
             latest-handshakes transfer persistent-keepalive dump bogus; do
        same show "$1" "$f"
    done
    same showconf "$1"
}

for kind in swift go; do
    step "against $kind"
    [ $kind = go ] && export UNORDERED=1
    i="sb$kind-$TAG"; i=${i:0:15}
    start_daemon "$kind" "$ns" "$i"
    step "no key, no peers"
    all_forms "$i"
    keypair "dev$kind"
    (umask 077; wg genpsk >"$TMP/psk")
    ip netns exec "$ns" wg set "$i" private-key "$TMP/dev$kind.key" listen-port $([ $kind = swift ] && echo 41800 || echo 41801) fwmark 0x51820
    step "many peers: IPv6 endpoints, PSKs, keepalive, hundreds of allowed IPs"
    for p in $(seq 1 12); do
        keypair "p$kind$p"
        args=(peer "$(cat "$TMP/p$kind$p.pub")" allowed-ips "10.$p.0.0/16,fd00:$p::/64")
        [ $((p % 2)) = 0 ] && args+=(endpoint "[fd99::$p]:$((1000 + p))") || args+=(endpoint "192.0.2.$p:$((2000 + p))")
        [ $((p % 3)) = 0 ] && args+=(preshared-key "$TMP/psk")
        [ $((p % 4)) = 0 ] && args+=(persistent-keepalive $((p * 5)))
        ip netns exec "$ns" wg set "$i" "${args[@]}"
    done
    keypair "big$kind"
    ips=$(for n in $(seq 0 299); do printf '10.200.%d.%d/32,' $((n / 256)) $((n % 256)); done)
    ip netns exec "$ns" wg set "$i" peer "$(cat "$TMP/big$kind.pub")" allowed-ips "${ips%,}"
    all_forms "$i"
done
step "all interfaces and listings"
same show
same show all
same show all dump
same show all peers
same show all bogus
same show interfaces
COLOR=always same show all
step "bad invocations"
same show "no-such-$TAG"
same show "no-such-$TAG" dump
same showconf "no-such-$TAG"
same showconf
same show a b c d
same show interfaces extra
same bogus-subcommand
same --version
same --help
same genkey extra
same pubkey extra
for sub in show showconf set setconf addconf syncconf genkey genpsk pubkey; do same $sub --help; done
pass "$compared invocations print the same stdout, stderr and status"
