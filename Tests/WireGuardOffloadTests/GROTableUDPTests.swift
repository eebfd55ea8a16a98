// SPDX-License-Identifier: MIT
import Testing
import WireGuardOffload

@Suite struct GROTableUDPTests {
    @Test(arguments: [false, true])
    func segmentsOfAUSOPacketCoalesceBackIntoIt(v6: Bool) throws {
        let superPacket = withPartialChecksum(udpPacket(IPSpec(v6: v6), payload: patternPayload(3 * 1200 + 300)))
        let header = gsoHeader(superPacket, gsoSize: 1200)
        let segments = try #require(split(superPacket, header)).packets
        #expect(segments.count == 4)
        let out = GROHarness(coalesceUDP: true).run(segments)
        try #require(out.count == 1)
        let h: UInt16 = v6 ? 40 : 20
        #expect(out[0].0 == VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: VirtioNetHeader.gsoUDPL4,
                                            headerLength: h + 8, gsoSize: 1200, checksumStart: h, checksumOffset: 6))
        #expect(out[0].1 == superPacket)
        expectGroups(out, segments, [[0, 1, 2, 3]])
    }

    @Test func offByDefault() {
        let segments = udpSegments(sizes: [1200, 1200, 1200])
        expectGroups(GROHarness().run(segments), segments, [[0], [1], [2]])
    }

    @Test(arguments: [false, true])
    func shorterDatagramEndsTheSuperPacket(v6: Bool) {
        let segments = udpSegments(v6: v6, sizes: [1200, 1200, 700, 1200, 1200, 1300])
        expectGroups(GROHarness(coalesceUDP: true).run(segments), segments, [[0, 1, 2], [3, 4], [5]])
    }

    @Test func zeroChecksumOrEmptyNeverCoalesces() {
        var segments = udpSegments(sizes: [1200, 1200, 1200, 1200])
        put16(&segments[1], 26, 0)
        expectGroups(GROHarness(coalesceUDP: true).run(segments), segments, [[0], [1], [2, 3]])
        let empty = udpSegments(sizes: [0, 0])
        expectGroups(GROHarness(coalesceUDP: true).run(empty), empty, [[0], [1]])
    }

    @Test func zeroChecksumThatHappensToVerifyStillNeverCoalesces() {
        // Datagrams whose bytes sum to 0xFFFF verify with a zero field, which still means "no checksum".
        var segments = udpSegments(sizes: [1200, 1200, 1200])
        for i in segments.indices {
            put16(&segments[i], 26, 0)
            put16(&segments[i], segments[i].count - 2, 0)
            let (s, d) = Ref.addresses(segments[i])
            let partial = Ref.sum(segments[i][20...], initial: UInt32(Ref.pseudo(s, d, proto: 17, length: 1208)))
            put16(&segments[i], segments[i].count - 2, ~partial)
            #expect(Ref.transportValid(segments[i]) && be16(segments[i], 26) == 0)
        }
        expectGroups(GROHarness(coalesceUDP: true).run(segments), segments, [[0], [1], [2]])
    }

    @Test func differentPortsAreDifferentFlows() {
        let a = udpSegments(sizes: [1200, 1200])
        let b = udpSegments(sizes: [1200, 1200], sport: 5001)
        let inputs = [a[0], b[0], a[1], b[1]]
        expectGroups(GROHarness(coalesceUDP: true).run(inputs), inputs, [[0, 2], [1, 3]])
    }

    @Test func ipFieldsAndLengthMustMatch() {
        let ttl = udpSegments(sizes: [1200, 1200, 1200]) { i, ip in if i == 1 { ip.ttl = 3 } }
        expectGroups(GROHarness(coalesceUDP: true).run(ttl), ttl, [[0], [1], [2]])
        var length = udpSegments(sizes: [1200, 1200, 1200])
        put16(&length[1], 24, 1000)   // UDP length disagrees with the IP length
        fixTransportChecksum(&length[1])
        expectGroups(GROHarness(coalesceUDP: true).run(length), length, [[0], [1], [2]])
        var corrupt = udpSegments(sizes: [1200, 1200, 1200])
        corrupt[2][100] ^= 0x80
        expectGroups(GROHarness(coalesceUDP: true).run(corrupt), corrupt, [[0, 1], [2]])
    }

    @Test func ipv4OptionsNeverCoalesce() {
        let segments = udpSegments(sizes: [1200, 1200]) { _, ip in ip.ipOptions = [1, 1, 1, 0] }
        expectGroups(GROHarness(coalesceUDP: true).run(segments), segments, [[0], [1]])
        let b = udpSegments(sizes: [1200, 1200], sport: 5001)
        let inputs = [segments[0], b[0], b[1]]
        expectGroups(GROHarness(coalesceUDP: true, maxFlows: 1).run(inputs), inputs, [[0], [1, 2]])
    }

    @Test func fixedIDWithDontFragmentCoalesces() {
        let segments = udpSegments(sizes: [1200, 1200, 1200]) { _, ip in ip.id = 0 }
        expectGroups(GROHarness(coalesceUDP: true).run(segments), segments, [[0, 1, 2]], resplit: false)
        let gap = udpSegments(sizes: [1200, 1200, 1200]) { i, ip in if i == 2 { ip.id = 105 } }
        expectGroups(GROHarness(coalesceUDP: true).run(gap), gap, [[0, 1], [2]])
    }

    @Test func udpAndTCPBetweenTheSameHostsDoNotInterfere() {
        let u = udpSegments(sizes: [1200, 1200])
        let t = tcpSegments()
        let inputs = [u[0], t[0], u[1], t[1]]
        expectGroups(GROHarness(coalesceUDP: true).run(inputs), inputs, [[0, 2], [1, 3]])
        // With UDP coalescing off, UDP still passes through without disturbing the TCP flow.
        expectGroups(GROHarness().run(inputs), inputs, [[0], [1, 3], [2]])
    }
}
