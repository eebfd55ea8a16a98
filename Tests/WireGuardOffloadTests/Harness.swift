// SPDX-License-Identifier: MIT
// Drivers for Segmenter.split and GROTable over byte arrays.
import Testing
import WireGuardOffload

/// What `Segmenter.split` produced, copied out of the arena.
struct SplitOutput {
    var packets: [[UInt8]]
    var segments: [Segment]
    var arenaOffset: Int
    /// Arena bytes outside the segments that changed (should be none: headroom and tailroom are not written).
    var strayWrites: Int
}

extension SplitOutput: CustomStringConvertible {
    /// Short, so a failed expectation does not print whole packets.
    var description: String {
        "SplitOutput(\(packets.count) packets of \(packets.map(\.count)) bytes, arenaOffset \(arenaOffset))"
    }
}

/// Runs `Segmenter.split` on `packet` with an arena pre-filled with a sentinel byte.
/// Returns nil when split does, after checking that the arena and `arenaOffset` were left untouched.
func split(_ packet: [UInt8], _ header: VirtioNetHeader, capacity: Int = 200_000, startOffset: Int = 3,
           headroom: Int = 16, tailroom: Int = 32, maxSegments: Int = 64) -> SplitOutput? {
    let sentinel: UInt8 = 0xEE
    let arena = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
    defer { arena.deallocate() }
    arena.initializeMemory(as: UInt8.self, repeating: sentinel, count: max(capacity, 1))
    let segments = UnsafeMutablePointer<Segment>.allocate(capacity: max(maxSegments, 1))
    defer { segments.deallocate() }
    var offset = startOffset
    let count = packet.withUnsafeBytes { raw in
        Segmenter.split(packet: raw.baseAddress!, length: raw.count, header: header, into: arena,
                        arenaCapacity: capacity, arenaOffset: &offset, headroom: headroom, tailroom: tailroom,
                        segments: segments, maxSegments: maxSegments)
    }
    let bytes = Array(UnsafeRawBufferPointer(start: arena, count: capacity))
    guard let count else {
        #expect(offset == startOffset, "arenaOffset changed on failure")
        #expect(bytes.allSatisfy { $0 == sentinel }, "arena written on failure")
        return nil
    }
    var out = SplitOutput(packets: [], segments: [], arenaOffset: offset, strayWrites: 0)
    var covered = [Bool](repeating: false, count: capacity)
    for i in 0..<count {
        let s = segments[i]
        out.segments.append(s)
        out.packets.append(Array(bytes[s.offset..<s.offset + s.length]))
        for j in s.offset..<s.offset + s.length { covered[j] = true }
    }
    out.strayWrites = (0..<capacity).filter { !covered[$0] && bytes[$0] != sentinel }.count
    return out
}

/// Where split must place the segments of the given lengths, per its contract.
func expectedLayout(lengths: [Int], startOffset: Int = 3, headroom: Int = 16, tailroom: Int = 32) -> ([Segment], Int) {
    var offset = startOffset
    var result: [Segment] = []
    for n in lengths {
        let at = (offset + 15) / 16 * 16 + headroom
        result.append(Segment(offset: at, length: n))
        offset = at + n + tailroom
    }
    return (result, offset)
}

/// A virtio-net header for a TCP or UDP GSO packet as the kernel would write it.
func gsoHeader(_ packet: [UInt8], gsoSize: UInt16, ecn: Bool = false) -> VirtioNetHeader {
    let ipHL = Ref.ipHeaderLength(packet)
    let isTCP = Ref.proto(packet) == 6
    var type = isTCP ? (Ref.isV6(packet) ? VirtioNetHeader.gsoTCPv6 : VirtioNetHeader.gsoTCPv4) : VirtioNetHeader.gsoUDPL4
    if ecn { type |= VirtioNetHeader.gsoECN }
    // hdr_len as the kernel fills it (the linear part): deliberately not the header length.
    return VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: type, headerLength: 128,
                           gsoSize: gsoSize, checksumStart: UInt16(ipHL), checksumOffset: isTCP ? 16 : 6)
}

/// Replaces a packet's transport checksum with the folded pseudo-header sum, as CHECKSUM_PARTIAL leaves it.
func withPartialChecksum(_ packet: [UInt8]) -> [UInt8] {
    var p = packet
    let h = Ref.ipHeaderLength(p)
    let (s, d) = Ref.addresses(p)
    put16(&p, h + (Ref.proto(p) == 6 ? 16 : 6), Ref.pseudo(s, d, proto: Ref.proto(p), length: p.count - h))
    return p
}

/// Feeds byte-array packets to a GROTable and collects what flush writes.
final class GROHarness {
    let table: GROTable
    private var held: [(UnsafeMutableRawPointer, [UInt8])] = []

    init(coalesceUDP: Bool = false, maxFlows: Int = 16, maxItems: Int = 1024,
         bufferCapacity: Int = 65535 + VirtioNetHeader.size) {
        table = GROTable(maxFlows: maxFlows, bufferCapacity: bufferCapacity, maxItems: maxItems)
        table.coalesceUDP = coalesceUDP
    }

    deinit { for (p, _) in held { p.deallocate() } }

    /// Adds a copy of `packet` with `VirtioNetHeader.size` bytes of headroom in front of it.
    func add(_ packet: [UInt8]) -> Bool {
        let p = UnsafeMutableRawPointer.allocate(byteCount: VirtioNetHeader.size + packet.count, alignment: 16)
        packet.withUnsafeBytes { (p + VirtioNetHeader.size).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        held.append((p, packet))
        return table.add(p + VirtioNetHeader.size, length: packet.count)
    }

    /// Flushes, returning each write as (header, IP packet), and checks the added packets were not modified.
    func flush() -> [(VirtioNetHeader, [UInt8])] {
        var out: [(VirtioNetHeader, [UInt8])] = []
        table.flush { buffer in
            #expect(buffer.count >= VirtioNetHeader.size)
            out.append((VirtioNetHeader(from: buffer.baseAddress!), Array(buffer[VirtioNetHeader.size...])))
        }
        for (p, original) in held {
            let now = Array(UnsafeRawBufferPointer(start: p + VirtioNetHeader.size, count: original.count))
            #expect(now == original, "GROTable modified an added packet")
            p.deallocate()
        }
        held.removeAll()
        return out
    }

    /// Adds every packet (all must be accepted) and flushes.
    func run(_ packets: [[UInt8]]) -> [(VirtioNetHeader, [UInt8])] {
        for p in packets { #expect(add(p), "add refused") }
        return flush()
    }
}

let plainHeader = VirtioNetHeader()
