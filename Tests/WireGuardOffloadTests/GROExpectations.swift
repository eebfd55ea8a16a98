// SPDX-License-Identifier: MIT
// Independent expectations for GRO output: a super-packet built from its segments with the reference
// checksum, and a checker that a flush produced exactly the given groups, in order.
import Testing
import WireGuardOffload

/// The super-packet GRO must make of `segments`: the first packet's headers, all payloads in order, PSH if
/// the last had it, new IP/UDP lengths, a fresh IPv4 header checksum and the partial transport checksum.
func merged(_ segments: [[UInt8]]) -> [UInt8] {
    var p = segments[0]
    let h = Ref.ipHeaderLength(p)
    let isTCP = Ref.proto(p) == 6
    let thl = isTCP ? Int(p[h + 12] >> 4) * 4 : 8
    for s in segments.dropFirst() { p += s[(h + thl)...] }
    if isTCP && segments.last![h + 13] & 0x08 != 0 { p[h + 13] |= 0x08 }
    if Ref.isV6(p) {
        put16(&p, 4, UInt16(p.count - 40))
    } else {
        put16(&p, 2, UInt16(p.count))
        fixIPv4Checksum(&p)
    }
    if !isTCP { put16(&p, h + 4, UInt16(p.count - h)) }
    return withPartialChecksum(p)
}

/// The virtio-net header GRO must put before `merged(segments)`.
func mergedHeader(_ segments: [[UInt8]]) -> VirtioNetHeader {
    let p = segments[0]
    let h = Ref.ipHeaderLength(p)
    let isTCP = Ref.proto(p) == 6
    let thl = isTCP ? Int(p[h + 12] >> 4) * 4 : 8
    let type = isTCP ? (Ref.isV6(p) ? VirtioNetHeader.gsoTCPv6 : VirtioNetHeader.gsoTCPv4) : VirtioNetHeader.gsoUDPL4
    return VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: type, headerLength: UInt16(h + thl),
                           gsoSize: UInt16(p.count - h - thl), checksumStart: UInt16(h),
                           checksumOffset: isTCP ? 16 : 6)
}

/// Checks that `out` holds one write per group, in order: a lone input written as it is behind an all-zero
/// header, or the inputs of the group merged — and (if `resplit`) that splitting a merged write gives the
/// inputs back.
func expectGroups(_ out: [(VirtioNetHeader, [UInt8])], _ inputs: [[UInt8]], _ groups: [[Int]],
                  resplit: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(out.count == groups.count, "writes", sourceLocation: sourceLocation)
    for (i, group) in groups.enumerated() where i < out.count {
        let (header, packet) = out[i]
        if group.count == 1 {
            #expect(header == VirtioNetHeader(), "write \(i) header", sourceLocation: sourceLocation)
            #expect(packet == inputs[group[0]], "write \(i) bytes", sourceLocation: sourceLocation)
        } else {
            let segments = group.map { inputs[$0] }
            #expect(header == mergedHeader(segments), "write \(i) header", sourceLocation: sourceLocation)
            #expect(packet == merged(segments), "write \(i) bytes", sourceLocation: sourceLocation)
            if resplit {
                #expect(split(packet, header)?.packets == segments, "write \(i) re-splits",
                        sourceLocation: sourceLocation)
            }
        }
    }
}

/// Consecutive TCP segments of one flow (IDs and sequence numbers counting up, timestamps, PSH on the last),
/// with `modify` applied to segment i's fields before it is built.
func tcpSegments(v6: Bool = false, sizes: [Int] = [1000, 1000, 1000, 1000, 1000, 500], pshLast: Bool = true,
                 ipOptions: [UInt8] = [], modify: (Int, inout IPSpec, inout TCPSpec) -> Void = { _, _, _ in })
    -> [[UInt8]] {
    let payload = patternPayload(sizes.reduce(0, +))
    var result: [[UInt8]] = []
    var offset = 0
    for (i, size) in sizes.enumerated() {
        var ip = IPSpec(v6: v6, id: 0xFFFE &+ UInt16(i), ipOptions: ipOptions)
        var tcp = TCPSpec(seq: 0xFFFF_FC00 &+ UInt32(offset), flags: 0x10, options: TCPSpec.timestamps)
        if pshLast && i == sizes.count - 1 { tcp.flags |= 0x08 }
        modify(i, &ip, &tcp)
        result.append(tcpPacket(ip, tcp, payload: Array(payload[offset..<offset + size])))
        offset += size
    }
    return result
}

/// Consecutive UDP datagrams of one flow.
func udpSegments(v6: Bool = false, sizes: [Int], sport: UInt16 = 5000,
                 modify: (Int, inout IPSpec) -> Void = { _, _ in }) -> [[UInt8]] {
    var result: [[UInt8]] = []
    for (i, size) in sizes.enumerated() {
        var ip = IPSpec(v6: v6, id: 100 &+ UInt16(i))
        modify(i, &ip)
        result.append(udpPacket(ip, sport: sport, payload: patternPayload(size, salt: UInt8(i))))
    }
    return result
}
