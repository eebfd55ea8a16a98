#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A short handshake flood (bench/flood-scenario.sh): wireguard-flood sends initiations with a valid MAC1
# from random keys, 8 addresses x 256 ports, at our daemon; a second in, Debian's wireguard-go as a
# legitimate peer starts a handshake and pings 8 times. The peer must get through within one retry (the
# first initiation answered with a cookie, the retry 5 s later, carrying MAC2, answered) and most pings
# must come back; the daemon must have read most of what arrived, answered with few cookie replies (per-source
# limit) and stayed small. The flood rate is moderate (FLOOD_RATE, default 10,000/s) so that the debug build
# CI tests keeps up; bench/flood.sh measures the release build at full rate.
source "$(dirname "$0")/lib.sh"
[ -n "$GO" ] || fail "wireguard-go is not installed"
FLOOD_BIN=${WG_FLOOD:-$ROOT/.build/debug/wireguard-flood}
[ -x "$FLOOD_BIN" ] || fail "wireguard-flood is not built at $FLOOD_BIN"
GO_BIN=$GO DAEMON_BIN=$OURS FL_DIR=$TMP FL_TAG=$TAG FL_KIND=ours
FLOOD_RATE=${FLOOD_RATE:-10000} FLOOD_LEAD=1 PINGS=8 FLOOD_TAIL=1
source "$ROOT/bench/flood-scenario.sh"
# cleanup reads $? first: hand it the test's status, not the teardown's.
trap 'st=$?; flood_teardown; (exit $st); cleanup' EXIT

step "flood of $FLOOD_RATE initiations/s from $FLOOD_SOURCES x $FLOOD_PORTS sources; peer pings $PINGS times from ${FLOOD_LEAD} s"
flood_scenario 1
[ "$FL_HANDSHAKE" != none ] || fail "the legitimate peer's handshake never completed under the flood"
# One retry: the peer retries 5 s (+ up to 0.33 s of jitter) after its first initiation, the next one 5 s
# later; bench/flood.sh holds the release build to 5.5 s, this allows a slow debug build up to 9 s.
[ "$(calc "$FL_HANDSHAKE < 9" %d)" = 1 ] || fail "the legitimate handshake took $FL_HANDSHAKE s (more than one retry)"
pass "legitimate handshake after $FL_HANDSHAKE s"
[ "$FL_PINGS" -ge 6 ] || fail "only $FL_PINGS of $PINGS pings came back during the flood"
pass "$FL_PINGS of $PINGS pings during the flood"
[ "$FL_READ" -ge "$(calc "$FL_ARRIVED * 0.75")" ] || fail "the daemon read $FL_READ/s of $FL_ARRIVED/s arriving"
pass "read $FL_READ of $FL_ARRIVED datagrams/s"
# 8 flooding addresses, 5 + 10/s each over the flood, plus the peer's: far below one per initiation.
limit=$((FLOOD_SOURCES * (5 + 10 * (FLOOD_LEAD + PINGS + FLOOD_TAIL + 1)) + 10))
[ "$FL_COOKIES" -gt 0 ] || fail "no cookie reply was sent: the daemon never noticed it was under load"
[ "$FL_COOKIES" -le "$limit" ] || fail "$FL_COOKIES cookie replies (per-source limit allows $limit)"
pass "$FL_COOKIES cookie replies (at most $limit)"
[ "$FL_RSS" -le $((32 * 1024)) ] || fail "resident set reached $FL_RSS KiB"
pass "largest resident set $FL_RSS KiB"
