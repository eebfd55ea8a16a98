// SPDX-License-Identifier: MIT
// One flow's super-packet under construction in a GROTable, and the rules for appending to it.
//
// The rules follow the kernel's GRO (inet_gro_receive / ipv6_gro_receive, tcp_gro_receive,
// udp_gro_receive_segment): a super-packet must re-segment (tcp_gso_segment / __udp_gso_segment, or our
// own Segmenter) into exactly the packets that went in, so every header field the segmenter copies from the
// first segment must already be equal in all of them, and every field it derives (lengths, sequence numbers,
// IPv4 IDs, checksums, FIN/PSH on the last segment) must follow the pattern it derives.

/// A flow's identity: IP version, transport protocol, both addresses and both ports.
struct GROFlowKey: Equatable {
    var a0: UInt64 = 0
    var a1: UInt64 = 0
    var a2: UInt64 = 0
    var a3: UInt64 = 0
    var ports: UInt32 = 0
    /// IP version << 8 | transport protocol.
    var tag: UInt16 = 0

    init() {}

    /// The key's address part (ports and protocol zero), read from the packet's IP header.
    @inline(__always)
    init(addressesOf p: UnsafeRawPointer, _ ip: IPHeaderInfo) {
        if ip.isIPv6 {
            a0 = p.raw64(Layout.ipv6Source)
            a1 = p.raw64(Layout.ipv6Source + 8)
            a2 = p.raw64(Layout.ipv6Source + 16)
            a3 = p.raw64(Layout.ipv6Source + 24)
            tag = UInt16(Layout.ipv6Version) << 8
        } else {
            a0 = p.raw64(Layout.ipv4Source)
            tag = UInt16(Layout.ipv4Version) << 8
        }
    }

    /// Whether both keys have the same IP version and addresses, whatever their protocols and ports.
    @inline(__always)
    func sameAddresses(_ other: GROFlowKey) -> Bool {
        a0 == other.a0 && a1 == other.a1 && a2 == other.a2 && a3 == other.a3 && tag >> 8 == other.tag >> 8
    }
}

/// The outcome of offering a packet to a flow.
enum GROAppendResult {
    case appended
    /// The packet does not continue this super-packet; the flow's item must be closed.
    case mismatch
    /// The packet's own checksum is wrong: it must go out alone, for the kernel to drop.
    case invalid
}

/// A flow slot: the open (or closed but merged) super-packet of one flow.
struct GROFlow {
    /// The most segments one super-packet holds (the kernel's UDP_GRO_CNT_MAX; for TCP a batch limit).
    static let maxSegments = 64

    /// Where this slot's buffer holds the IP packet; the virtio-net header goes right before it.
    let storage: UnsafeMutableRawPointer
    var key = GROFlowKey()
    /// Index of the table item this flow feeds.
    var item = 0
    /// The super-packet as it is now: the caller's first packet until a second one joins, then `storage`.
    var head: UnsafeMutableRawPointer
    var length = 0
    var segments = 0
    /// The first segment's payload length: every later one must match it, except a shorter last one.
    var gsoSize = 0
    var transportHeaderLength = 0
    var isTCP = true
    var isIPv6 = false
    var nextSequence: UInt32 = 0
    var lastID: UInt16 = 0
    /// IPv4: the flow keeps one ID (DF set) rather than counting up.
    var fixedID = false
    /// Nothing more may be appended (PSH seen, a short segment seen, or full).
    var closed = false

    init(storage: UnsafeMutableRawPointer) {
        self.storage = storage
        self.head = storage
    }

    var ipHeaderLength: Int { isIPv6 ? Layout.ipv6HeaderLength : Layout.ipv4MinHeaderLength }

    /// Starts the flow with its first packet, which stays in the caller's memory.
    @inline(__always)
    mutating func start(_ packet: UnsafeMutableRawPointer, length: Int, key: GROFlowKey, item: Int, isTCP: Bool,
                        isIPv6: Bool, transportHeaderLength: Int, payloadLength: Int) {
        self.key = key
        self.item = item
        self.head = packet
        self.length = length
        self.segments = 1
        self.gsoSize = payloadLength
        self.transportHeaderLength = transportHeaderLength
        self.isTCP = isTCP
        self.isIPv6 = isIPv6
        self.closed = false
        self.fixedID = false
        let p = UnsafeRawPointer(packet)
        if isTCP { nextSequence = p.be32(ipHeaderLength + Layout.tcpSequence) &+ UInt32(payloadLength) }
        if !isIPv6 { lastID = p.be16(Layout.ipv4Identification) }
    }

