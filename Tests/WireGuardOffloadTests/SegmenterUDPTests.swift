// SPDX-License-Identifier: MIT
import Testing
import WireGuardOffload

@Suite struct SegmenterUDPTests {
    @Test(arguments: [false, true])
    func splitsWithShorterLast(v6: Bool) throws {
        let payload = patternPayload(3 * 1200 + 300)
        let ip = IPSpec(v6: v6, id: 7)
        let packet = withPartialChecksum(udpPacket(ip, payload: payload))
        let out = try #require(split(packet, gsoHeader(packet, gsoSize: 1200)))
        var expected: [[UInt8]] = []
        for i in 0..<4 {
            var segmentIP = ip
            segmentIP.id = 7 + UInt16(i)
            expected.append(udpPacket(segmentIP, payload: Array(payload[i * 1200..<min((i + 1) * 1200, payload.count)])))
        }
        #expect(out.packets == expected)
        let h = v6 ? 40 : 20
        #expect(out.packets.map { Int(be16($0, h + 4)) } == [1208, 1208, 1208, 308])
        #expect(out.packets.allSatisfy { Ref.transportValid($0) && Ref.ipHeaderValid($0) && be16($0, h + 6) != 0 })
        #expect(out.strayWrites == 0)
        #expect(out.arenaOffset == expectedLayout(lengths: expected.map(\.count)).1)
    }

    @Test func exactlyOneSegment() throws {
        let good = udpPacket(IPSpec(v6: true), payload: patternPayload(1200))
        let packet = withPartialChecksum(good)
        let out = try #require(split(packet, gsoHeader(packet, gsoSize: 1200)))
        #expect(out.packets == [good])
    }

    @Test func zeroChecksumIsSentAsAllOnes() throws {
        // Pick two payload bytes so the segment's checksum computes to zero.
        var good = udpPacket(payload: [1, 2, 3, 4, 0, 0])
        put16(&good, 26, 0)
        let (s, d) = Ref.addresses(good)
        let partial = Ref.sum(good[20...], initial: UInt32(Ref.pseudo(s, d, proto: 17, length: good.count - 20)))
        put16(&good, good.count - 2, ~partial)
        put16(&good, 26, 0xFFFF)
        #expect(Ref.transportValid(good))
        let packet = withPartialChecksum(good)
        #expect(try #require(split(packet, gsoHeader(packet, gsoSize: 1200))).packets == [good])
    }
}

@Suite struct SegmenterChecksumOffloadTests {
    /// A NEEDS_CSUM header pointing at the packet's transport checksum.
    func partialHeader(_ packet: [UInt8]) -> VirtioNetHeader {
        let h = Ref.ipHeaderLength(packet)
        return VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, checksumStart: UInt16(h),
                               checksumOffset: Ref.proto(packet) == 6 ? 16 : 6)
    }

    @Test(arguments: [false, true])
    func completesTCPAndUDP(v6: Bool) throws {
        let tcp = tcpPacket(IPSpec(v6: v6), TCPSpec(options: TCPSpec.timestamps), payload: patternPayload(777))
        let udp = udpPacket(IPSpec(v6: v6), payload: patternPayload(333))
        for good in [tcp, udp] {
            let packet = withPartialChecksum(good)
            #expect(packet != good)
            let out = try #require(split(packet, partialHeader(packet)))
            #expect(out.packets == [good])
            #expect(out.segments == expectedLayout(lengths: [good.count]).0)
        }
    }

    @Test func completedZeroIsStoredAsAllOnes() throws {
        // Two payload bytes chosen so the UDP checksum computes to zero: it must go out as 0xFFFF.
        var good = udpPacket(payload: [5, 6, 7, 8, 0, 0])
        put16(&good, 26, 0)
        let (s, d) = Ref.addresses(good)
        let pseudo = Ref.pseudo(s, d, proto: 17, length: good.count - 20)
        put16(&good, good.count - 2, ~Ref.sum(good[20...], initial: UInt32(pseudo)))
        put16(&good, 26, 0xFFFF)
        let packet = withPartialChecksum(good)
        #expect(try #require(split(packet, partialHeader(packet))).packets == [good])
    }

    @Test func plainPacketIsCopied() throws {
        let packet = tcpPacket(payload: patternPayload(100))
        let out = try #require(split(packet, plainHeader, startOffset: 0, headroom: 0, tailroom: 0))
        #expect(out.packets == [packet])
        #expect(out.segments == [Segment(offset: 0, length: packet.count)])
        #expect(out.arenaOffset == packet.count)
    }

    @Test func checksumFieldOutOfBounds() {
        let packet = udpPacket(payload: [1, 2, 3])
        var header = partialHeader(packet)
        header.checksumOffset = UInt16(packet.count - 20 - 1)
        #expect(split(packet, header) == nil)
        header.checksumStart = 0xFFFF
        #expect(split(packet, header) == nil)
    }
}

