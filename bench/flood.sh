#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Handshake-flood benchmark (bench/flood-scenario.sh): one core of wireguard-flood sends initiations with a
# valid MAC1 from random keys (8 addresses x 256 ports) at the target while Debian's wireguard-go, as a
# legitimate peer, starts a handshake 2 s in and pings 10 times. Alternating rounds, our daemon then Debian's
# wireguard-go as the target; one line per run and a summary per target:
#   - runs in which the peer's handshake completed within one retry (<= 5.5 s after its first initiation)
#     and >= 7 of 10 pings came back (the goal: 9 of 9 for ours),
#   - median handshake delay, pings, datagrams arriving / read per second, datagrams the full socket buffer
#     dropped, cookie replies, CPU, largest RSS.
# Usage: bench/flood.sh [RUNS]  (root; default 9. OURS_BIN=/path: that wireguard-swift instead of the release
#        build; FLOOD_BIN likewise; FLOOD_CPU=N pins the flooder; TARGETS="ours" skips wireguard-go)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/flood.sh needs root" >&2; exit 1; }
RUNS=${1:-9}
source scripts/deps.sh
install_deps build
install_deps integration
if [ -z "${OURS_BIN:-}" ] || [ -z "${FLOOD_BIN:-}" ]; then
    swift build -c release --product wireguard-swift 2>&1 | tail -1
    swift build -c release --product wireguard-flood 2>&1 | tail -1
fi
OURS_BIN=${OURS_BIN:-$PWD/.build/release/wireguard-swift}
FLOOD_BIN=${FLOOD_BIN:-$PWD/.build/release/wireguard-flood}
GO_BIN=$(command -v wireguard-go)
TARGETS=${TARGETS:-ours go}
FL_DIR=$(mktemp -d /tmp/wgflood.XXXXXX)
FL_TAG=$$
source bench/flood-scenario.sh
trap 'flood_teardown; rm -rf "$FL_DIR"' EXIT

declare -A OK HS PINGS_ READ ARRIVED DROPPED COOKIES CPU RSS
echo "handshake flood: $RUNS rounds, flooder $FLOOD_SOURCES addresses x $FLOOD_PORTS ports, peer pings $PINGS times from ${FLOOD_LEAD} s"
for ((r = 1; r <= RUNS; r++)); do
    for kind in $TARGETS; do
        FL_KIND=$kind
        case $kind in ours) DAEMON_BIN=$OURS_BIN ;; go) DAEMON_BIN=$GO_BIN ;; esac
        flood_scenario "$r"
        ok=0
        if [ "$FL_HANDSHAKE" != none ] && [ "$(calc "$FL_HANDSHAKE <= 5.5" %d)" = 1 ] && [ "$FL_PINGS" -ge 7 ]; then ok=1; fi
        OK[$kind]="${OK[$kind]:-} $ok"; HS[$kind]="${HS[$kind]:-} ${FL_HANDSHAKE/none/99}"
        PINGS_[$kind]="${PINGS_[$kind]:-} $FL_PINGS"; READ[$kind]="${READ[$kind]:-} $FL_READ"
        ARRIVED[$kind]="${ARRIVED[$kind]:-} $FL_ARRIVED"; DROPPED[$kind]="${DROPPED[$kind]:-} $FL_DROPPED"; COOKIES[$kind]="${COOKIES[$kind]:-} $FL_COOKIES"
        CPU[$kind]="${CPU[$kind]:-} $FL_CPU"; RSS[$kind]="${RSS[$kind]:-} $FL_RSS"
    done
done

median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { tr ' ' '\n' | awk 'NF' | sort -g | tail -1; }
echo "summary (medians over $RUNS runs; handshake 99 = none):"
for kind in $TARGETS; do
    passed=$(echo "${OK[$kind]}" | tr ' ' '\n' | awk '$1 == 1' | wc -l)
    printf '  %-5s peer through within one retry with >= 7 pings: %s/%s  handshake %s s  pings %s  arrived %s/s  read %s/s  dropped %s  cookie replies %s  CPU %s%%  RSS max %s MB\n' \
        "$kind" "$passed" "$RUNS" "$(echo "${HS[$kind]}" | median)" "$(echo "${PINGS_[$kind]}" | median)" \
        "$(echo "${ARRIVED[$kind]}" | median)" "$(echo "${READ[$kind]}" | median)" "$(echo "${DROPPED[$kind]}" | median)" \
        "$(echo "${COOKIES[$kind]}" | median)" \
        "$(echo "${CPU[$kind]}" | median)" "$(calc "$(echo "${RSS[$kind]}" | maximum) / 1024" %.1f)"
done
