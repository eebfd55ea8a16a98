# SPDX-License-Identifier: MIT
# The handshake-flood scenario, sourced by bench/flood.sh and Tests/Integration/t_flood.sh. Three namespaces:
# the target (the daemon under test, ours or wireguard-go, UDP port 51820), the legitimate peer (Debian's
# wireguard-go, its own veth) and the flooder (its own veth, FLOOD_SOURCES addresses, wireguard-flood sending
# initiations with a valid MAC1 for the target's key from FLOOD_PORTS ports per address). The flood starts;
# FLOOD_LEAD seconds later the peer pings the target through the tunnel PINGS times, once a second, which
# starts its handshake. Nothing leaves these namespaces.
#
# Needs: FLOOD_BIN (wireguard-flood), GO_BIN (wireguard-go), DAEMON_BIN (the target daemon), FL_DIR (a
# scratch directory), FL_TAG (unique suffix); optional FLOOD_SOURCES (8), FLOOD_PORTS (256), FLOOD_LEAD (2),
# PINGS (10), FLOOD_TAIL (2), FLOOD_CPU (a CPU to pin the flooder to), FLOOD_RATE (0: as fast as it can).
# flood_scenario RUN sets FL_HANDSHAKE (seconds from the first ping to the peer's completed handshake, or
# "none"), FL_PINGS (replies), FL_ARRIVED / FL_READ (datagrams per second reaching the target's UDP layer /
# read by the daemon from its socket), FL_DROPPED (datagrams its full socket buffer refused), FL_COOKIES
# (cookie replies sent to the flooder), FL_CPU (the target's CPU %), FL_RSS (its largest resident set seen,
# KiB), FL_SENT (the flooder's own line), and prints one line.

FLOOD_SOURCES=${FLOOD_SOURCES:-8}
FLOOD_PORTS=${FLOOD_PORTS:-256}
FLOOD_LEAD=${FLOOD_LEAD:-2}
FLOOD_TAIL=${FLOOD_TAIL:-2}
FLOOD_RATE=${FLOOD_RATE:-0}
PINGS=${PINGS:-10}
FL_NAMESPACES=()

fl_ns() {
    local ns="$1$FL_TAG"
    ip netns add "$ns"
    FL_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
}

flood_teardown() {
    local ns
    for ns in "${FL_NAMESPACES[@]}"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
    sleep 0.2
    for ns in "${FL_NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    FL_NAMESPACES=()
    rm -f "/var/run/wireguard/flt$FL_TAG.sock" "/var/run/wireguard/flp$FL_TAG.sock"
}

# snmp_udp NS FIELD: a counter of the Udp line of /proc/net/snmp inside NS.
snmp_udp() {
    ip netns exec "$1" awk -v f="$2" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else {
        for (i = 1; i <= NF; i++) if (k[i] == f) print $i } }' /proc/net/snmp
}

# nft_count NS CHAIN [bytes]: packets (or bytes) counted by the rule in CHAIN of table inet flood.
nft_count() {
    ip netns exec "$1" nft list chain inet flood "$2" |
        awk -v w="${3:-packets}" '/counter/ { for (i = 1; i <= NF; i++) if ($i == w) print $(i + 1) }'
}