    /// Appends `p` if it continues the super-packet under the coalescing rules and its checksums verify.
    /// `p` already passed the table's per-packet candidate checks (see `GROTable`); `maxLength` is the
    /// largest IP packet the flow may grow to.
    @inline(__always)
    mutating func append(_ p: UnsafeRawPointer, length: Int, transportHeaderLength: Int, payloadLength: Int,
                         maxLength: Int) -> GROAppendResult {
        // Equal header lengths, a payload no larger than the first (a larger one would be cut differently on
        // re-segmentation), and room left.
        guard !closed, transportHeaderLength == self.transportHeaderLength, payloadLength <= gsoSize,
              self.length + payloadLength <= maxLength else { return .mismatch }
        let h = UnsafeRawPointer(head)
        // IP fields the segmenter copies from the first segment must be equal: TOS / traffic class (ECN
        // marks included, or a CE mark would be lost or spread), TTL / hop limit, DF, and the IPv6 flow
        // label.
        var fixed = false
        if isIPv6 {
            guard p.raw32(0) == h.raw32(0), p.u8(Layout.ipv6HopLimit) == h.u8(Layout.ipv6HopLimit) else {
                return .mismatch
            }
        } else {
            guard p.u8(Layout.ipv4TOS) == h.u8(Layout.ipv4TOS), p.u8(Layout.ipv4TTL) == h.u8(Layout.ipv4TTL),
                  p.u8(Layout.ipv4FlagsFragment) & Layout.ipv4FlagBitsMask
                    == h.u8(Layout.ipv4FlagsFragment) & Layout.ipv4FlagBitsMask else { return .mismatch }
            // IPv4 IDs must count up by one, which is what re-segmentation writes. As in the kernel
            // (inet_gro_flush), a DF flow may instead keep one fixed ID, decided at the second packet: such
            // datagrams are never fragmented, so their ID means nothing (RFC 6864) and re-segmentation
            // numbering them is harmless; senders that use ID 0 with DF (FreeBSD, unconnected UDP sockets on
            // Linux) would otherwise never coalesce.
            let id = p.be16(Layout.ipv4Identification)
            if id == lastID &+ 1 && !fixedID {
                fixed = false
            } else if id == lastID && (fixedID || segments == 1)
                        && p.u8(Layout.ipv4FlagsFragment) & Layout.ipv4DontFragment != 0 {
                fixed = true
            } else {
                return .mismatch
            }
        }
        let t = ipHeaderLength
        if isTCP {
            // As tcp_gro_receive: the next byte in sequence (no gap, no overlap), the same ACK number, the same
            // data offset/reserved bits, flags (PSH aside: it may end the super-packet) and window (the kernel
            // compares the whole 32-bit word holding them), and byte-identical options.
            let flags = p.u8(t + Layout.tcpFlags)
            guard p.be32(t + Layout.tcpSequence) == nextSequence,
                  p.raw32(t + Layout.tcpAcknowledgment) == h.raw32(t + Layout.tcpAcknowledgment),
                  p.u8(t + Layout.tcpDataOffset) == h.u8(t + Layout.tcpDataOffset),
                  flags & ~Layout.tcpFlagPSH == h.u8(t + Layout.tcpFlags),
                  p.be16(t + Layout.tcpWindow) == h.be16(t + Layout.tcpWindow) else { return .mismatch }
            var i = Layout.tcpMinHeaderLength
            while i < transportHeaderLength {
                guard p.raw32(t + i) == h.raw32(t + i) else { return .mismatch }
                i &+= 4
            }
        }
        // The kernel verifies every segment's checksums before merging; once merged, the super-packet is
        // marked CHECKSUM_PARTIAL and nobody checks again, so a corrupt segment must not get in.
        guard GROFlow.checksumsValid(p, length: length, isIPv6: isIPv6, ipHeaderLength: t) else { return .invalid }
        if segments == 1 {
            // The first packet is checked and copied only now that a second one joins it.
            guard GROFlow.checksumsValid(h, length: self.length, isIPv6: isIPv6, ipHeaderLength: t) else {
                return .mismatch
            }
            storage.copyMemory(from: h, byteCount: self.length)
            head = storage
        }
        (storage + self.length).copyMemory(from: p + t + transportHeaderLength, byteCount: payloadLength)
        self.length += payloadLength
        segments += 1
        if !isIPv6 {
            lastID = p.be16(Layout.ipv4Identification)
            fixedID = fixed
        }
        if isTCP {
            nextSequence = nextSequence &+ UInt32(payloadLength)
            if p.u8(t + Layout.tcpFlags) & Layout.tcpFlagPSH != 0 {
                storage.setU8(t + Layout.tcpFlags, storage.u8(t + Layout.tcpFlags) | Layout.tcpFlagPSH)
                closed = true
            }
        }
        // A shorter segment can only be the last: re-segmentation cuts gsoSize chunks.
        if payloadLength < gsoSize || segments == GROFlow.maxSegments { closed = true }
        return .appended
    }

