#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the starting inputs of every fuzz target into Fuzz/corpus/<target>/ (scripts/fuzz.sh runs it when a
# corpus is empty). The engine's seeds use the record format of Fuzz/fuzz-engine/FuzzEngine.swift: they walk
# it through real handshakes and data (the engine pair makes the messages) so fuzzing starts deep.
import hashlib, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "WireGuardToolsTests", "Fixtures")

def write(target, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

def record(kind, data=b"", delay=0, other=False):
    return bytes([kind | (delay << 3) | (0x80 if other else 0), len(data)]) + data

def ipv4(src, dst, payload=b"\x08\x00\xf7\xff\x00\x01\x00\x01" + b"a" * 16, proto=1, total=None):
    length = total if total is not None else 20 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return header + payload

def ipv6(src, dst, payload=b"\x80\x00\x00\x00\x00\x01\x00\x01" + b"b" * 16, nh=58):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, bytes(src), bytes(dst)) + payload

A4, B4 = [10, 9, 0, 1], [10, 9, 0, 2]
A6, B6 = [0xfd] + [0] * 14 + [1], [0xfd] + [0] * 14 + [2]
FRESH, INITIATED, ESTABLISHED, AWAITING = 0, 1, 2, 3

def engine():
    t = "fuzz-engine"
    for scenario in range(4):
        for flags in (0, 4, 8, 16):
            write(t, bytes([scenario | flags]))
    write(t, bytes([INITIATED]) + record(3, b"\x01"))                       # A gets B's response
    write(t, bytes([INITIATED]) + record(3, b"\x01") + record(5, ipv4(B4, A4)))
    write(t, bytes([AWAITING]) + record(3, b"\x02"))                        # B's first data confirms
    write(t, bytes([ESTABLISHED]) + record(5, ipv4(B4, A4)) + record(6, ipv6(B6, A6)))
    write(t, bytes([ESTABLISHED]) + record(5, ipv4(B4, A4, proto=6, payload=b"\x00" * 20)))
    write(t, bytes([ESTABLISHED]) + record(5, ipv4(B4, A4, total=30)) + record(4, b""))
    write(t, bytes([ESTABLISHED]) + record(4, ipv4(B4, A4)) + record(3, b"\x03") + record(3, b"\x03"))
    write(t, bytes([ESTABLISHED]) + record(7, ipv4(A4, B4)) + record(0, b"", delay=7) + record(0, b"", delay=12))
    write(t, bytes([ESTABLISHED | 8]) + record(0, b"", delay=9) + record(0, b"", delay=13))
    write(t, bytes([FRESH]) + record(7, ipv4(A4, B4)) + record(3, b"\x01") + record(0, b"", delay=6))
    write(t, bytes([FRESH | 16]) + record(7, ipv4(A4, B4)) + record(3, b"\x01"))
    write(t, bytes([FRESH]) + record(1, b"\x00" + bytes(range(1, 60))))     # shaped initiation, MAC1 made
    write(t, bytes([INITIATED]) + record(1, b"\x81" + bytes(range(1, 60))))  # shaped response to A's index
    write(t, bytes([INITIATED]) + record(1, b"\x82" + bytes(40)))            # cookie reply to A's index
    write(t, bytes([ESTABLISHED]) + record(1, b"\x83" + bytes(range(48))))   # transport to A's index
    write(t, bytes([INITIATED]) + record(2, b"\x01\x10\x01"))                # mutated response
    write(t, bytes([FRESH | 16]) + record(2, b"\x00\x00\x00", other=True))
    write(t, bytes([ESTABLISHED]) + record(3, b"\x00", other=True))         # a replayed message from elsewhere
    write(t, bytes([FRESH]) + record(0, bytes([1, 0, 0, 0]) + bytes(144)) + record(0, bytes([4, 0, 0, 0]) + bytes(28)))

def uapi():
    t = "fuzz-uapi"
    key = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
    peer = "f928d4f6c1b86c12f2562c10b07c555c5c57fd00f59e90c8d8d88767271cbf7c"
    sets = [
        f"set=1\nprivate_key={key}\nlisten_port=51820\nfwmark=7\nreplace_peers=true\npublic_key={peer}\n"
        "preshared_key=" + "11" * 32 + "\nendpoint=192.0.2.1:51820\npersistent_keepalive_interval=25\n"
        "replace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::2/128\nprotocol_version=1\n\n",
        f"set=1\npublic_key={peer}\nupdate_only=true\nendpoint=[2001:db8::1]:443\nallowed_ip=-10.0.0.2/32\n\n",
        f"set=1\npublic_key={peer}\nremove=true\n\n",
        f"set=1\nprivate_key={key}\npublic_key={key}\n\nget=1\n\n",
        "get=1\n\n", "get=1\nx", "set=1\nlisten_port=99999\n\n", "version=1\n\n",
    ]
    for i, s in enumerate(sets):
        write(t, bytes([i * 7]) + s.encode())
    write(t, b"\x03" + "".join(sets[:3]).encode())
    with open(os.path.join(fixtures, "status.uapi"), "rb") as f:
        write(t, b"\x00" + f.read())

