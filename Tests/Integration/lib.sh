# SPDX-License-Identifier: MIT
# Shared helpers for the root-only integration tests: network namespaces with unique names, cleaned up by
# a trap whatever happens; daemons (ours or Debian's wireguard-go) started inside them; assertions.
# Sourced by each t_*.sh. No traffic ever leaves the namespaces created here.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OURS=${WG_SWIFT:-$ROOT/.build/debug/wireguard-swift}
GO=${WG_GO:-$(command -v wireguard-go || true)}
TAG=${TAG:-$$}
INTERFACES=()
TMP=$(mktemp -d /tmp/wgtest.XXXXXX)
# new_ns runs in command substitutions (a subshell), so namespaces are recorded in a file, not an array.
: >"$TMP/namespaces"

cleanup() {
    local status=$?
    set +e
    local NAMESPACES
    mapfile -t NAMESPACES <"$TMP/namespaces"
    for ns in "${NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    done
    sleep 0.2
    for ns in "${NAMESPACES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    for i in "${INTERFACES[@]}"; do rm -f "/var/run/wireguard/$i.sock"; done
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
    exit $status
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
# skip WHAT [WHY-CI-CANNOT]: ends the test as skipped. Under CI=true a skip is a failure unless the second
# argument names why CI cannot provide what is missing; run.sh holds every `SKIP` line to the same rule.
skip() {
    if [ -n "${2:-}" ]; then
        echo "SKIP: $1 [CI cannot provide: $2]"
    else
        [ "${CI:-}" != true ] || fail "would skip under CI=true (CI provides this): $1"
        echo "SKIP: $1"
    fi
    exit 0
}
pass() { echo "ok - $*"; }
# kernel_testbed [COMMAND:PACKAGE...]: the kernel-vm testbed (KERNEL_VM_DIR, else ../shared beside the checkout)
# in VMDIR, what it needs installed (qemu, busybox, cpio, xz, plus the pairs given), and KVER, the newest
# installed kernel that ships wireguard.ko (Debian's linux-image-amd64 carries it for the guest; the host's own
# kernel need not). Only a checkout without ../shared beside it lacks the testbed; CI always has it, so there
# the skip fails.
kernel_testbed() {
    VMDIR=${KERNEL_VM_DIR:-$ROOT/../shared/testbed/kernel-vm}
    [ -x "$VMDIR/run-vm.sh" ] || skip "kernel testbed not found at $VMDIR (set KERNEL_VM_DIR)"
    local need=() pair
    for pair in qemu-system-x86_64:qemu-system-x86 busybox:busybox cpio:cpio xz:xz-utils "$@"; do
        command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
    done
    ls -d /lib/modules/*/kernel/drivers/net/wireguard >/dev/null 2>&1 || need+=(linux-image-amd64)
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    KVER=$(ls -1d /lib/modules/*/kernel/drivers/net/wireguard 2>/dev/null | sed "s|/lib/modules/||; s|/kernel.*||" | sort -V | tail -1)
    [ -n "$KVER" ] || fail "no installed kernel ships wireguard.ko"
}
step() { echo "# $*"; }
# `grep -q` in a pipeline under pipefail fails at random: it exits at the first match and the writer
# (ip, wg, ss: they flush line by line) dies of SIGPIPE. has reads everything.
has() { grep "$@" >/dev/null; }

# new_ns NAME: creates namespace NAME-TAG with loopback up; prints its name.
new_ns() {
    local ns="$1$TAG"
    ip netns add "$ns"
    echo "$ns" >>"$TMP/namespaces"
    ip -n "$ns" link set lo up
    echo "$ns"
}

# veth NS1 NS2 ADDR1 ADDR2 ADDR6_1 ADDR6_2: a veth pair between two namespaces with IPv4 /24 and IPv6 /64.
veth() {
    ip link add "v$TAG-a" netns "$1" type veth peer name "v$TAG-b" netns "$2"
    ip -n "$1" link set "v$TAG-a" name eth0
    ip -n "$2" link set "v$TAG-b" name eth0
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$2" addr add "$4/24" dev eth0
    ip -n "$1" addr add "$5/64" dev eth0 nodad
    ip -n "$2" addr add "$6/64" dev eth0 nodad
    ip -n "$1" link set eth0 up
    ip -n "$2" link set eth0 up
}