    /// Whether the IPv4 header checksum (if any) and the TCP/UDP checksum of a packet verify.
    @inline(__always)
    static func checksumsValid(_ p: UnsafeRawPointer, length: Int, isIPv6: Bool, ipHeaderLength: Int) -> Bool {
        if !isIPv6 && !Checksum.isValid(Checksum.sum(p, count: ipHeaderLength)) { return false }
        let source = isIPv6 ? Layout.ipv6Source : Layout.ipv4Source
        let addressLength = isIPv6 ? Layout.ipv6AddressLength : Layout.ipv4AddressLength
        let pseudo = Checksum.pseudoHeaderSum(source: p + source, destination: p + source + addressLength,
                                              addressLength: addressLength,
                                              protocol: p.u8(isIPv6 ? Layout.ipv6NextHeader : Layout.ipv4Protocol),
                                              length: length - ipHeaderLength)
        return Checksum.isValid(Checksum.sum(p + ipHeaderLength, count: length - ipHeaderLength, initial: pseudo))
    }

    /// Turns the merged super-packet in `storage` into what a TUN write with a virtio-net header expects
    /// and returns it, header included: IP lengths (and IPv4 header checksum) for the new size, UDP length,
    /// and the transport checksum field holding the folded, uncomplemented pseudo-header sum over the new
    /// transport length, which is what the kernel expects of CHECKSUM_PARTIAL (NEEDS_CSUM).
    @inline(__always)
    func finish() -> UnsafeRawBufferPointer {
        let p = storage
        let t = ipHeaderLength
        let transportLength = length - t
        let source: Int, addressLength: Int
        if isIPv6 {
            p.setBE16(Layout.ipv6PayloadLength, UInt16(transportLength))
            (source, addressLength) = (Layout.ipv6Source, Layout.ipv6AddressLength)
        } else {
            p.setBE16(Layout.ipv4TotalLength, UInt16(length))
            Checksum.finishIPv4Header(p, headerLength: t)
            (source, addressLength) = (Layout.ipv4Source, Layout.ipv4AddressLength)
        }
        if !isTCP { p.setBE16(t + Layout.udpLength, UInt16(transportLength)) }
        let pseudo = Checksum.pseudoHeaderSum(source: p + source, destination: p + source + addressLength,
                                              addressLength: addressLength,
                                              protocol: isTCP ? Layout.protocolTCP : Layout.protocolUDP,
                                              length: transportLength)
        let checksumOffset = isTCP ? Layout.tcpChecksum : Layout.udpChecksum
        p.setBE16(t + checksumOffset, Checksum.fold(pseudo))
        let gsoType = isTCP ? (isIPv6 ? VirtioNetHeader.gsoTCPv6 : VirtioNetHeader.gsoTCPv4) : VirtioNetHeader.gsoUDPL4
        let header = VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: gsoType,
                                     headerLength: UInt16(t + transportHeaderLength), gsoSize: UInt16(gsoSize),
                                     checksumStart: UInt16(t), checksumOffset: UInt16(checksumOffset))
        let start = p - VirtioNetHeader.size
        header.write(to: start)
        return UnsafeRawBufferPointer(start: start, count: VirtioNetHeader.size + length)
    }
}
