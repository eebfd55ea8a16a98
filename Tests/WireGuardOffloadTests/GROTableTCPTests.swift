// SPDX-License-Identifier: MIT
import Testing
import WireGuardOffload

@Suite struct GROTableTCPTests {
    @Test(arguments: [false, true])
    func segmentsOfASuperPacketCoalesceBackIntoIt(v6: Bool) throws {
        let superPacket = TCPSuperPacket(v6: v6)
        let header = gsoHeader(superPacket.packet, gsoSize: 1000)
        let segments = try #require(split(superPacket.packet, header)).packets
        let out = GROHarness().run(segments)
        try #require(out.count == 1)
        let h = v6 ? 40 : 20
        #expect(out[0].0 == VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                                            gsoType: v6 ? VirtioNetHeader.gsoTCPv6 : VirtioNetHeader.gsoTCPv4,
                                            headerLength: UInt16(h + 32), gsoSize: 1000,
                                            checksumStart: UInt16(h), checksumOffset: 16))
        // The TUN's super-packet carried the partial checksum, the first ID and PSH from the last segment:
        // exactly what GRO writes.
        #expect(out[0].1 == superPacket.packet)
        expectGroups(out, segments, [[0, 1, 2, 3, 4, 5]])
    }

    @Test(arguments: [false, true])
    func gapBreaks(v6: Bool) {
        var segments = tcpSegments(v6: v6)
        segments.remove(at: 2)
        expectGroups(GROHarness().run(segments), segments, [[0, 1], [2, 3, 4]])
    }

    @Test func overlapBreaks() {
        let s = tcpSegments()
        let inputs = [s[0], s[1], s[1], s[2]]
        expectGroups(GROHarness().run(inputs), inputs, [[0, 1], [2, 3]])
    }

    @Test(arguments: [false, true])
    func pshInTheMiddleEndsTheSuperPacket(v6: Bool) {
        let segments = tcpSegments(v6: v6) { i, _, tcp in if i == 2 { tcp.flags |= 0x08 } }
        expectGroups(GROHarness().run(segments), segments, [[0, 1, 2], [3, 4, 5]])
        // A PSH packet never starts one.
        let first = tcpSegments(v6: v6) { i, _, tcp in if i == 0 { tcp.flags |= 0x08 } }
        expectGroups(GROHarness().run(first), first, [[0], [1, 2, 3, 4, 5]])
    }

    @Test func differingOptionsBreak() {
        let segments = tcpSegments { i, _, tcp in if i >= 3 { tcp.options[11] = 0x79 } }
        expectGroups(GROHarness().run(segments), segments, [[0, 1, 2], [3, 4, 5]])
        let longer = tcpSegments { i, _, tcp in if i >= 3 { tcp.options += [1, 1, 1, 1] } }
        expectGroups(GROHarness().run(longer), longer, [[0, 1, 2], [3, 4, 5]])
    }

    @Test func cwrGoesOutAlone() {
        let middle = tcpSegments { i, _, tcp in if i == 3 { tcp.flags |= 0x80 } }
        expectGroups(GROHarness().run(middle), middle, [[0, 1, 2], [3], [4, 5]])
        let first = tcpSegments { i, _, tcp in if i == 0 { tcp.flags |= 0x80 } }
        expectGroups(GROHarness().run(first), first, [[0], [1, 2, 3, 4, 5]])
    }

    @Test func refusedFlagsGoOutAlone() {
        for flag: UInt8 in [0x01, 0x02, 0x04, 0x20] {
            let segments = tcpSegments { i, _, tcp in if i == 2 { tcp.flags |= flag } }
            expectGroups(GROHarness().run(segments), segments, [[0, 1], [2], [3, 4, 5]])
        }
        // ECE must match: a change breaks, ECE throughout coalesces.
        let ece = tcpSegments { i, _, tcp in if i >= 2 { tcp.flags |= 0x40 } }
        expectGroups(GROHarness().run(ece), ece, [[0, 1], [2, 3, 4, 5]])
        let noACK = tcpSegments { i, _, tcp in if i == 1 { tcp.flags = 0 } }
        expectGroups(GROHarness().run(noACK), noACK, [[0], [1], [2, 3, 4, 5]])
    }

    @Test func refusedFlagsNeverCoalesceEvenWhenEqual() {
        // The same flag on every segment: equal flags alone must not let them through.
        for (flag, clear) in [(0x80, 0), (0x20, 0), (0x02, 0), (0x04, 0), (0x01, 0), (0x00, 0x10)] as [(UInt8, UInt8)] {
            let segments = tcpSegments(pshLast: false) { _, _, tcp in tcp.flags = (tcp.flags | flag) & ~clear }
            expectGroups(GROHarness().run(segments), segments, [[0], [1], [2], [3], [4], [5]])
        }
    }

    @Test func pureAcksNeverCoalesce() {
        // Consecutive IDs, the same sequence number: everything else would match.
        let acks = (0..<3).map { i in
            tcpPacket(IPSpec(id: 50 + UInt16(i)), TCPSpec(flags: 0x10, options: TCPSpec.timestamps), payload: [])
        }
        expectGroups(GROHarness().run(acks), acks, [[0], [1], [2]])
    }

    @Test func packetsThatGoOutAloneTakeNoFlowSlot() {
        let a = tcpSegments()
        let b = tcpSegments { _, _, tcp in tcp.sport = 40001 }
        let push = tcpSegments { i, _, tcp in if i == 0 { tcp.flags |= 0x08 } }
        let inputs = [push[0], b[0], b[1]]
        expectGroups(GROHarness(maxFlows: 1).run(inputs), inputs, [[0], [1, 2]])
        var bad = a
        bad[2][70] ^= 0x10
        let more = [a[0], a[1], bad[2], b[0], b[1]]
        expectGroups(GROHarness(maxFlows: 2).run(more), more, [[0, 1], [2], [3, 4]])
    }

    @Test func ipv4OptionsNeverCoalesce() {
        let segments = tcpSegments(ipOptions: [1, 1, 1, 0])
        expectGroups(GROHarness().run(segments), segments, [[0], [1], [2], [3], [4], [5]])
        // Nor do they take the only flow slot from a flow that can.
        let b = tcpSegments { _, _, tcp in tcp.sport = 40001 }
        let inputs = [segments[0], b[0], b[1]]
        expectGroups(GROHarness(maxFlows: 1).run(inputs), inputs, [[0], [1, 2]])
    }

    @Test func differentIPFieldsBreak() {
        let ttl = tcpSegments { i, ip, _ in if i == 2 { ip.ttl = 63 } }
        expectGroups(GROHarness().run(ttl), ttl, [[0, 1], [2], [3, 4, 5]])
        let ce = tcpSegments { i, ip, _ in if i == 3 { ip.tos = 0x03 } }
        expectGroups(GROHarness().run(ce), ce, [[0, 1, 2], [3], [4, 5]])
        let df = tcpSegments { i, ip, _ in if i >= 4 { ip.df = false } }
        expectGroups(GROHarness().run(df), df, [[0, 1, 2, 3], [4, 5]])
        let ids = tcpSegments { i, ip, _ in if i >= 3 { ip.id &+= 5 } }
        expectGroups(GROHarness().run(ids), ids, [[0, 1, 2], [3, 4, 5]])
        let hop = tcpSegments(v6: true) { i, ip, _ in if i == 1 { ip.ttl = 1 } }
        expectGroups(GROHarness().run(hop), hop, [[0], [1], [2, 3, 4, 5]])
        let label = tcpSegments(v6: true) { i, ip, _ in if i >= 3 { ip.flowLabel = 7 } }
        expectGroups(GROHarness().run(label), label, [[0, 1, 2], [3, 4, 5]])
        let tclass = tcpSegments(v6: true) { i, ip, _ in if i >= 3 { ip.tos = 0x10 } }
        expectGroups(GROHarness().run(tclass), tclass, [[0, 1, 2], [3, 4, 5]])
    }

    @Test func fixedIDWithDontFragmentCoalesces() {
        let fixed = tcpSegments { _, ip, _ in ip.id = 0 }
        // Re-segmentation numbers the IDs, so the segments do not come back byte-exact.
        expectGroups(GROHarness().run(fixed), fixed, [[0, 1, 2, 3, 4, 5]], resplit: false)
        let noDF = tcpSegments { _, ip, _ in ip.id = 0; ip.df = false }
        expectGroups(GROHarness().run(noDF), noDF, [[0], [1], [2], [3], [4], [5]])
        // The mode is decided by the second packet and then kept.
        let countingThenFixed = tcpSegments { i, ip, _ in if i >= 3 { ip.id = 0 } }
        expectGroups(GROHarness().run(countingThenFixed), countingThenFixed, [[0, 1, 2], [3, 4, 5]], resplit: false)
        let fixedThenCounting = tcpSegments { i, ip, _ in ip.id = i < 3 ? 5 : UInt16(3 + i) }
        expectGroups(GROHarness().run(fixedThenCounting), fixedThenCounting, [[0, 1, 2], [3, 4, 5]], resplit: false)
        #expect(split(merged(Array(fixedThenCounting[3...])), mergedHeader(Array(fixedThenCounting[3...])))?.packets
                == Array(fixedThenCounting[3...]))
    }

    @Test func differentAckOrWindowBreaks() {
        let ack = tcpSegments { i, _, tcp in if i >= 3 { tcp.ack &+= 1 } }
        expectGroups(GROHarness().run(ack), ack, [[0, 1, 2], [3, 4, 5]])
        let window = tcpSegments { i, _, tcp in if i >= 3 { tcp.window = 502 } }
        expectGroups(GROHarness().run(window), window, [[0, 1, 2], [3, 4, 5]])
    }

    @Test func shorterSegmentEndsTheSuperPacket() {
        let segments = tcpSegments(sizes: [1000, 1000, 500, 1000, 1000])
        expectGroups(GROHarness().run(segments), segments, [[0, 1, 2], [3, 4]])
        // A longer one cannot follow either.
        let longer = tcpSegments(sizes: [1000, 1000, 1200, 1200])
        expectGroups(GROHarness().run(longer), longer, [[0, 1], [2, 3]])
    }

    @Test func pureAckStaysInOrder() {
        let s = tcpSegments()
        var ipAck = IPSpec(id: 9)
        ipAck.ttl = 64
        let ack = tcpPacket(ipAck, TCPSpec(seq: be32(s[2], 24), flags: 0x10, options: TCPSpec.timestamps), payload: [])
        let inputs = [s[0], s[1], ack, s[2], s[3]]
        expectGroups(GROHarness().run(inputs), inputs, [[0, 1], [2], [3, 4]])
    }

    @Test func badChecksumGoesOutAloneInOrder() {
        var middle = tcpSegments()
        middle[2][60] ^= 0x01
        expectGroups(GROHarness().run(middle), middle, [[0, 1], [2], [3, 4, 5]])
        var first = tcpSegments()
        first[0][60] ^= 0x01
        expectGroups(GROHarness().run(first), first, [[0], [1, 2, 3, 4, 5]])
        var header = tcpSegments()
        header[1][8] ^= 0x01   // TTL changed after the IPv4 header checksum
        header[0][8] ^= 0x01   // (the TTL match alone would not catch it)
        fixIPv4Checksum(&header[0])
        expectGroups(GROHarness().run(header), header, [[0], [1], [2, 3, 4, 5]])
    }

    @Test func interleavedFlowsKeepFirstArrivalOrder() {
        let a = tcpSegments()
        let b = tcpSegments { _, _, tcp in tcp.sport = 40001 }
        let c = tcpSegments(v6: true)
        let inputs = [a[0], b[0], c[0], a[1], b[1], c[1], a[2], c[2]]
        expectGroups(GROHarness().run(inputs), inputs, [[0, 3, 6], [1, 4], [2, 5, 7]])
    }

    @Test func fragmentBetweenTheSameAddressesCloses() {
        let s = tcpSegments()
        var fragment = udpPacket(payload: patternPayload(64))
        fragment[6] = 0x20   // MF
        fixIPv4Checksum(&fragment)
        var other = fragment
        other[19] = 9        // another destination: closes nothing
        fixIPv4Checksum(&other)
        var truncated = Array(s[0][0..<30])   // a TCP header cut short: its ports cannot be trusted
        put16(&truncated, 2, 30)
        fixIPv4Checksum(&truncated)
        let inputs = [s[0], s[1], other, s[2], fragment, s[3], s[4], truncated, s[5]]
        expectGroups(GROHarness().run(inputs), inputs, [[0, 1, 3], [2], [4], [5, 6], [7], [8]])
    }

    @Test func hiddenTransportHeaderClosesIPv6FlowsBetweenTheSameAddresses() {
        let s = tcpSegments(v6: true)
        // A hop-by-hop options header hides the transport; ICMPv6 does not.
        let hopByHop = ipPacket(IPSpec(v6: true), proto: 0, transport: [6, 0, 1, 4, 0, 0, 0, 0] + patternPayload(40))
        let icmp = ipPacket(IPSpec(v6: true), proto: 58, transport: [128, 0, 0, 0, 0, 1, 0, 1])
        var truncated = s[0]   // a TCP header cut short: its ports cannot be trusted either
        truncated = Array(truncated[0..<50])
        put16(&truncated, 4, 10)
        let inputs = [s[0], s[1], icmp, s[2], hopByHop, s[3], s[4], truncated, s[5]]
        expectGroups(GROHarness().run(inputs), inputs, [[0, 1, 3], [2], [4], [5, 6], [7], [8]])
    }

    @Test func flowSlotsExhaustedGoOutAlone() {
        let a = tcpSegments()
        let b = tcpSegments { _, _, tcp in tcp.sport = 40001 }
        let inputs = [a[0], b[0], a[1], b[1], a[2]]
        expectGroups(GROHarness(maxFlows: 1).run(inputs), inputs, [[0, 2, 4], [1], [3]])
        expectGroups(GROHarness(maxFlows: 0).run(Array(a[0..<2])), a, [[0], [1]])
    }

    @Test func atMost64Segments() {
        let segments = tcpSegments(sizes: Array(repeating: 100, count: 70), pshLast: false)
        expectGroups(GROHarness().run(segments), segments, [Array(0..<64), Array(64..<70)])
    }

    @Test(arguments: [false, true])
    func atMost65535Bytes(v6: Bool) {
        // 46 × 1400 + headers fits in 65535 bytes, 47 does not.
        let segments = tcpSegments(v6: v6, sizes: Array(repeating: 1400, count: 50), pshLast: false)
        expectGroups(GROHarness().run(segments), segments, [Array(0..<46), Array(46..<50)])
    }

    @Test func atMostTheBufferCapacity() {
        // Room for the virtio-net header and 3000 bytes of packet: two 1052-byte segments fit, three do not.
        let segments = tcpSegments(pshLast: false)
        let harness = GROHarness(bufferCapacity: VirtioNetHeader.size + 3000)
        expectGroups(harness.run(segments), segments, [[0, 1], [2, 3], [4, 5]])
    }

    @Test func tableFullAsksForAFlush() {
        let harness = GROHarness(maxItems: 2)
        let a = tcpSegments()
        let b = tcpSegments { _, _, tcp in tcp.sport = 40001 }
        let c = tcpSegments { _, _, tcp in tcp.sport = 40002 }
        #expect(harness.add(a[0]))
        #expect(harness.add(b[0]))
        #expect(harness.add(a[1]), "joining an item needs no new write")
        #expect(!harness.add(c[0]))
        expectGroups(harness.flush(), a + b, [[0, 1], [6]])
        #expect(harness.add(c[0]))
        expectGroups(harness.flush(), c, [[0]])
    }

    @Test func tcpCoalescingCanBeOff() {
        let harness = GROHarness()
        harness.table.coalesceTCP = false
        let segments = tcpSegments()
        expectGroups(harness.run(segments), segments, [[0], [1], [2], [3], [4], [5]])
    }

    @Test func otherPacketsPassThrough() {
        var icmp = ipPacket(IPSpec(), proto: 1, transport: [8, 0, 0, 0, 0, 1, 0, 1])
        icmp[12] = 1
        let garbage: [UInt8] = [0x45, 0, 0]
        let inputs = [icmp, garbage, tcpSegments()[0]]
        expectGroups(GROHarness().run(inputs), inputs, [[0], [1], [2]])
    }
}
