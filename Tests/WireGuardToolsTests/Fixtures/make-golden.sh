#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the `wg show` golden files from Debian's wg (the reference), not from our formatter: a fake
# UAPI daemon serves status.uapi (handshake times relative to NOW), and Debian's wg prints every form.
# Usage (root, Debian's wg installed): Tests/WireGuardToolsTests/Fixtures/make-golden.sh
set -euo pipefail
cd "$(dirname "$0")"
name="wggolden"
sock="/var/run/wireguard/$name.sock"
mkdir -p /var/run/wireguard
while true; do
    now=$(date +%s)
    sed "s/NOW-\([0-9]*\)/\$((now - \1))/g" status.uapi.in | while IFS= read -r line; do eval "echo \"$line\""; done >status.uapi
    python3 - "$sock" status.uapi <<'PY' &
import os, socket, sys
path, reply = sys.argv[1], open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_UNIX)
s.bind(path); s.listen(8)
while True:
    c, _ = s.accept()
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = c.recv(4096)
        if not chunk: break
        data += chunk
    try:
        if data.endswith(b"\n\n"):  # wg also connects without a request, to probe the socket
            c.sendall(reply)
    except OSError:
        pass
    c.close()
PY
    server=$!
    while [ ! -S "$sock" ]; do sleep 0.05; done
    WG_COLOR_MODE=never wg show "$name" >show.txt
    WG_COLOR_MODE=always wg show "$name" >show-color.txt
    WG_COLOR_MODE=never WG_HIDE_KEYS=never wg show "$name" >show-keys.txt
    wg show "$name" dump >dump.txt
    wg showconf "$name" >showconf.txt
    for f in public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips latest-handshakes transfer persistent-keepalive; do
        wg show "$name" "$f" >"field-$f.txt"
    done
    after=$(date +%s)
    kill $server; rm -f "$sock"
    [ "$now" = "$after" ] && break
done
echo "$now" >now.txt
echo "golden files written for now=$now"
