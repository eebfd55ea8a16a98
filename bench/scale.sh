#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Control-plane scale benchmark, ours (our daemon driven by our wg) against Debian's wireguard-go (driven by
# Debian's wg), in alternating rounds. Per daemon and round, in a namespace of its own:
# - `wg setconf` of a generated configuration: PEERS peers with random keys and endpoints, IPS_PER_PEER
#   allowed IPs each (IPv4 /32 and /24, IPv6 /128 and /64), onto a fresh interface;
# - `wg show dump` of it; `wg syncconf` of the same file with one peer's endpoint and one allowed IP changed;
#   each as elapsed time and as CPU time (wg's and the daemon's together: the figure that means something on
#   a loaded machine);
# - the daemon's resident set (VmRSS) once the configuration is quiet, and its peak (VmHWM);
# - CPU used (utime + stime from /proc/PID/stat) while idle with all peers configured, over IDLE seconds;
# - ours only: the longest engine-lock hold (elapsed, and the UAPI thread's CPU time) of the setconf's set,
#   the dump's get and the syncconf's set (the daemon logs them at verbose level; traffic and timers wait at
#   most that long for configuration).
# Prints the medians of the rounds and our figure as a ratio of wireguard-go's.
#
# Usage: bench/scale.sh [ROUNDS] [IDLE]   (root; default 3 rounds, 30 s idle)
#   PEERS (10000), IPS_PER_PEER (13), OURS_BIN / OURS_WG (default: the release build, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/scale.sh needs root" >&2; exit 1; }
ROUNDS=${1:-3}
IDLE=${2:-30}
PEERS=${PEERS:-10000}
IPS_PER_PEER=${IPS_PER_PEER:-13}
source scripts/deps.sh
install_deps build
install_deps integration
[ -x /usr/bin/time ] || apt-get -o DPkg::Lock::Timeout=900 install -y time >/dev/null
if [ -z "${OURS_BIN:-}" ]; then
    swift build -c release --product wireguard-swift 2>&1 | tail -1
    swift build -c release --product wg 2>&1 | tail -1
fi
OURS_BIN=${OURS_BIN:-$PWD/.build/release/wireguard-swift}
OURS_WG=${OURS_WG:-$PWD/.build/release/wg}
GO_BIN=$(command -v wireguard-go)
GO_WG=/usr/bin/wg
declare -A DAEMON=([ours]="$OURS_BIN" [go]="$GO_BIN") WG=([ours]="$OURS_WG" [go]="$GO_WG")

DIR=$(mktemp -d /tmp/wgscale.XXXXXX)
NS="wgscale-$$"
IFNAME="wgsc$$"
cleanup() {
    local status=$?
    set +e
    ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
    sleep 0.3
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -f "/var/run/wireguard/$IFNAME.sock"
    rm -rf "$DIR"
    exit $status
}
trap cleanup EXIT INT TERM

# The configuration, and the same with peer PEERS/2's endpoint and last allowed IP changed.
python3 - "$DIR/full.conf" "$DIR/changed.conf" "$PEERS" "$IPS_PER_PEER" <<'PY'
import base64, os, sys
full, changed, peers, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
key = lambda: base64.b64encode(os.urandom(32)).decode()
def ips(i):
    out = []
    for j in range(per):
        n = i * per + j
        kind = j % 4
        if kind == 0: out.append(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}/32")
        elif kind == 1: out.append(f"{11 + (n >> 16)}.{n >> 8 & 255}.{n & 255}.0/24")
        elif kind == 2: out.append(f"fd00::{n >> 16 & 0xffff:x}:{n & 0xffff:x}/128")
        else: out.append(f"fd01:{n >> 16 & 0xffff:x}:{n & 0xffff:x}::/64")
    return out
lines = ["[Interface]", f"PrivateKey = {key()}", "ListenPort = 0", ""]
blocks = []
for i in range(peers):
    blocks.append([f"PublicKey = {key()}", f"Endpoint = 192.0.{2 + (i >> 14 & 1)}.{i & 255}:{20000 + (i & 16383)}",
                   "AllowedIPs = " + ", ".join(ips(i))])
def write(path, blocks):
    with open(path, "w") as f:
        f.write("\n".join(lines))
        for b in blocks: f.write("\n[Peer]\n" + "\n".join(b) + "\n")
write(full, blocks)
mid = peers // 2
blocks[mid] = [blocks[mid][0], "Endpoint = 198.51.100.7:40000", blocks[mid][2].rsplit(",", 1)[0] + ", 100.64.0.1/32"]
write(changed, blocks)
PY

cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# step NAME PID WG ARGS...: runs one wg command; prints "wall cpu" in seconds, cpu = wg's user + system time
# plus what the daemon used meanwhile.
step() {
    local pid=$1 c0 c1 out
    shift
    c0=$(cputicks "$pid")
    out=$( { /usr/bin/time -f "%e %U %S" ip netns exec "$NS" "$@" >"$DIR/out"; } 2>&1 | tail -1)
    c1=$(cputicks "$pid")
    python3 -c "import sys; e, u, s = map(float, sys.argv[1].split()); print(f'{e:.3f} {u + s + (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4]):.3f}')" \
        "$out" "$c0" "$c1" "$HZ"
}

