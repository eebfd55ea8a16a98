#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop with the Linux kernel's own WireGuard module, running in a QEMU guest (the shared kernel-vm
# testbed, KERNEL_VM_DIR): either side initiating, ping both ways (IPv4 and IPv6 inside the tunnel), and a
# 3-second iperf3 run. The guest is emulated (TCG), so throughput here measures the emulator, not us.
source "$(dirname "$0")/lib.sh"
kernel_testbed
export KVM_OUT="$TMP/kvm"

# kperf NS ARGS...: a 3 s iperf3 client run against the guest's server, JSON; the guest's iperf3 -s needs a
# moment to listen again after a run, so a refused start is retried.
kperf() {
    local ns=$1 try json
    shift
    for try in 1 2 3 4 5; do
        json=$(ip netns exec "$ns" iperf3 -c 10.202.0.2 -t 3 -J "$@") && { echo "$json"; return 0; }
        sleep 1
    done
    return 1
}

run() {  # run INITIATOR(host|vm)
    local init=$1 name="kv$1$TAG" ifname="wk$1$TAG"
    name=${name:0:12}; ifname=${ifname:0:15}
    step "kernel WireGuard, initiator: $init"
    keypair "host$init"
    local ep=""
    [ "$init" = vm ] && ep="--peer-endpoint 192.168.242.1:51820"
    "$VMDIR/run-vm.sh" start "$name" --peer-pubkey "$(cat "$TMP/host$init.pub")" \
        --peer-allowed-ips 10.202.0.1/32,fd02::1/128 --wg-ip 10.202.0.2/24,fd02::2/64 $ep >"$TMP/vm-$init.env" \
        || fail "VM did not boot"
    echo "$name" >>"$TMP/namespaces"
    # shellcheck disable=SC1090
    . "$TMP/vm-$init.env"
    VMS+=("$name")
    start_daemon swift "$name" "$ifname"
    ip netns exec "$name" wg set "$ifname" private-key "$TMP/host$init.key" listen-port 51820 \
        peer "$VM_PUBKEY" endpoint "$VM_ETH_IP:$VM_WG_PORT" allowed-ips 10.202.0.2/32,fd02::2/128
    ip -n "$name" addr add 10.202.0.1/24 dev "$ifname"
    ip -n "$name" addr add fd02::1/64 dev "$ifname" nodad
    ip -n "$name" link set "$ifname" mtu 1420 up
    wait_listening "$name" 51820 || fail "no UDP socket on 51820 after $ifname came up"
    if [ "$init" = vm ]; then
        "$VMDIR/run-vm.sh" exec "$name" ping -c 3 -i 0.3 -W 5 10.202.0.1 >/dev/null || { show_logs; fail "kernel -> ours ping"; }
        grep -qi "sending handshake response" "$TMP/$ifname.log" || fail "we did not answer the kernel's initiation"
        ip netns exec "$name" ping -c 3 -i 0.3 -W 5 10.202.0.2 >/dev/null || fail "ours -> kernel ping"
    else
        ip netns exec "$name" ping -c 3 -i 0.3 -W 5 10.202.0.2 >/dev/null || { show_logs; fail "ours -> kernel ping"; }
        "$VMDIR/run-vm.sh" exec "$name" ping -c 3 -i 0.3 -W 5 10.202.0.1 >/dev/null || fail "kernel -> ours ping"
    fi
    ip netns exec "$name" ping -6 -c 3 -i 0.3 -W 5 fd02::2 >/dev/null || fail "IPv6 inside the tunnel"
    local out bps rbps loss
    out=$(kperf "$name") || fail "iperf3 to the kernel"
    bps=$(echo "$out" | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))')
    [ "$bps" -gt 1000000 ] || fail "iperf3 only $bps bit/s"
    out=$(kperf "$name" -R) || fail "iperf3 from the kernel"
    rbps=$(echo "$out" | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))')
    [ "$rbps" -gt 1000000 ] || fail "iperf3 -R only $rbps bit/s"
    out=$(kperf "$name" -u -b 10M -l 1200) || fail "iperf3 UDP to the kernel"
    loss=$(echo "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["end"]["sum"]["lost_percent"])')
    python3 -c "import sys; sys.exit(0 if float('$loss') <= 5 else 1)" || fail "UDP to the kernel lost $loss %"
    grep -q "Offloads: TUN TSO on" "$TMP/$ifname.log" || fail "our daemon did not run with TUN offloads"
    "$VMDIR/run-vm.sh" exec "$name" wg show wg0 latest-handshakes | has "$(cat "$TMP/host$init.pub")" || fail "kernel shows no handshake"
    pass "kernel interop, $init initiates, offloads on: iperf3 $((bps / 1000000)) Mbit/s out, $((rbps / 1000000)) Mbit/s in, UDP $loss % lost (emulated guest)"
    ip netns pids "$name" | while read -r pid; do
        grep -q wgvm- "/proc/$pid/cmdline" 2>/dev/null || kill "$pid"
    done
    sleep 0.3
    "$VMDIR/run-vm.sh" stop "$name" >/dev/null || true
}
VMS=()
# cleanup reads $? first: hand it the test's status, not the status of stopping the VMs.
trap 'st=$?; for v in "${VMS[@]}"; do "$VMDIR/run-vm.sh" stop "$v" >/dev/null 2>&1; done; (exit $st); cleanup' EXIT
run host
run vm
