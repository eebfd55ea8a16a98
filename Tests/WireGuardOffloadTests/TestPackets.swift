// SPDX-License-Identifier: MIT
// Test-only packet builders and a reference Internet checksum that shares no code with `Checksum`:
// a byte-pair loop that folds after every addition, the way RFC 1071 describes it.
import WireGuardOffload

/// The reference checksum: 16-bit big-endian words from byte pairs, end-around carry on every step.
enum Ref {
    /// The folded (not complemented) one's-complement sum of `bytes`, on top of `initial`.
    static func sum(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 0) -> UInt16 {
        var s = initial
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let hi = UInt32(bytes[i])
            let lo = i + 1 < bytes.endIndex ? UInt32(bytes[i + 1]) : 0
            s += hi << 8 | lo
            while s > 0xFFFF { s = (s & 0xFFFF) + (s >> 16) }
            i += 2
        }
        while s > 0xFFFF { s = (s & 0xFFFF) + (s >> 16) }
        return UInt16(s)
    }

    static func sum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 { sum(bytes[...], initial: initial) }

    /// The folded pseudo-header sum (addresses, protocol, transport length).
    static func pseudo(_ src: [UInt8], _ dst: [UInt8], proto: UInt8, length: Int) -> UInt16 {
        let lengthBytes: [UInt8] = [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF),
                                    UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        return sum(src + dst + [0, proto] + lengthBytes)
    }

    static func isV6(_ p: [UInt8]) -> Bool { p[0] >> 4 == 6 }
    static func ipHeaderLength(_ p: [UInt8]) -> Int { isV6(p) ? 40 : Int(p[0] & 0xF) * 4 }
    static func addresses(_ p: [UInt8]) -> ([UInt8], [UInt8]) {
        isV6(p) ? (Array(p[8..<24]), Array(p[24..<40])) : (Array(p[12..<16]), Array(p[16..<20]))
    }
    static func proto(_ p: [UInt8]) -> UInt8 { isV6(p) ? p[6] : p[9] }

    /// Whether an IPv4 header's checksum verifies (IPv6 has none: always true).
    static func ipHeaderValid(_ p: [UInt8]) -> Bool {
        isV6(p) || sum(p[0..<ipHeaderLength(p)]) == 0xFFFF
    }

    /// Whether the TCP/UDP checksum over the whole transport segment verifies.
    static func transportValid(_ p: [UInt8]) -> Bool {
        let h = ipHeaderLength(p)
        let (s, d) = addresses(p)
        let ps = pseudo(s, d, proto: proto(p), length: p.count - h)
        return sum(p[h...], initial: UInt32(ps)) == 0xFFFF
    }
}

func be16(_ p: [UInt8], _ at: Int) -> UInt16 { UInt16(p[at]) << 8 | UInt16(p[at + 1]) }
func be32(_ p: [UInt8], _ at: Int) -> UInt32 { UInt32(be16(p, at)) << 16 | UInt32(be16(p, at + 2)) }
func put16(_ p: inout [UInt8], _ at: Int, _ v: UInt16) { p[at] = UInt8(v >> 8); p[at + 1] = UInt8(v & 0xFF) }
func put32(_ p: inout [UInt8], _ at: Int, _ v: UInt32) { put16(&p, at, UInt16(v >> 16)); put16(&p, at + 2, UInt16(v & 0xFFFF)) }

