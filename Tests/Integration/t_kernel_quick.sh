#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Our wg-quick with the kernel's WireGuard module, in a QEMU guest (the shared kernel-vm testbed, an image of
# our own with our wg-quick and wg, bash and nft, plus the nf_tables modules): `wg-quick up` of a full tunnel
# (AllowedIPs 0.0.0.0/0, ::/0) creates a KERNEL interface (no userspace fallback) and our wg configures it over
# netlink; while up: fwmark 51820, the `not fwmark` and `suppress_prefixlength 0` rules (IPv4 and IPv6), table
# 51820's default routes, the nftables tables wg-quick-IF with their rules, src_valid_mark, and traffic to an
# address only the default route reaches, through our daemon on the host side (the tunnel's own UDP keeps the
# main table). `save` and `strip`, and SaveConfig = true: what `wg set` changed is in the file after `down`
# and back after the next `up`. `ip rule`, `ip route show table all` (v4, v6) and `nft list ruleset` are
# identical before up and after each down.
# KQ_WG=debian runs the same with Debian's wg in the guest (our wg-quick alone in its directory), to tell a
# wg-quick fault from a wg one.
WG_SWIFT=${WG_SWIFT:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/wireguard-swift}
source "$(dirname "$0")/lib.sh"
kernel_testbed nft:nftables make:make modprobe:kmod

step "release build and guest image"
make --no-print-directory -C "$ROOT" build >"$TMP/build.log" 2>&1 || { tail -20 "$TMP/build.log"; fail "make build"; }
REL=$ROOT/.build/release
export KVM_OUT=$TMP/kvm
# /opt/wgq: our wg-quick with our wg beside it (wg-quick puts its own directory first in PATH);
# /opt/wgd: our wg-quick alone, so that it runs the guest's Debian wg.
EXTRA_BINS="$REL/wg-quick:/opt/wgq/wg-quick $REL/wg:/opt/wgq/wg $REL/wg-quick:/opt/wgd/wg-quick $(command -v bash) $(command -v nft)" \
    "$VMDIR/build-initramfs.sh" >"$TMP/image.log" 2>&1 || { tail -20 "$TMP/image.log"; fail "build-initramfs.sh"; }
# A second archive, unpacked over the first by the kernel: the netfilter modules wg-quick's rules need.
mods=$TMP/mods/lib/modules/wgq
mkdir -p "$mods"
: >"$mods/load-order"
for m in nf_tables nft_ct nft_fib_ipv4 nft_fib_ipv6; do
    modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
    base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
    case $ko in
        *.xz) xz -dc "$ko" ;;
        *.zst) zstd -dc "$ko" ;;
        *.gz) gzip -dc "$ko" ;;
        *) cat "$ko" ;;
    esac >"$mods/$base"
    echo "$base" >>"$mods/load-order"
