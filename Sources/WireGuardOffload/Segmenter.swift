// SPDX-License-Identifier: MIT
// TSO/USO in userspace: a TUN with IFF_VNET_HDR and TUNSETOFFLOAD (TSO4/TSO6/USO4/USO6) hands us TCP and
// UDP "super-packets" of up to 64 KiB plus a virtio-net header describing how to cut them; this file cuts
// them into wire-sized IP packets, the way the kernel's tcp_gso_segment / __udp_gso_segment would, and
// completes checksums the kernel left partial (CHECKSUM_PARTIAL).

/// One IP packet written into an arena by `Segmenter.split`: `length` bytes at `offset` from the arena's base.
public struct Segment: Equatable, Sendable {
    public var offset: Int
    public var length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }
}

/// Splits a packet read from a TUN with a virtio-net header into the IP packets it stands for.
public enum Segmenter {
    /// Every segment's headroom starts at an arena offset that is a multiple of this.
    public static let alignment = 16

    /// Splits the IP packet `packet` (`length` bytes, IPv4 or IPv6, as a TUN read returns it after the
    /// virtio-net header `header`) into IP packets written into `arena`.
    ///
    /// For each segment, in order: `arenaOffset` is rounded up to a multiple of `alignment`, `headroom` bytes
    /// are left, the packet is written (its arena offset and length go to `segments[i]`), and `tailroom` bytes
    /// are left; on success `arenaOffset` ends after the last segment's tailroom. Headroom and tailroom bytes
    /// are not written. Offsets are relative to `arena`: give it a 16-byte-aligned base for the headroom to
    /// be 16-byte aligned in memory.
    ///
    /// - gsoType NONE: one segment, a copy. With NEEDS_CSUM the checksum field at
    ///   checksumStart + checksumOffset, which holds the pseudo-header partial sum, is completed over the bytes
    ///   from checksumStart to the end (a zero result is stored as 0xFFFF, as the kernel does).
    /// - TCPV4 / TCPV6 (ECN bit allowed): the TCP payload is cut into gsoSize chunks (the last may be shorter);
    ///   each segment gets a copy of the IP and TCP headers with the sequence number advanced, FIN and PSH kept
    ///   only on the last segment and CWR only on the first, IPv4 total length, identification (+ segment
    ///   index) and header checksum, or IPv6 payload length, set, and a full TCP checksum.
    /// - UDP_L4: the UDP payload is cut likewise; each segment gets the IP header, a UDP header with its own
    ///   length and a full checksum, and the IP fields as for TCP.
    ///
    /// A GSO packet whose payload fits one gsoSize (or is empty) gives one segment with its checksums computed.
    /// The header's `headerLength` is ignored (the kernel fills it with the length of the skb's linear part,
    /// which on a forwarding path can be the whole first segment); header lengths come from the packet.
    ///
    /// - Returns: the number of segments, or nil with `arenaOffset` unchanged and nothing written when the
    ///   packet is malformed (truncated or inconsistent lengths, an IPv4 fragment, an unknown or unsupported
    ///   gso type, gsoSize 0, neither IPv4 nor IPv6, an IPv6 extension header, a transport protocol that does
    ///   not match the gso type, checksumStart/checksumOffset that do not point at the transport checksum),
    ///   needs more than `maxSegments` segments, or does not fit in `arenaCapacity` bytes.
    public static func split(packet: UnsafeRawPointer, length: Int, header: VirtioNetHeader,
                             into arena: UnsafeMutableRawPointer, arenaCapacity: Int, arenaOffset: inout Int,
                             headroom: Int, tailroom: Int,
                             segments: UnsafeMutablePointer<Segment>, maxSegments: Int) -> Int? {
        guard length > 0, headroom >= 0, tailroom >= 0, arenaOffset >= 0 else { return nil }
        let ecn = header.gsoType & VirtioNetHeader.gsoECN != 0
        let gsoType = header.gsoType & ~VirtioNetHeader.gsoECN
        let needsChecksum = header.flags & VirtioNetHeader.flagNeedsChecksum != 0
        let placement = Placement(capacity: arenaCapacity, headroom: headroom, tailroom: tailroom)

        if gsoType == VirtioNetHeader.gsoNone {
            guard !ecn, maxSegments >= 1, hasIPHeader(packet, length: length) else { return nil }
            var field = 0
            if needsChecksum {
                field = Int(header.checksumStart) + Int(header.checksumOffset)
                guard field + MemoryLayout<UInt16>.size <= length else { return nil }
            }
            var offset = arenaOffset
            guard let at = placement.place(&offset, length: length) else { return nil }
            let out = arena + at
            out.copyMemory(from: packet, byteCount: length)
            if needsChecksum {
                // The field already holds the pseudo-header sum, so summing from checksumStart to the end
                // over it yields the complete checksum (CHECKSUM_PARTIAL semantics).
                let start = Int(header.checksumStart)
                var value = Checksum.finish(Checksum.sum(out + start, count: length - start))
                if value == 0 { value = Layout.udpZeroChecksum }
                out.setBE16(field, value)
            }
            segments[0] = Segment(offset: at, length: length)
            arenaOffset = offset
            return 1
        }

        let isTCP: Bool
        switch gsoType {
        case VirtioNetHeader.gsoTCPv4, VirtioNetHeader.gsoTCPv6: isTCP = true
        case VirtioNetHeader.gsoUDPL4 where !ecn: isTCP = false
        default: return nil
        }
        guard let ip = IPHeaderInfo(packet, length: length), !ip.isFragment else { return nil }
        if isTCP {
            guard ip.isIPv6 == (gsoType == VirtioNetHeader.gsoTCPv6), ip.transport == Layout.protocolTCP else {
                return nil
            }
        } else {
            guard ip.transport == Layout.protocolUDP else { return nil }
        }
        let transportHeaderLength: Int
        let checksumField: Int
        if isTCP {
            guard length >= ip.headerLength + Layout.tcpMinHeaderLength else { return nil }
            transportHeaderLength = Int(packet.u8(ip.headerLength + Layout.tcpDataOffset) >> 4) * 4
            guard transportHeaderLength >= Layout.tcpMinHeaderLength,
                  ip.headerLength + transportHeaderLength <= length else { return nil }
            checksumField = Layout.tcpChecksum
        } else {
            transportHeaderLength = Layout.udpHeaderLength
            guard ip.headerLength + transportHeaderLength <= length else { return nil }
            checksumField = Layout.udpChecksum
        }
        // When the kernel marks the checksum partial, it must be the transport checksum we are about to
        // recompute; anything else means the header and the packet disagree.
        if needsChecksum {
            guard Int(header.checksumStart) == ip.headerLength, Int(header.checksumOffset) == checksumField else {
                return nil
            }
        }
        let gsoSize = Int(header.gsoSize)
        guard gsoSize > 0 else { return nil }
        let headersLength = ip.headerLength + transportHeaderLength
        let payloadLength = length - headersLength
        let count = payloadLength == 0 ? 1 : (payloadLength + gsoSize - 1) / gsoSize
        guard count <= maxSegments else { return nil }

        // Check the whole layout first so that a packet that does not fit leaves the arena untouched.
        var offset = arenaOffset
        for i in 0..<count {
            let chunk = min(gsoSize, payloadLength - i * gsoSize)
            guard placement.place(&offset, length: headersLength + chunk) != nil else { return nil }
        }
        offset = arenaOffset

        let addressSum = Checksum.pseudoHeaderSum(source: packet + ip.sourceOffset,
                                                  destination: packet + ip.sourceOffset + ip.addressLength,
                                                  addressLength: ip.addressLength, protocol: ip.transport, length: 0)
        let firstID = ip.isIPv6 ? 0 : packet.be16(Layout.ipv4Identification)
        let firstSequence = isTCP ? packet.be32(ip.headerLength + Layout.tcpSequence) : 0
        let originalFlags = isTCP ? packet.u8(ip.headerLength + Layout.tcpFlags) : 0
        for i in 0..<count {
            let chunkStart = i * gsoSize
            let chunk = min(gsoSize, payloadLength - chunkStart)
            let segmentLength = headersLength + chunk
            let at = placement.place(&offset, length: segmentLength)!
            let out = arena + at
            out.copyMemory(from: packet, byteCount: headersLength)
            (out + headersLength).copyMemory(from: packet + headersLength + chunkStart, byteCount: chunk)
            if ip.isIPv6 {
                out.setBE16(Layout.ipv6PayloadLength, UInt16(segmentLength - Layout.ipv6HeaderLength))
            } else {
                out.setBE16(Layout.ipv4TotalLength, UInt16(segmentLength))
                out.setBE16(Layout.ipv4Identification, firstID &+ UInt16(truncatingIfNeeded: i))
                Checksum.finishIPv4Header(out, headerLength: ip.headerLength)
            }
            let transport = out + ip.headerLength
            let transportLength = transportHeaderLength + chunk
            if isTCP {
                transport.setBE32(Layout.tcpSequence, firstSequence &+ UInt32(truncatingIfNeeded: chunkStart))
                var flags = originalFlags
                // FIN and PSH describe the end of the data, CWR the start of the window reduction
                // (RFC 3168): each belongs to exactly one segment.
                if i != count - 1 { flags &= ~(Layout.tcpFlagFIN | Layout.tcpFlagPSH) }
                if i != 0 { flags &= ~Layout.tcpFlagCWR }
                transport.setU8(Layout.tcpFlags, flags)
            } else {
                transport.setBE16(Layout.udpLength, UInt16(transportLength))
            }
            Checksum.finishTransport(transport, length: transportLength, checksumOffset: checksumField,
                                     pseudoHeader: Checksum.combine(addressSum, UInt64(transportLength)),
                                     isUDP: !isTCP)
            segments[i] = Segment(offset: at, length: segmentLength)
        }
        arenaOffset = offset
        return count
    }

    /// Whether `packet` starts with at least a minimal IPv4 or IPv6 header.
    @inline(__always)
    static func hasIPHeader(_ packet: UnsafeRawPointer, length: Int) -> Bool {
        switch packet.u8(0) >> 4 {
        case Layout.ipv4Version: return length >= Layout.ipv4MinHeaderLength
        case Layout.ipv6Version: return length >= Layout.ipv6HeaderLength
        default: return false
        }
    }
}

/// Where segments go in the arena: aligned start, headroom, packet, tailroom.
struct Placement {
    let capacity: Int
    let headroom: Int
    let tailroom: Int

    /// Returns the packet's arena offset and advances `offset` past its tailroom, or nil if it does not fit.
    @inline(__always)
    func place(_ offset: inout Int, length: Int) -> Int? {
        let at = alignUp(offset, Segmenter.alignment) + headroom
        let end = at + length + tailroom
        guard end <= capacity else { return nil }
        offset = end
        return at
    }
}
