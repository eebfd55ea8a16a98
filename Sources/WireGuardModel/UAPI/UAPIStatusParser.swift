// SPDX-License-Identifier: MIT
// Reading a `get=1` reply back into a `DeviceStatus` (what wg(8) does in ipc-uapi.h `userspace_get_device`):
// keys in any order, peer keys apply to the latest `public_key`, an all-zero preshared key means none, and the
// reply must end with `errno=0`. Anything malformed is EPROTO, never a crash.

public enum UAPIStatusParser {
    /// Parses a full reply (with its `errno=` line). Throws EPROTO for malformed text, or the daemon's
    /// errno when it reported one.
    public static func parse(_ reply: String) throws(UAPIError) -> DeviceStatus {
        var status = DeviceStatus(privateKey: nil, publicKey: nil, listenPort: 0, fwmark: 0, peers: [])
        var peer: PeerStatus?
        var errno: Int32?
        func bad(_ line: Substring) -> UAPIError { .protocolError("malformed UAPI reply line: \(line.prefix(80))") }
        for (start, eq, end) in lineOffsets(reply) {
            let utf8 = reply.utf8
            let lineStart = utf8.index(utf8.startIndex, offsetBy: start)
            let line = reply[lineStart..<utf8.index(lineStart, offsetBy: end - start)]
            guard eq >= 0 else { throw bad(line) }
            let equals = utf8.index(lineStart, offsetBy: eq - start)
            let key = line[..<equals]
            let value = line[utf8.index(after: equals)...]
            // Most lines of a large reply are allowed IPs: recognised by bytes before the general switch.
            if peer != nil, key.utf8.elementsEqual("allowed_ip".utf8) {
                guard let p = IPPrefix(value) else { throw bad(line) }
                peer!.allowedIPs.append(p)
                continue
            }
            switch key {
            case "private_key" where peer == nil:
                guard value.utf8.count == 64, let k = PrivateKey(hex: String(value)) else { throw bad(line) }
                status.privateKey = k.isZero ? nil : k
                status.publicKey = k.publicKey
            case "listen_port" where peer == nil:
                guard let n = UInt16(decimal: value) else { throw bad(line) }
                status.listenPort = n
            case "fwmark" where peer == nil:
                guard let n = UInt32(decimal: value) else { throw bad(line) }
                status.fwmark = n
            case "public_key":
                if let done = peer { status.peers.append(done) }
                guard value.utf8.count == 64, let k = PublicKey(hex: String(value)) else { throw bad(line) }
                peer = PeerStatus(publicKey: k, presharedKey: nil, endpoint: nil, lastHandshake: nil, rxBytes: 0,
                                  txBytes: 0, persistentKeepalive: 0, allowedIPs: [])
            case "preshared_key" where peer != nil:
                guard value.utf8.count == 64, let k = PresharedKey(hex: String(value)) else { throw bad(line) }
                peer!.presharedKey = k.isZero ? nil : k
            case "endpoint" where peer != nil:
                guard let e = Endpoint(String(value)) else { throw bad(line) }
                peer!.endpoint = e
            case "persistent_keepalive_interval" where peer != nil:
                guard let n = UInt16(decimal: value) else { throw bad(line) }
                peer!.persistentKeepalive = n
            case "allowed_ip" where peer != nil:
                guard let p = IPPrefix(value) else { throw bad(line) }
                peer!.allowedIPs.append(p)
            case "last_handshake_time_sec" where peer != nil:
                guard let n = Int64(decimal: value) else { throw bad(line) }
                peer!.lastHandshake = WallTime(seconds: n, nanoseconds: peer!.lastHandshake?.nanoseconds ?? 0)
            case "last_handshake_time_nsec" where peer != nil:
                guard let n = Int64(decimal: value) else { throw bad(line) }
                peer!.lastHandshake = WallTime(seconds: peer!.lastHandshake?.seconds ?? 0, nanoseconds: n)
            case "rx_bytes" where peer != nil:
                guard let n = UInt64(decimal: value) else { throw bad(line) }
                peer!.rxBytes = n
            case "tx_bytes" where peer != nil:
                guard let n = UInt64(decimal: value) else { throw bad(line) }
                peer!.txBytes = n
            case "errno":
                guard let n = Int32(decimal: value) else { throw bad(line) }
                errno = n
            default:
                // Keys this reader does not know (protocol_version, extensions) are skipped, as wg does.
                break
            }
        }
        if let done = peer { status.peers.append(done) }
        // A zero handshake time means "never".
        for i in status.peers.indices where status.peers[i].lastHandshake == WallTime(seconds: 0, nanoseconds: 0) {
            status.peers[i].lastHandshake = nil
        }
        guard let errno else { throw .protocolError("UAPI reply without errno") }
        // Either sign; Int32.min, whose negation overflows, stands for Int32.max.
        guard errno == 0 else { throw UAPIError(code: Int32(clamping: errno.magnitude), "the daemon answered errno=\(errno)") }
        return status
    }
}

extension UAPIStatusParser {
    /// Byte offsets of each non-empty line of `text`: its start, its first `=` (-1 if none) and its end.
    /// One pass over the bytes (a 10,000-peer reply has 230,000 lines).
    static func lineOffsets(_ text: String) -> [(Int, Int, Int)] {
        var text = text
        return text.withUTF8 { bytes in
            var lines: [(Int, Int, Int)] = []
            var start = 0, eq = -1
            for i in bytes.indices {
                switch bytes[i] {
                case UInt8(ascii: "\n"):
                    if i > start { lines.append((start, eq, i)) }
                    start = i + 1
                    eq = -1
                case UInt8(ascii: "=") where eq < 0:
                    eq = i
                default:
                    break
                }
            }
            if bytes.count > start { lines.append((start, eq, bytes.count)) }
            return lines
        }
    }
}

extension FixedWidthInteger {
    /// Plain decimal digits only (an optional leading `-` for signed types), as UAPI writes numbers.
    init?(decimal text: Substring) {
        let digits = Self.isSigned && text.hasPrefix("-") ? text.dropFirst() : text
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Self(text) else { return nil }
        self = v
    }
}
