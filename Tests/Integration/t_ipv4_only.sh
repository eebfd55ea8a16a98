#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Without IPv6 the daemon runs on IPv4 alone: once where AF_INET6 sockets cannot be created at all (as with
# ipv6.disable=1, simulated with an LD_PRELOAD shim), once in namespaces whose IPv6 is disabled by sysctl.
source "$(dirname "$0")/lib.sh"
find_cc() { command -v cc || command -v clang || command -v gcc; }
if ! find_cc >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null || true
fi
CC=$(find_cc) || skip "no C compiler for the shim"
"$CC" -shared -fPIC -o "$TMP/no_ipv6.so" "$(dirname "$0")/no_ipv6.c" -ldl

for mode in preload sysctl; do
    step "IPv4 only ($mode)"
    a=$(new_ns "4a$mode-"); b=$(new_ns "4b$mode-")
    ia="w4a${mode:0:1}-$TAG"; ib="w4b${mode:0:1}-$TAG"
    ip link add "v$TAG-a" netns "$a" type veth peer name "v$TAG-b" netns "$b"
    ip -n "$a" link set "v$TAG-a" name eth0; ip -n "$b" link set "v$TAG-b" name eth0
    if [ $mode = sysctl ]; then
        for ns in "$a" "$b"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
        start_daemon swift "$a" "$ia"; start_daemon swift "$b" "$ib"
    else
        INTERFACES+=("$ia" "$ib")
        ip netns exec "$a" env LD_PRELOAD="$TMP/no_ipv6.so" LOG_LEVEL=verbose "$OURS" "$ia" >>"$TMP/$ia.log" 2>&1
        ip netns exec "$b" env LD_PRELOAD="$TMP/no_ipv6.so" LOG_LEVEL=verbose "$OURS" "$ib" >>"$TMP/$ib.log" 2>&1
    fi
    ip -n "$a" addr add 192.168.44.1/24 dev eth0; ip -n "$b" addr add 192.168.44.2/24 dev eth0
    ip -n "$a" link set eth0 up; ip -n "$b" link set eth0 up
    keypair "a$mode"; keypair "b$mode"
    wg_up "$a" "$ia" "a$mode" 41701 10.44.0.1/24 peer "$(cat "$TMP/b$mode.pub")" endpoint 192.168.44.2:41702 allowed-ips 10.44.0.2/32
    wg_up "$b" "$ib" "b$mode" 41702 10.44.0.2/24 peer "$(cat "$TMP/a$mode.pub")" endpoint 192.168.44.1:41701 allowed-ips 10.44.0.1/32
    ip netns exec "$a" ping -c 2 -i 0.2 -W 3 10.44.0.2 >/dev/null || { show_logs; fail "ping over IPv4 only ($mode)"; }
    if [ $mode = preload ]; then
        ip netns exec "$a" ss -uanH | has "\[::\]:41701\|\*:41701" && fail "an IPv6 socket exists despite the shim"
        ip netns exec "$a" ss -uanH | has "0.0.0.0:41701" || fail "no IPv4 socket on 41701"
    fi
    pass "tunnel over IPv4 alone ($mode)"
done
