#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A raw UAPI client for tests: sends stdin (or --text) to a socket exactly as given, with optional
# half-close, and prints the reply. Usage: uapi.py SOCKET [--shutdown] < request
import socket
import sys

path = sys.argv[1]
data = sys.stdin.buffer.read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(path)
s.sendall(data)
if "--shutdown" in sys.argv:
    s.shutdown(socket.SHUT_WR)
reply = b""
try:
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        reply += chunk
        if reply.endswith(b"\n\n") and b"errno=" in reply.rsplit(b"\n", 3)[-3]:
            break
except socket.timeout:
    print("TIMEOUT", file=sys.stderr)
    sys.exit(2)
sys.stdout.buffer.write(reply)