@Suite struct SegmenterMalformedTests {
    let tcp = TCPSuperPacket(v6: false).packet
    let tcp6 = TCPSuperPacket(v6: true).packet
    let udp = withPartialChecksum(udpPacket(payload: patternPayload(3000)))

    @Test func truncatedHeaders() {
        let header = gsoHeader(tcp, gsoSize: 1000)
        #expect(split(Array(tcp[0..<10]), header) == nil)
        var cut30 = Array(tcp[0..<30])
        put16(&cut30, 2, 30)
        #expect(split(cut30, header) == nil, "truncated TCP header")
        #expect(split(Array(tcp6[0..<39]), gsoHeader(tcp6, gsoSize: 1000)) == nil)
        var shortData = tcp
        shortData[20 + 12] = 0xF0   // data offset 60 bytes: fine; now cut the packet inside the header
        fixIPv4Checksum(&shortData)
        var cut = Array(shortData[0..<60])
        put16(&cut, 2, 60)
        #expect(split(cut, header) == nil)
        var badIHL = tcp
        badIHL[0] = 0x44
        #expect(split(badIHL, header) == nil)
    }

    @Test func inconsistentLengths() {
        let header = gsoHeader(tcp, gsoSize: 1000)
        var longer = tcp
        put16(&longer, 2, UInt16(tcp.count + 1))
        #expect(split(longer, header) == nil)
        #expect(split(tcp + [0], header) == nil, "trailing bytes")
        var v6 = tcp6
        put16(&v6, 4, 10)
        #expect(split(v6, gsoHeader(tcp6, gsoSize: 1000)) == nil)
        var start = header
        start.checksumStart = 24
        #expect(split(tcp, start) == nil, "checksumStart is not the transport header")
    }

    @Test func gsoSizeZero() {
        #expect(split(tcp, gsoHeader(tcp, gsoSize: 0)) == nil)
        #expect(split(udp, gsoHeader(udp, gsoSize: 0)) == nil)
    }

    @Test func gsoTypeNotMatchingPacket() {
        var header = gsoHeader(udp, gsoSize: 1000)
        header.gsoType = VirtioNetHeader.gsoTCPv4
        header.checksumOffset = 16
        #expect(split(udp, header) == nil, "TCP gso type on a UDP packet")
        var v6OnV4 = gsoHeader(tcp, gsoSize: 1000)
        v6OnV4.gsoType = VirtioNetHeader.gsoTCPv6
        #expect(split(tcp, v6OnV4) == nil, "TCPV6 on IPv4")
        var v4OnV6 = gsoHeader(tcp6, gsoSize: 1000)
        v4OnV6.gsoType = VirtioNetHeader.gsoTCPv4
        #expect(split(tcp6, v4OnV6) == nil, "TCPV4 on IPv6")
        header = gsoHeader(tcp, gsoSize: 1000)
        header.gsoType = VirtioNetHeader.gsoUDPL4
        header.checksumOffset = 6
        #expect(split(tcp, header) == nil, "UDP_L4 on a TCP packet")
    }

    @Test func unknownOrUnsupportedGsoTypes() {
        for type: UInt8 in [2, VirtioNetHeader.gsoUDP, 6, 0x7F, VirtioNetHeader.gsoECN,
                            VirtioNetHeader.gsoUDPL4 | VirtioNetHeader.gsoECN] {
            var header = gsoHeader(udp, gsoSize: 1000)
            header.gsoType = type
            #expect(split(udp, header) == nil, "gso type \(type)")
        }
    }

    @Test func notIPOrNotSupported() {
        var v5 = tcp
        v5[0] = 0x55
        #expect(split(v5, gsoHeader(tcp, gsoSize: 1000)) == nil)
        #expect(split(v5, plainHeader) == nil)
        var fragment = tcp
        fragment[6] = 0x20   // MF
        fixIPv4Checksum(&fragment)
        #expect(split(fragment, gsoHeader(tcp, gsoSize: 1000)) == nil)
        var extensionHeader = tcp6
        extensionHeader[6] = 0   // hop-by-hop
        #expect(split(extensionHeader, gsoHeader(tcp6, gsoSize: 1000)) == nil)
    }

    @Test func tooManySegments() {
        #expect(split(tcp, gsoHeader(tcp, gsoSize: 1000), maxSegments: 5) == nil)
        #expect(split(tcp, gsoHeader(tcp, gsoSize: 1000), maxSegments: 6)?.packets.count == 6)
        #expect(split(tcp, plainHeader, maxSegments: 0) == nil)
    }

    @Test func arenaTooSmall() {
        let header = gsoHeader(tcp, gsoSize: 1000)
        let needed = expectedLayout(lengths: [1052, 1052, 1052, 1052, 1052, 552]).1
        #expect(split(tcp, header, capacity: needed - 1) == nil)
        #expect(split(tcp, header, capacity: needed)?.arenaOffset == needed)
        #expect(split(tcp, plainHeader, capacity: tcp.count) == nil)
    }
}