done
(cd "$TMP/mods" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$TMP/mods.cpio.gz"
cat "$KVM_OUT/initramfs.cpio.gz" "$TMP/mods.cpio.gz" >"$KVM_OUT/quick.img"
pass "image: our wg-quick and wg, bash, nft, $(wc -l <"$mods/load-order") netfilter modules"

NAME="kq$TAG"; NAME=${NAME:0:12}
HOSTIF="wqh$TAG"; HOSTIF=${HOSTIF:0:15}
IF=wgq0
VMS=()
# cleanup reads $? first: hand it the test's status, not the status of stopping the VM.
stop_vm() {
    ip netns pids "$NAME" 2>/dev/null | while read -r pid; do
        grep -q wgvm- "/proc/$pid/cmdline" 2>/dev/null || kill "$pid" 2>/dev/null
    done
    sleep 0.3
    "$VMDIR/run-vm.sh" stop "$NAME" >/dev/null 2>&1
}
trap 'st=$?; [ ${#VMS[@]} -eq 0 ] || stop_vm; (exit $st); cleanup' EXIT

step "boot the guest"
keypair host
keypair guest
keypair extra2
keypair extra3
"$VMDIR/run-vm.sh" start "$NAME" --initrd "$KVM_OUT/quick.img" >"$TMP/vm.env" || fail "VM did not boot"
echo "$NAME" >>"$TMP/namespaces"
VMS+=("$NAME")
# shellcheck disable=SC1090
. "$TMP/vm.env"
vm() { "$VMDIR/run-vm.sh" exec "$NAME" -t 60 "$@"; }
vm 'for m in $(cat /lib/modules/wgq/load-order); do insmod /lib/modules/wgq/$m 2>/dev/null || case $m in crc32c-intel.ko) ;; *) echo "insmod $m failed"; exit 1 ;; esac; done' \
    || fail "netfilter modules did not load in the guest"
vm 'nft list ruleset' >/dev/null || fail "nft does not work in the guest"

# The host side: our daemon in the VM's namespace, the peer the guest's default route leads to; it also
# holds 10.99.0.1, an address the guest reaches only through that default route.
start_daemon swift "$NAME" "$HOSTIF"
ip netns exec "$NAME" wg set "$HOSTIF" private-key "$TMP/host.key" listen-port 51820 \
    peer "$(cat "$TMP/guest.pub")" allowed-ips 10.77.0.2/32,fd77::2/128
ip -n "$NAME" addr add 10.77.0.1/24 dev "$HOSTIF"
ip -n "$NAME" addr add 10.99.0.1/32 dev "$HOSTIF"
ip -n "$NAME" addr add fd77::1/64 dev "$HOSTIF" nodad
ip -n "$NAME" link set "$HOSTIF" mtu 1420 up

if [ "${KQ_WG:-ours}" = debian ]; then QDIR=/opt/wgd; WG=/usr/bin/wg; else QDIR=/opt/wgq; WG=/opt/wgq/wg; fi
QUICK=$QDIR/wg-quick
conf="[Interface]
PrivateKey = $(cat "$TMP/guest.key")
Address = 10.77.0.2/24, fd77::2/64
SaveConfig = true
PostUp = echo up %i >/tmp/hook.log
PostDown = echo down %i >>/tmp/hook.log

[Peer]
PublicKey = $(cat "$TMP/host.pub")
Endpoint = ${TAP_IP%/*}:51820
AllowedIPs = 0.0.0.0/0, ::/0"
vm "mkdir -p /etc/wireguard && umask 077 && cat >/etc/wireguard/$IF.conf <<'EOF'
$conf
EOF" || fail "could not write the guest's configuration"

snapshot() {  # the state that must be the same before up and after down
    vm 'ip rule; echo ---; ip -6 rule; echo ---; ip route show table all; echo ---; ip -6 route show table all; echo ---; nft list ruleset; echo ---; ip -o link | cut -d" " -f2'
}
# The guest's eth0 link-local address gets its local route only once duplicate address detection is over:
# a snapshot taken before that would differ from any later one.
vm 'for i in $(seq 100); do [ -z "$(ip -6 addr show dev eth0 tentative)" ] && exit 0; sleep 0.2; done; exit 1' \
    || fail "the guest's eth0 link-local address stayed tentative"
snapshot >"$TMP/before" || fail "snapshot"

up() {  # up N: wg-quick up; its [#] lines in $TMP/upN
    vm "$QUICK up $IF" >"$TMP/up$1" 2>&1 || { cat "$TMP/up$1"; fail "wg-quick up (#$1)"; }
    has -F "[#] ip link add $IF type wireguard" "$TMP/up$1" || { cat "$TMP/up$1"; fail "up #$1 did not add a kernel interface"; }
    ! has -E 'userspace|wireguard-swift' "$TMP/up$1" || { cat "$TMP/up$1"; fail "up #$1 fell back to userspace"; }
}
down() {  # down N: wg-quick down, then the state equals the one before up
    vm "$QUICK down $IF" >"$TMP/down$1" 2>&1 || { cat "$TMP/down$1"; fail "wg-quick down (#$1)"; }
    snapshot >"$TMP/after$1" || fail "snapshot"
    diff -u "$TMP/before" "$TMP/after$1" || { cat "$TMP/down$1"; fail "state after down #$1 differs from before up"; }
}

step "wg-quick up (full tunnel) on the kernel module, wg: ${KQ_WG:-ours}"
up 1
vm "ip -d link show $IF" | has ' wireguard ' || fail "$IF is not a kernel WireGuard link"
[ "$(vm "$WG show $IF fwmark" | tr -d '\r')" = 0xca6c ] || fail "fwmark: $(vm "$WG show $IF fwmark")"
vm "$WG show $IF" >"$TMP/show" || { cat "$TMP/show"; fail "wg show $IF"; }
has "peer: $(cat "$TMP/host.pub")" "$TMP/show" || { cat "$TMP/show"; fail "the kernel has not our peer"; }
vm 'ip rule; ip -6 rule' >"$TMP/rules"
[ "$(grep -c 'not from all fwmark 0xca6c lookup 51820' "$TMP/rules")" = 2 ] || { cat "$TMP/rules"; fail "not-fwmark rules (v4 and v6)"; }
[ "$(grep -c 'from all lookup main suppress_prefixlength 0' "$TMP/rules")" = 2 ] || { cat "$TMP/rules"; fail "suppress_prefixlength rules"; }
vm 'ip route show table 51820; ip -6 route show table 51820' >"$TMP/table"
has "^default dev $IF scope link" "$TMP/table" || { cat "$TMP/table"; fail "IPv4 default route in table 51820"; }
has "^default dev $IF metric 1024" "$TMP/table" || { cat "$TMP/table"; fail "IPv6 default route in table 51820"; }
vm 'nft list ruleset' >"$TMP/nft"
for family in ip ip6; do
    has "^table $family wg-quick-$IF {" "$TMP/nft" || { cat "$TMP/nft"; fail "nft table $family wg-quick-$IF"; }
done
# COUNT:RULE, the rule a whole line (the guest has no /etc/protocols: nft prints udp as 17).
for rule in '1:iifname != "wgq0" ip daddr 10\.77\.0\.2 fib saddr type != local drop' \
            '1:iifname != "wgq0" ip6 daddr fd77::2 fib saddr type != local drop' \
            '2:meta l4proto (udp|17) meta mark 0x0000ca6c ct mark set meta mark' '2:meta l4proto (udp|17) meta mark set ct mark'; do
    [ "$(grep -cE "^\s*${rule#*:}\$" "$TMP/nft")" = "${rule%%:*}" ] || { cat "$TMP/nft"; fail "nft rule missing: ${rule#*:}"; }
done
[ "$(vm 'cat /proc/sys/net/ipv4/conf/all/src_valid_mark' | tr -d '\r')" = 1 ] || fail "src_valid_mark not set"
[ "$(vm 'cat /tmp/hook.log')" = "up $IF" ] || fail "the PostUp hook (bash) did not run: $(vm 'cat /tmp/hook.log')"
vm 'ping -c 3 -W 5 10.99.0.1' >/dev/null || { vm "$WG show $IF"; show_logs; fail "no traffic through the default route"; }
vm 'ping -6 -c 2 -W 5 fd77::1' >/dev/null || fail "no IPv6 through the tunnel"
vm "$WG show $IF latest-handshakes" | awk '{ exit !($2 > 0) }' || fail "no handshake with the host"
pass "kernel $IF: fwmark, rules, table 51820, nft tables, src_valid_mark, PostUp; ping 10.99.0.1 through the default route"

step "save and strip"
vm "$WG set $IF peer $(cat "$TMP/extra2.pub") allowed-ips 10.55.0.0/24" || fail "wg set (extra peer)"
vm "$QUICK save $IF" >"$TMP/save" 2>&1 || { cat "$TMP/save"; fail "wg-quick save"; }
vm "cat /etc/wireguard/$IF.conf" >"$TMP/saved"
for line in "Address = 10.77.0.2/24" "Address = fd77::2/64" "SaveConfig = true" "PublicKey = $(cat "$TMP/extra2.pub")" \
            'PostUp = echo up %i >/tmp/hook.log' 'PostDown = echo down %i >>/tmp/hook.log' \
            "AllowedIPs = 10.55.0.0/24" "PrivateKey = $(cat "$TMP/guest.key")" "AllowedIPs = 0.0.0.0/0, ::/0"; do
    has -xF "$line" "$TMP/saved" || { cat "$TMP/saved"; fail "saved file lacks: $line"; }
done
vm "$QUICK strip $IF" >"$TMP/strip" 2>&1 || { cat "$TMP/strip"; fail "wg-quick strip"; }
! has -E '^(Address|SaveConfig|DNS|MTU|Table) ' "$TMP/strip" || { cat "$TMP/strip"; fail "strip kept wg-quick keys"; }
has -xF "PublicKey = $(cat "$TMP/extra2.pub")" "$TMP/strip" || { cat "$TMP/strip"; fail "strip lost a peer"; }
vm "$QUICK strip $IF >/tmp/s.conf && $WG syncconf $IF /tmp/s.conf" >"$TMP/sync" 2>&1 || { cat "$TMP/sync"; fail "wg syncconf of the stripped file"; }
pass "save writes the running peers with the wg-quick keys; strip leaves a file wg syncconf takes"

step "SaveConfig = true: down saves, up restores"
vm "$WG set $IF listen-port 51999 peer $(cat "$TMP/extra3.pub") allowed-ips 10.56.0.0/24" || fail "wg set (second extra peer)"
down 1
vm "cat /etc/wireguard/$IF.conf" >"$TMP/saved2"
for line in "ListenPort = 51999" "PublicKey = $(cat "$TMP/extra3.pub")" "AllowedIPs = 10.56.0.0/24" "SaveConfig = true"; do
    has -xF "$line" "$TMP/saved2" || { cat "$TMP/saved2"; fail "down did not save: $line"; }
done
[ "$(vm 'cat /tmp/hook.log')" = "up $IF
down $IF" ] || fail "the PostDown hook did not run: $(vm 'cat /tmp/hook.log')"
pass "down: rules, routes and nft ruleset as before up; the file holds what wg set changed; PostDown ran"
up 2
vm "$WG show $IF peers" >"$TMP/peers2"
for k in host extra2 extra3; do has -F "$(cat "$TMP/$k.pub")" "$TMP/peers2" || fail "peer $k not back after up"; done
[ "$(vm "$WG show $IF listen-port" | tr -d '\r')" = 51999 ] || fail "listen-port not back after up"
vm 'ip route' | has "^10.56.0.0/24 dev $IF" || fail "no route for the saved peer's allowed IPs"
down 2
pass "up again: the saved peers and port are back; down again leaves the state as it was"
if [ "${KQ_WG:-ours}" != debian ]; then
    # Our wg against Debian's on the same kernel interface.
    up 3
    [ "$(vm "/opt/wgq/wg showconf $IF")" = "$(vm "/usr/bin/wg showconf $IF")" ] || fail "our wg showconf differs from Debian's"
    [ "$(vm "/opt/wgq/wg show $IF dump" | cut -f1-4,8)" = "$(vm "/usr/bin/wg show $IF dump" | cut -f1-4,8)" ] \
        || fail "our wg show dump differs from Debian's"
    down 3
    pass "our wg showconf and show dump equal Debian's on the kernel interface"
fi