# start_daemon KIND NS IFACE: starts ours ("swift") or wireguard-go ("go") the way wg-quick does (no -f:
# the command returns once the interface and socket exist).
start_daemon() {
    local kind=$1 ns=$2 ifname=$3
    INTERFACES+=("$ifname")
    case $kind in
        swift) ip netns exec "$ns" env LOG_LEVEL=verbose "$OURS" "$ifname" >>"$TMP/$ifname.log" 2>&1 ;;
        go) ip netns exec "$ns" env LOG_LEVEL=verbose "$GO" "$ifname" >>"$TMP/$ifname.log" 2>&1 ;;
        *) fail "unknown daemon kind $kind" ;;
    esac
    [ -S "/var/run/wireguard/$ifname.sock" ] || fail "$kind daemon did not create /var/run/wireguard/$ifname.sock"
}

# keypair NAME: writes $TMP/NAME.key and $TMP/NAME.pub.
keypair() {
    (umask 077; wg genkey >"$TMP/$1.key")
    wg pubkey <"$TMP/$1.key" >"$TMP/$1.pub"
}

# wg_up NS IFACE KEYNAME PORT ADDRESS WG-SET-ARGS...: private key ($TMP/KEYNAME.key) and port set with
# Debian's wg together with the remaining `wg set` arguments (a peer block), the tunnel address, link up,
# and the daemon listening again.
wg_up() {
    local ns=$1 ifname=$2 key=$3 port=$4 address=$5
    shift 5
    ip netns exec "$ns" wg set "$ifname" private-key "$TMP/$key.key" listen-port "$port" "$@"
    ip -n "$ns" addr add "$address" dev "$ifname"
    ip -n "$ns" link set "$ifname" up
    wait_listening "$ns" "$port" || fail "no UDP socket on port $port in $ns after $ifname came up"
}

# wait_listening NS PORT: waits (up to 2 s) for a UDP socket on PORT in NS. A userspace daemon (ours,
# wireguard-go) has no socket while its interface is down and opens it when it sees the interface come up
# (netlink), a moment after `ip link set up` returns; a handshake arriving in between is lost (retried 5 s
# later), which a loaded machine makes likely enough to break a test's first ping.
wait_listening() {
    local deadline=$((SECONDS + 2))
    until ip netns exec "$1" ss -Hunl "sport = :$2" | has .; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds or time runs out.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# dump_field NS IFACE PEERPUB COLUMN: one column (1-based, wg show dump peer lines) for a peer.
dump_field() {
    ip netns exec "$1" wg show "$2" dump | awk -v k="$3" -v c="$4" '$1 == k { print $c }'
}

# wg_pair: $TMP/debian/wg (Debian's) and $TMP/ours/wg (ours, $OUR_WG or the debug build), so that both run
# under the name `wg` and print the same program name in their messages.
wg_pair() {
    local ours=${OUR_WG:-$ROOT/.build/debug/wg}
    [ -x "$ours" ] || fail "our wg is not built at $ours"
    mkdir -p "$TMP/debian" "$TMP/ours"
    ln -sf "$(command -v wg)" "$TMP/debian/wg"
    ln -sf "$ours" "$TMP/ours/wg"
}

show_logs() {
    for f in "$TMP"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
}

# wireguard-go reports peers in Go map order, which changes from one `get` to the next, so against it both
# outputs are put in a canonical order first: paragraphs sorted, and lines sorted within line-per-peer forms.
canonical() {
    if [ "${UNORDERED:-0}" = 1 ]; then
        python3 -c '
import sys
text = sys.stdin.read()
paras = [p.strip("\n") for p in text.strip("\n").split("\n\n")]
if len(paras) == 1:
    lines = text.splitlines()
    print("\n".join(sorted(lines)))
else:
    print("\n\n".join(sorted(paras)))'
    else
        cat
    fi
}