# round NAME: one measurement; appends "setconf setconf_cpu dump dump_cpu syncconf syncconf_cpu rss_kib hwm_kib
# idle_cpu_percent" and, ours only, the longest engine-lock holds "set set_cpu get get_cpu sync sync_cpu" (ms).
round() {
    local name=$1 wg=${WG[$1]} log="$DIR/$1.log" pid c0 c1 setconf dump syncconf
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    : >"$log"
    ip netns exec "$NS" env LOG_LEVEL=verbose "${DAEMON[$name]}" "$IFNAME" >>"$log" 2>&1
    pid=$(ip netns pids "$NS" | head -1)
    setconf=$(step "$pid" "$wg" setconf "$IFNAME" "$DIR/full.conf")
    dump=$(step "$pid" "$wg" show "$IFNAME" dump)
    [ "$(wc -l <"$DIR/out")" -eq $((PEERS + 1)) ] || { echo "$name: dump has $(wc -l <"$DIR/out") lines" >&2; exit 1; }
    syncconf=$(step "$pid" "$wg" syncconf "$IFNAME" "$DIR/changed.conf")
    ip netns exec "$NS" "$wg" show "$IFNAME" dump | grep "198.51.100.7:40000.*100.64.0.1/32" >/dev/null \
        || { echo "$name: syncconf change not applied" >&2; exit 1; }
    sleep 3  # the page release after configuration (2 s) and any deferred work
    # Other programs on the machine may list every userspace interface (`wg show all`) meanwhile: the
    # requests our daemon logs in the window are counted and reported with the figure.
    local before_idle foreign
    before_idle=$(wc -l <"$log")
    c0=$(cputicks "$pid"); sleep "$IDLE"; c1=$(cputicks "$pid")
    foreign=$(tail -n +"$((before_idle + 1))" "$log" | grep -c "UAPI: " || true)
    [ "$name" = ours ] && [ "$foreign" -gt 0 ] && echo "# round: $foreign UAPI requests from other programs during the idle window" >&2
    local rss hwm cpu locks
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
    cpu=$(python3 -c "import sys; print(f'{100 * (int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) / int(sys.argv[4]):.2f}')" "$c0" "$c1" "$HZ" "$IDLE")
    # Our daemon logs the longest engine-lock hold of each request (elapsed, and CPU): setconf's set, dump's
    # get, syncconf's get and set.
    locks=$(sed -n 's/.*\(configuration updated\|status read\).*longest engine-lock hold \([0-9.]*\) ms (CPU \([0-9.]*\) ms).*/\2 \3/p' "$log" | tr '\n' ' ' || true)
    set -- $locks
    [ $# -ge 8 ] && locks="$1 $2 $3 $4 $7 $8" || locks="- - - - - -"
    echo "$setconf $dump $syncconf $rss $hwm $cpu $locks" >>"$DIR/$name.results"
    ip netns pids "$NS" | xargs -r kill
    sleep 0.5
    ip netns del "$NS"
    rm -f "/var/run/wireguard/$IFNAME.sock"
}

echo "# $PEERS peers, $((PEERS * IPS_PER_PEER)) allowed IPs; $ROUNDS rounds, medians; idle CPU over $IDLE s"
for r in $(seq "$ROUNDS"); do
    for name in ours go; do
        round "$name"
        echo "# round $r $name: $(tail -1 "$DIR/$name.results")" >&2
    done
done

python3 - "$DIR/ours.results" "$DIR/go.results" <<'PY'
import statistics, sys
cols = ["setconf s", "  CPU s", "dump s", "  CPU s", "syncconf s", "  CPU s", "RSS MiB", "peak RSS MiB",
        "idle CPU %", "lock set ms", "  CPU ms", "lock get ms", "  CPU ms", "lock sync ms", "  CPU ms"]
MIB = (6, 7)
def load(path):
    rows = [line.split() for line in open(path)]
    med = []
    for i in range(len(cols)):
        vals = [float(r[i]) for r in rows if r[i] != "-"]
        if not vals: med.append(None); continue
        m = statistics.median(vals)
        med.append(m / 1024 if i in MIB else m)
    return med
ours, go = load(sys.argv[1]), load(sys.argv[2])
print(f"{'':14}{'ours':>12}{'wireguard-go':>14}{'ours/go':>10}")
for i, c in enumerate(cols):
    o, g = ours[i], go[i]
    fmt = lambda v: "-" if v is None else f"{v:.3f}" if v < 10 else f"{v:.1f}"
    ratio = f"{o / g:.2f}" if o is not None and g else "-"
    print(f"{c:14}{fmt(o):>12}{fmt(g):>14}{ratio:>10}")
PY