/// IP-level fields of a test packet.
struct IPSpec {
    var v6 = false
    var src4: [UInt8] = [10, 0, 0, 1]
    var dst4: [UInt8] = [10, 0, 0, 2]
    var src6: [UInt8] = [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    var dst6: [UInt8] = [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    var tos: UInt8 = 0
    var ttl: UInt8 = 64
    var id: UInt16 = 0x4321
    var df = true
    var ipOptions: [UInt8] = []
    var flowLabel: UInt32 = 0x12345
}

/// TCP-level fields of a test packet.
struct TCPSpec {
    var sport: UInt16 = 40000
    var dport: UInt16 = 443
    var seq: UInt32 = 0xFFFF_F000
    var ack: UInt32 = 0x0102_0304
    var flags: UInt8 = 0x10
    var window: UInt16 = 501
    var options: [UInt8] = []
    /// Timestamps option padded with two NOPs (12 bytes), as Linux sends it.
    static let timestamps: [UInt8] = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78]
}

/// Wraps a transport segment in an IPv4 or IPv6 header with a valid header checksum.
func ipPacket(_ ip: IPSpec, proto: UInt8, transport: [UInt8]) -> [UInt8] {
    if ip.v6 {
        var h = [UInt8](repeating: 0, count: 40)
        put32(&h, 0, 6 << 28 | UInt32(ip.tos) << 20 | ip.flowLabel)
        put16(&h, 4, UInt16(transport.count))
        h[6] = proto
        h[7] = ip.ttl
        h.replaceSubrange(8..<24, with: ip.src6)
        h.replaceSubrange(24..<40, with: ip.dst6)
        return h + transport
    }
    let hl = 20 + ip.ipOptions.count
    var h = [UInt8](repeating: 0, count: 20) + ip.ipOptions
    h[0] = 0x40 | UInt8(hl / 4)
    h[1] = ip.tos
    put16(&h, 2, UInt16(hl + transport.count))
    put16(&h, 4, ip.id)
    h[6] = ip.df ? 0x40 : 0
    h[8] = ip.ttl
    h[9] = proto
    h.replaceSubrange(12..<16, with: ip.src4)
    h.replaceSubrange(16..<20, with: ip.dst4)
    put16(&h, 10, ~Ref.sum(h))
    return h + transport
}

/// Recomputes the transport checksum of a whole IP packet with the reference.
func fixTransportChecksum(_ p: inout [UInt8]) {
    let h = Ref.ipHeaderLength(p)
    let field = h + (Ref.proto(p) == 6 ? 16 : 6)
    put16(&p, field, 0)
    let (s, d) = Ref.addresses(p)
    let ps = Ref.pseudo(s, d, proto: Ref.proto(p), length: p.count - h)
    var c = ~Ref.sum(p[h...], initial: UInt32(ps))
    if Ref.proto(p) == 17 && c == 0 { c = 0xFFFF }
    put16(&p, field, c)
}

/// Recomputes the IPv4 header checksum with the reference.
func fixIPv4Checksum(_ p: inout [UInt8]) {
    guard !Ref.isV6(p) else { return }
    put16(&p, 10, 0)
    put16(&p, 10, ~Ref.sum(p[0..<Ref.ipHeaderLength(p)]))
}

/// A TCP packet with valid checksums.
func tcpPacket(_ ip: IPSpec = IPSpec(), _ tcp: TCPSpec = TCPSpec(), payload: [UInt8]) -> [UInt8] {
    var t = [UInt8](repeating: 0, count: 20) + tcp.options
    put16(&t, 0, tcp.sport)
    put16(&t, 2, tcp.dport)
    put32(&t, 4, tcp.seq)
    put32(&t, 8, tcp.ack)
    t[12] = UInt8(t.count / 4) << 4
    t[13] = tcp.flags
    put16(&t, 14, tcp.window)
    var p = ipPacket(ip, proto: 6, transport: t + payload)
    fixTransportChecksum(&p)
    return p
}

/// A UDP packet with a valid checksum (or a zero one, IPv4 only, if `zeroChecksum`).
func udpPacket(_ ip: IPSpec = IPSpec(), sport: UInt16 = 5000, dport: UInt16 = 6000, payload: [UInt8],
               zeroChecksum: Bool = false) -> [UInt8] {
    var u = [UInt8](repeating: 0, count: 8)
    put16(&u, 0, sport)
    put16(&u, 2, dport)
    put16(&u, 4, UInt16(8 + payload.count))
    var p = ipPacket(ip, proto: 17, transport: u + payload)
    if !zeroChecksum { fixTransportChecksum(&p) }
    return p
}

/// Deterministic pseudo-random bytes (a 64-bit LCG), so failures reproduce.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 33) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
    mutating func below(_ n: Int) -> Int { Int(next() >> 33) % n }
}

/// A payload whose bytes encode their position, so a misplaced chunk shows.
func patternPayload(_ n: Int, salt: UInt8 = 0) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8 &+ Int(salt)) }
}
