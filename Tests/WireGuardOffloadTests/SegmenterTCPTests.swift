// SPDX-License-Identifier: MIT
import Testing
import WireGuardOffload

/// The test super-packet: 5500 bytes of payload, PSH+ACK, timestamps, sequence and IPv4 ID near wrapping.
struct TCPSuperPacket {
    static let gsoSize = 1000
    static let payloadLength = 5500
    var ip: IPSpec
    var tcp: TCPSpec
    let payload = patternPayload(TCPSuperPacket.payloadLength)

    init(v6: Bool, flags: UInt8 = 0x18) {
        ip = IPSpec(v6: v6, id: 0xFFFD)
        tcp = TCPSpec(flags: flags, options: TCPSpec.timestamps)
    }

    /// The super-packet as a TUN read returns it: checksum field left partial.
    var packet: [UInt8] { withPartialChecksum(tcpPacket(ip, tcp, payload: payload)) }

    /// Segment `i` of `count` built independently: its own IP ID, sequence number and flags, reference checksums.
    func expectedSegment(_ i: Int, count: Int) -> [UInt8] {
        var ip = self.ip
        ip.id = self.ip.id &+ UInt16(i)
        var tcp = self.tcp
        tcp.seq = self.tcp.seq &+ UInt32(i * TCPSuperPacket.gsoSize)
        if i != count - 1 { tcp.flags &= ~(0x01 | 0x08) }
        if i != 0 { tcp.flags &= ~0x80 }
        let start = i * TCPSuperPacket.gsoSize
        let end = min(start + TCPSuperPacket.gsoSize, payload.count)
        return tcpPacket(ip, tcp, payload: Array(payload[start..<end]))
    }

    var expectedSegments: [[UInt8]] { (0..<6).map { expectedSegment($0, count: 6) } }
}

@Suite struct SegmenterTCPTests {
    @Test(arguments: [false, true])
    func splitsSuperPacketByteExactly(v6: Bool) throws {
        let superPacket = TCPSuperPacket(v6: v6)
        let out = try #require(split(superPacket.packet, gsoHeader(superPacket.packet, gsoSize: 1000)))
        #expect(out.packets.count == 6)
        let expected = superPacket.expectedSegments
        for i in 0..<min(6, out.packets.count) {
            let got = out.packets[i]
            #expect(got == expected[i], "segment \(i)")
            let h = v6 ? 40 : 20
            #expect(got.count == h + 32 + (i < 5 ? 1000 : 500))
            #expect(be32(got, h + 4) == 0xFFFF_F000 &+ UInt32(i * 1000))
            #expect(got[h + 13] == (i == 5 ? 0x18 : 0x10), "PSH only on the last segment")
            if v6 {
                #expect(Int(be16(got, 4)) == got.count - 40)
            } else {
                #expect(be16(got, 4) == 0xFFFD &+ UInt16(i), "IPv4 ID wraps")
                #expect(Int(be16(got, 2)) == got.count)
            }
            #expect(Ref.ipHeaderValid(got))
            #expect(Ref.transportValid(got))
        }
        let (layout, end) = expectedLayout(lengths: expected.map(\.count))
        #expect(out.segments == layout)
        #expect(out.arenaOffset == end)
        #expect(out.strayWrites == 0)
    }

    @Test func cwrOnFirstFinOnLastEcnType() throws {
        var superPacket = TCPSuperPacket(v6: false, flags: 0x80 | 0x40 | 0x10 | 0x08 | 0x01)
        superPacket.ip.ipOptions = [0x94, 0x04, 0, 0]   // Router Alert: options are copied as they are
        let out = try #require(split(superPacket.packet, gsoHeader(superPacket.packet, gsoSize: 1000, ecn: true)))
        #expect(out.packets == superPacket.expectedSegments)
        #expect(out.packets.first?[24 + 13] == 0xD0)
        #expect(out.packets.last?[24 + 13] == 0x59)
        #expect(out.packets[2][24 + 13] == 0x50)
    }

    @Test func ignoresTransportChecksumContents() throws {
        var packet = TCPSuperPacket(v6: true).packet
        put16(&packet, 40 + 16, 0xBEEF)
        let out = try #require(split(packet, gsoHeader(packet, gsoSize: 1000)))
        #expect(out.packets == TCPSuperPacket(v6: true).expectedSegments)
    }

    @Test func gsoWithoutNeedsChecksumStillComputesChecksums() throws {
        // A forwarded GRO packet arrives with DATA_VALID instead of NEEDS_CSUM.
        let packet = TCPSuperPacket(v6: false).packet
        var header = gsoHeader(packet, gsoSize: 1000)
        header.flags = VirtioNetHeader.flagDataValid
        header.checksumStart = 0
        header.checksumOffset = 0
        let out = try #require(split(packet, header))
        #expect(out.packets == TCPSuperPacket(v6: false).expectedSegments)
    }

    @Test(arguments: [false, true])
    func payloadFittingOneSegmentGivesOneWithChecksums(v6: Bool) throws {
        let good = tcpPacket(IPSpec(v6: v6), TCPSpec(flags: 0x18, options: TCPSpec.timestamps),
                             payload: patternPayload(1000))
        var packet = withPartialChecksum(good)
        if !v6 { put16(&packet, 10, 0) }   // the IPv4 header checksum is recomputed too
        let out = try #require(split(packet, gsoHeader(packet, gsoSize: 1000)))
        #expect(out.packets == [good])
        // Payloadless GSO packets are not cut either.
        let empty = tcpPacket(IPSpec(v6: v6), payload: [])
        #expect(split(empty, gsoHeader(empty, gsoSize: 1000))?.packets == [empty])
    }

    @Test func exactMultipleOfGsoSize() throws {
        let payload = patternPayload(3000)
        let packet = tcpPacket(payload: payload)
        let out = try #require(split(packet, gsoHeader(packet, gsoSize: 1000)))
        #expect(out.packets.map(\.count) == [1040, 1040, 1040])
        #expect(out.packets.allSatisfy { Ref.transportValid($0) && Ref.ipHeaderValid($0) })
    }
}
