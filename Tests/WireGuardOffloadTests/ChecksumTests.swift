// SPDX-License-Identifier: MIT
import Testing
import WireGuardOffload

@Suite struct ChecksumTests {
    /// Folds `Checksum.sum` over `count` bytes of `bytes` starting at `offset`.
    func fast(_ bytes: [UInt8], offset: Int = 0, count: Int? = nil, initial: UInt64 = 0) -> UInt16 {
        let n = count ?? bytes.count - offset
        return bytes.withUnsafeBytes { Checksum.fold(Checksum.sum($0.baseAddress! + offset, count: n, initial: initial)) }
    }

    @Test func rfc1071Example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(fast(bytes) == 0xDDF2)
        #expect(bytes.withUnsafeBytes { Checksum.finish(Checksum.sum($0.baseAddress!, count: 8)) } == 0x220D)
        #expect(Ref.sum(bytes) == 0xDDF2)
    }

    @Test func matchesReferenceOnRandomLengthsAndOffsets() {
        var rng = TestRandom(seed: 0xC0FFEE)
        let buffer = rng.bytes(3100)
        for _ in 0..<1500 {
            let count = rng.below(3001)
            let offset = rng.below(8)
            #expect(fast(buffer, offset: offset, count: count) == Ref.sum(buffer[offset..<offset + count]),
                    "count \(count) offset \(offset)")
        }
        // Every length around the unrolled loop's 64-byte and 8-byte boundaries, at an odd offset.
        for count in 0...200 {
            #expect(fast(buffer, offset: 3, count: count) == Ref.sum(buffer[3..<3 + count]), "count \(count)")
        }
    }

    @Test func allOnesCarryStress() {
        // 0xFF everywhere makes every 64-bit addition carry.
        let ones = [UInt8](repeating: 0xFF, count: 65536 + 7)
        for count in [65536, 65537, 65543, 63, 64, 65] {
            #expect(fast(ones, count: count) == Ref.sum(ones[0..<count]), "count \(count)")
        }
    }

    @Test func zeroAndInitial() {
        #expect(fast([]) == 0)
        #expect(fast([0, 0, 0]) == 0)
        // A single odd byte is the high byte of a word.
        #expect(fast([0xAB]) == 0xAB00)
        // An accumulator chains through `initial` when the earlier range has an even length.
        var rng = TestRandom(seed: 7)
        let a = rng.bytes(1000), b = rng.bytes(777)
        let first = a.withUnsafeBytes { Checksum.sum($0.baseAddress!, count: a.count) }
        #expect(fast(b, initial: first) == Ref.sum(a + b))
        #expect(Checksum.fold(Checksum.combine(first, UInt64.max - 1)) == Ref.sum(a + [0xFF, 0xFE]))
    }

    @Test func pseudoHeaderMatchesReference() {
        var rng = TestRandom(seed: 99)
        for addressLength in [4, 16] {
            for _ in 0..<50 {
                let src = rng.bytes(addressLength), dst = rng.bytes(addressLength)
                let length = rng.below(70000)
                let proto: UInt8 = rng.below(2) == 0 ? 6 : 17
                let got = src.withUnsafeBytes { s in
                    dst.withUnsafeBytes { d in
                        Checksum.fold(Checksum.pseudoHeaderSum(source: s.baseAddress!, destination: d.baseAddress!,
                                                               addressLength: addressLength, protocol: proto,
                                                               length: length))
                    }
                }
                #expect(got == Ref.pseudo(src, dst, proto: proto, length: length))
            }
        }
    }

    @Test func finishIPv4HeaderIsValid() {
        var p = tcpPacket(IPSpec(ipOptions: [1, 1, 1, 0]), payload: [1, 2, 3])
        p[10] = 0x55; p[11] = 0xAA
        p.withUnsafeMutableBytes { Checksum.finishIPv4Header($0.baseAddress!, headerLength: 24) }
        #expect(Ref.ipHeaderValid(p))
    }

    @Test func finishTransportMapsZeroToAllOnesForUDPOnly() {
        // Choose the last two payload bytes so the data sums to 0xFFFF: the checksum computes to 0.
        var p = udpPacket(payload: [9, 8, 7, 6, 0, 0])
        let (s, d) = Ref.addresses(p)
        put16(&p, 26, 0)
        let partial = Ref.sum(p[20...], initial: UInt32(Ref.pseudo(s, d, proto: 17, length: p.count - 20)))
        put16(&p, p.count - 2, ~partial)
        for isUDP in [true, false] {
            var q = p
            q.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                let ps = Checksum.pseudoHeaderSum(source: base + 12, destination: base + 16, addressLength: 4,
                                                  protocol: 17, length: raw.count - 20)
                Checksum.finishTransport(base + 20, length: raw.count - 20, checksumOffset: 6, pseudoHeader: ps,
                                         isUDP: isUDP)
            }
            #expect(be16(q, 26) == (isUDP ? 0xFFFF : 0))
            #expect(Ref.transportValid(q))
        }
    }
}
