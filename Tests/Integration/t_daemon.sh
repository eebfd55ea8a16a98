#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The daemon's life cycle: background start like wireguard-go, socket and directory modes, refusing a second
# daemon, readable start-up errors, following MTU changes, and clean exits (SIGTERM, SIGINT, `ip link del`)
# that remove the UAPI socket.
source "$(dirname "$0")/lib.sh"

ns=$(new_ns dm-)
ifname="wgd-$TAG"

step "background start returns with the interface and socket in place"
start_daemon swift "$ns" "$ifname"
ip -n "$ns" link show "$ifname" >/dev/null || fail "interface missing after start"
[ "$(stat -c %a /var/run/wireguard)" = 755 ] || fail "socket directory mode $(stat -c %a /var/run/wireguard)"
[ "$(stat -c %a "/var/run/wireguard/$ifname.sock")" = 700 ] || fail "socket mode $(stat -c %a "/var/run/wireguard/$ifname.sock")"
pid=$(ip netns pids "$ns" | head -1)
[ -n "$pid" ] || fail "no daemon process in the namespace"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the daemon is not a session leader (setsid)"
pass "started in the background"

step "a second daemon for the same interface is refused"
if out=$(ip netns exec "$ns" "$OURS" "$ifname" 2>&1); then fail "second daemon started"; fi
echo "$out" | has "already running" || fail "unexpected message: $out"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "message is not one line: $out"
pass "refused: $out"

step "follows MTU changes"
ip -n "$ns" link set "$ifname" mtu 1280 up
wait_for 5 grep -q "MTU updated: 1280" "$TMP/$ifname.log" || { show_logs; fail "MTU change not noticed"; }
pass "MTU change seen"

step "ip link del stops it and removes the socket"
ip -n "$ns" link del "$ifname"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "daemon still running after ip link del"
[ ! -e "/var/run/wireguard/$ifname.sock" ] || fail "socket left behind"
pass "exited on interface deletion"

for sig in TERM INT; do
    step "SIG$sig stops a foreground daemon"
    ip netns exec "$ns" "$OURS" -f "$ifname" >/dev/null 2>&1 &
    fpid=$!
    wait_for 5 test -S "/var/run/wireguard/$ifname.sock" || fail "foreground daemon did not start"
    kill -"$sig" "$fpid"
    code=0; wait "$fpid" || code=$?
    [ "$code" = 0 ] || fail "exit status $code after SIG$sig"
    [ ! -e "/var/run/wireguard/$ifname.sock" ] || fail "socket left behind after SIG$sig"
    ip -n "$ns" link show "$ifname" >/dev/null 2>&1 && fail "interface left behind after SIG$sig"
    pass "clean exit on SIG$sig"
done

step "WG_PROCESS_FOREGROUND=1 stays in the foreground; LOG_LEVEL=silent prints nothing"
ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=silent "$OURS" "$ifname" >"$TMP/silent.out" 2>&1 &
fpid=$!
wait_for 5 test -S "/var/run/wireguard/$ifname.sock" || fail "foreground daemon did not start"
kill -0 "$fpid" || fail "not in the foreground"
kill "$fpid"; wait "$fpid" || true
[ ! -s "$TMP/silent.out" ] || fail "silent daemon printed: $(cat "$TMP/silent.out")"
pass "foreground by environment, silent"

step "start-up errors are one readable line and a non-zero exit"
ip -n "$ns" link add "dum-$TAG" type veth peer name "dup-$TAG"
for name in "dum-$TAG" "much-too-long-interface-name"; do
    if out=$(ip netns exec "$ns" "$OURS" "$name" 2>&1); then fail "started on $name"; fi
    [ "$(echo "$out" | wc -l)" = 1 ] || fail "not one line: $out"
    pass "$name: $out"
done
if out=$(unshare --user "$OURS" "nopriv-$TAG" 2>&1); then fail "started without privileges"; fi
echo "$out" | has -i "permission\|not permitted" || fail "unexpected message without privileges: $out"
pass "unprivileged: $out"