def wg_config():
    t = "fuzz-wg-config"
    with open(os.path.join(fixtures, "showconf.txt"), "rb") as f:
        conf = f.read()
    write(t, b"\x00" + conf)
    write(t, b"\x01" + conf)
    write(t, b"\x00[Interface]\nPrivateKey = 6EtabScXwQA6E7QxVwNT26ypFGzxUMX4V1aA/rpSAno=\nListenPort = wireguard\n"
             b"FwMark = off\n[Peer]\nPublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\nEndpoint = host.example:1\n"
             b"AllowedIPs = 10.0.0.1/8, -10.0.0.0/24, +fd00::/8\n")
    write(t, b"\x00[Interface]\nAddress = 10.0.0.1/24\n")

def wg_set():
    t = "fuzz-wg-set"
    peer = b"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
    for args in (
        [b"listen-port", b"51820", b"fwmark", b"0x10", b"private-key", b"\x00", b"peer", peer, b"preshared-key", b"\x00",
         b"endpoint", b"[2001:db8::1]:51820", b"allowed-ips", b"10.0.0.0/24,fd00::/64", b"persistent-keepalive", b"25"],
        [b"peer", peer, b"remove"],
        [b"peer", peer, b"allowed-ips", b"+10.1.0.0/16, -10.2.0.0/16", b"endpoint", b"192.0.2.1:1"],
        [b"fwmark", b"off", b"listen-port", b"0", b"private-key", b"\x03"],
        [b"peer", peer, b"persistent-keepalive", b"off", b"peer", peer, b"endpoint", b"name.example:http"],
    ):
        write(t, b"\x00".join(args))

def quick():
    t = "fuzz-quick-config"
    with open(os.path.join(fixtures, "showconf.txt"), "rb") as f:
        conf = f.read()
    write(t, conf.replace(b"[Interface]\n", b"[Interface]\nAddress = 10.0.0.1/24, fd00::1/64\nDNS = 1.1.1.1, example.com\n"
                          b"MTU = 1380\nTable = off\nPreUp = echo %i # note\nPostDown = true\nSaveConfig = true\n", 1))
    write(t, b"  [Interface]  \r\naddress = 10.0.0.1/24\r\nSaveConfig = maybe\n[ Interface ]\nDNS = x\n[Peer]\nAddress = 1\n")

def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def pad(b): return b + bytes((4 - len(b) % 4) % 4)
def attr(t, payload): return pad(u16(4 + len(payload)) + u16(t) + payload)
def nest(t, inner): return u16(4 + len(inner)) + u16(t | 0x8000) + inner
def nlmsg(t, flags, seq, payload): return u32(16 + len(payload)) + u16(t) + u16(flags) + u32(seq) + u32(0) + pad(payload)

def netlink():
    t = "fuzz-netlink"
    family, multi, seq = 0x1b, 0x2, 7
    sockaddr4 = u16(2) + struct.pack("!H", 51820) + bytes([192, 0, 2, 1]) + bytes(8)
    sockaddr6 = u16(10) + struct.pack("!H", 443) + u32(0) + bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]) + u32(0)
    allowed = nest(0, attr(1, u16(2)) + attr(2, bytes([10, 0, 0, 2])) + attr(3, bytes([32]))) + \
        nest(0, attr(1, u16(10)) + attr(2, bytes([0xfd] + [0] * 15)) + attr(3, bytes([64])))
    peer1 = nest(0, attr(1, bytes([1] * 32)) + attr(2, bytes([2] * 32)) + attr(4, sockaddr4) + attr(5, u16(25)) +
                 attr(6, u64(1700000000) + u64(5)) + attr(7, u64(1024)) + attr(8, u64(2048)) + attr(10, u32(1)) +
                 nest(9, allowed))
    peer2 = nest(0, attr(1, bytes([3] * 32)) + attr(4, sockaddr6))
    device = attr(1, u32(5)) + attr(2, b"wg0\0") + attr(3, bytes([0x11] * 32)) + attr(4, bytes([0x12] * 32)) + \
        attr(6, u16(51820)) + attr(7, u32(7))
    first = nlmsg(family, multi, seq, bytes([0, 1, 0, 0]) + device + nest(8, peer1))
    second = nlmsg(family, multi, seq, bytes([0, 1, 0, 0]) + attr(1, u32(5)) + nest(8, peer2))
    done = nlmsg(3, multi, seq, u32(0))
    error = nlmsg(2, 0x100, seq, u32(0xFFFFFFED) + nlmsg(0x10, 5, seq, b""))
    link = nlmsg(16, multi, seq, bytes(16) + attr(3, b"wg0\0") + nest(18, attr(1, b"wireguard\0")))
    ctrl = nlmsg(0x10, 0, seq, bytes([1, 2, 0, 0]) + attr(1, u16(0x1b)) + attr(2, b"wireguard\0"))
    write(t, b"\x00" + first + done)
    write(t, b"\x01" + bytes([len(first) // 8]) + first + second + done)
    write(t, b"\x00" + error)
    write(t, b"\x00" + link + done)
    write(t, b"\x00" + ctrl)

if __name__ == "__main__":
    wanted = sys.argv[1:] or ["fuzz-engine", "fuzz-uapi", "fuzz-wg-config", "fuzz-wg-set", "fuzz-quick-config", "fuzz-netlink"]
    makers = {"fuzz-engine": engine, "fuzz-uapi": uapi, "fuzz-wg-config": wg_config, "fuzz-wg-set": wg_set,
              "fuzz-quick-config": quick, "fuzz-netlink": netlink}
    for name in wanted:
        if name in makers:
            makers[name]()