# calc EXPR: floating-point arithmetic (awk), printed with FORMAT ($2, default %.0f).
calc() { awk "BEGIN { printf \"${2:-%.0f}\", $1 }"; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

flood_scenario() {
    local run=$1 t="fl-t-" p="fl-p-" f="fl-f-"
    local ti="flt$FL_TAG" pi="flp$FL_TAG"
    fl_ns "$t"; fl_ns "$p"; fl_ns "$f"
    t+=$FL_TAG; p+=$FL_TAG; f+=$FL_TAG
    ip link add "flp$FL_TAG" netns "$t" type veth peer name "flq$FL_TAG" netns "$p"
    ip link add "flf$FL_TAG" netns "$t" type veth peer name "flg$FL_TAG" netns "$f"
    ip -n "$t" addr add 10.93.1.1/24 dev "flp$FL_TAG"; ip -n "$p" addr add 10.93.1.2/24 dev "flq$FL_TAG"
    ip -n "$t" addr add 10.93.2.1/24 dev "flf$FL_TAG"
    local sources=() i
    for ((i = 0; i < FLOOD_SOURCES; i++)); do
        ip -n "$f" addr add "10.93.2.$((10 + i))/24" dev "flg$FL_TAG"
        sources+=(--source "10.93.2.$((10 + i))")
    done
    ip -n "$t" link set "flp$FL_TAG" up; ip -n "$p" link set "flq$FL_TAG" up
    ip -n "$t" link set "flf$FL_TAG" up; ip -n "$f" link set "flg$FL_TAG" up
    (umask 077; wg genkey >"$FL_DIR/t.key"; wg genkey >"$FL_DIR/p.key")
    wg pubkey <"$FL_DIR/t.key" >"$FL_DIR/t.pub"; wg pubkey <"$FL_DIR/p.key" >"$FL_DIR/p.pub"

    ip netns exec "$t" env LOG_LEVEL=error "$DAEMON_BIN" "$ti" >>"$FL_DIR/target.log" 2>&1
    ip netns exec "$p" env LOG_LEVEL=error "$GO_BIN" "$pi" >>"$FL_DIR/peer.log" 2>&1
    ip netns exec "$t" wg set "$ti" private-key "$FL_DIR/t.key" listen-port 51820 \
        peer "$(cat "$FL_DIR/p.pub")" allowed-ips 10.94.0.2/32
    ip netns exec "$p" wg set "$pi" private-key "$FL_DIR/p.key" listen-port 51821 \
        peer "$(cat "$FL_DIR/t.pub")" endpoint 10.93.1.1:51820 allowed-ips 10.94.0.1/32
    ip -n "$t" addr add 10.94.0.1/24 dev "$ti"; ip -n "$t" link set "$ti" up
    ip -n "$p" addr add 10.94.0.2/24 dev "$pi"; ip -n "$p" link set "$pi" up
    ip netns exec "$t" nft -f - <<NFT
table inet flood {
    chain inbound {
        type filter hook input priority 0;
        udp dport 51820 counter
    }
    chain outbound {
        type filter hook output priority 0;
        ip daddr 10.93.2.0/24 udp sport 51820 counter
    }
}
NFT
    local pid
    pid=$(ip netns pids "$t" | head -1)
    [ -n "$pid" ] || { echo "the target daemon is not running" >&2; return 1; }

    local seconds=$((FLOOD_LEAD + PINGS + FLOOD_TAIL)) pin=()
    [ -n "${FLOOD_CPU:-}" ] && pin=(taskset -c "$FLOOD_CPU")
    local in0 drop0 cpu0 t0 start
    in0=$(snmp_udp "$t" InDatagrams); drop0=$(snmp_udp "$t" RcvbufErrors); cpu0=$(cpu_ticks "$pid"); start=$(date +%s.%N)
    ip netns exec "$f" "${pin[@]}" "$FLOOD_BIN" --target 10.93.2.1:51820 --public-key "$(cat "$FL_DIR/t.pub")" \
        "${sources[@]}" --ports "$FLOOD_PORTS" --seconds "$seconds" --rate "$FLOOD_RATE" >"$FL_DIR/flood.out" 2>&1 &
    local flooder=$! rss_max=0 v
    sleep "$FLOOD_LEAD"
    t0=$(date +%s.%N)
    ip netns exec "$p" ping -c "$PINGS" -i 1 -W 2 10.94.0.1 >"$FL_DIR/ping.out" 2>&1 &
    local pinger=$!
    FL_HANDSHAKE=none
    while kill -0 "$pinger" 2>/dev/null; do
        # The UAPI socket is reachable from here: no `ip netns exec` in the loop, a tighter measurement.
        if [ "$FL_HANDSHAKE" = none ] && [ "$(wg show "$pi" latest-handshakes | awk '{ print $2 }')" != 0 ]; then
            FL_HANDSHAKE=$(calc "$(date +%s.%N) - $t0" %.1f)
        fi
        v=$(rss_kib "$pid"); [ "${v:-0}" -gt "$rss_max" ] && rss_max=$v
        sleep 0.05
    done
    wait "$pinger" || true
    if [ "$FL_HANDSHAKE" = none ]; then
        # Missed by the polling (a slow `wg show` under load): the handshake's own time, to the second.
        v=$(wg show "$pi" latest-handshakes | awk '{ print $2 }')
        [ "${v:-0}" = 0 ] || FL_HANDSHAKE=$(calc "$v + 0.5 - $t0" %.1f)
    fi
    wait "$flooder" || true
    local elapsed in1 cpu1
    elapsed=$(calc "$(date +%s.%N) - $start" %.3f)
    in1=$(snmp_udp "$t" InDatagrams); cpu1=$(cpu_ticks "$pid")
    FL_DROPPED=$(( $(snmp_udp "$t" RcvbufErrors) - drop0 ))
    ip netns exec "$t" grep Udp: /proc/net/snmp >"$FL_DIR/snmp"
    v=$(rss_kib "$pid"); [ "${v:-0}" -gt "$rss_max" ] && rss_max=$v
    FL_PINGS=$(awk '/packets transmitted/ { print $4 }' "$FL_DIR/ping.out")
    FL_PINGS=${FL_PINGS:-0}
    FL_ARRIVED=$(calc "$(nft_count "$t" inbound) / $elapsed")
    FL_READ=$(calc "($in1 - $in0) / $elapsed")
    # All the flooder ever gets back is cookie replies (64-byte payloads, 28 bytes of IPv4 and UDP headers),
    # some as one UDP GSO super-packet for a run of replies to one source: counted by their bytes.
    FL_COOKIES=$(calc "($(nft_count "$t" outbound bytes) - 28 * $(nft_count "$t" outbound)) / 64")
    FL_CPU=$(calc "($cpu1 - $cpu0) * 100 / $(getconf CLK_TCK) / $elapsed")
    FL_RSS=$rss_max
    FL_SENT=$(tail -1 "$FL_DIR/flood.out")
    printf 'run %-2s %-5s handshake %5s s  pings %2s/%s  arrived %7s/s  read %7s/s  dropped %7s  cookie replies %7s  CPU %3s%%  RSS max %5.1f MB  | flooder: %s\n' \
        "$run" "$FL_KIND" "$FL_HANDSHAKE" "$FL_PINGS" "$PINGS" "$FL_ARRIVED" "$FL_READ" "$FL_DROPPED" "$FL_COOKIES" "$FL_CPU" \
        "$(calc "$FL_RSS / 1024" %.1f)" "$FL_SENT"
    flood_teardown
}
