// SPDX-License-Identifier: MIT
// GRO in userspace: decrypted inbound packets are coalesced into TCP/UDP super-packets before a TUN write
// with a virtio-net header, so the kernel's stack handles one 64 KiB packet instead of forty-odd small ones.
//
// Which packets may coalesce (each rule mirrors the kernel's GRO; see GROFlow for the per-field checks):
//  - TCP (when coalesceTCP) and UDP (only when coalesceUDP, i.e. the TUN has USO): same IP version,
//    addresses, protocol and ports.
//  - IPv4 without options (IHL 5) and not a fragment; IPv6 with TCP/UDP as the next header directly.
//    The kernel's GRO refuses the same; options would have to be equal and be replicated per segment.
//  - TCP: ACK set, and none of SYN, RST, URG, FIN or CWR — those carry connection-state changes the
//    receiver must see as sent. PSH may end a super-packet (it is appended, then nothing more is); a PSH
//    packet never starts one, since nothing could follow it. CWR is emitted alone and the next packet
//    starts afresh: the kernel instead lets a CWR packet head a super-packet marked GSO_ECN, but CWR is rare
//    (once per congestion event) and emitting it alone keeps the write path free of ECN GSO semantics.
//  - A packet without payload (a pure ACK) never coalesces: it has nothing to add.
//  - Against the super-packet: same TOS / traffic class (ECN bits included), TTL / hop limit, DF and IPv6
//    flow label; IPv4 IDs counting up by one (or, with DF, one fixed ID, as the kernel allows). TCP: the
//    exact next sequence number (no gap, no overlap), the same ACK number and window (tcp_gro_receive
//    flushes on either: the window shares a 32-bit word with the flags it compares), the same header
//    length and byte-identical options, the same flags (PSH aside).
//  - Every segment's payload equals the first's (the GSO size) except a shorter last one; nothing follows
//    a shorter one, and nothing follows PSH.
//  - UDP: the UDP length must equal the packet's, and the checksum must not be zero (as
//    udp_gro_receive_segment: re-segmentation always computes checksums, and a zero one cannot be verified).
//  - At most 64 segments, at most 65535 bytes of IPv4 total length or IPv6 payload, and what the buffer holds.
//  - Checksums (IPv4 header, TCP/UDP) of every packet in a super-packet are verified, as GRO does: the
//    super-packet goes up as CHECKSUM_PARTIAL and is never checked again. A packet that fails is written
//    alone, unchanged, for the kernel to drop.
//
// Order: packets of one flow never overtake each other. A flow has at most one open item, always its
// latest, and a packet of that flow that cannot join it closes it (so later packets cannot join an item
// that precedes it). A packet whose transport header we cannot see (an IPv4 fragment, an IPv6 packet with
// extension headers, a truncated header) closes every open item between the same two addresses, since it
// may belong to any of their flows. Different flows may be reordered relative to one another, as in GRO.
//
// Memory: everything is allocated in init. A flow's first packet is not copied: it stays in the caller's
// memory (the caller keeps it valid until flush) and is copied into the flow's buffer only when a second
// packet joins, so lone packets cost no copy. A packet that goes out alone is written from the caller's
// memory, with the virtio-net header stored in the VirtioNetHeader.size bytes in front of it.

/// Coalesces IP packets into GRO super-packets for a TUN opened with IFF_VNET_HDR and TCP/UDP offloads.
/// Not thread-safe: one table per receive thread.
public final class GROTable {
    /// Whether TCP packets coalesce (set to true only if the TUN accepts TSO super-packets). Default true.
    public var coalesceTCP = true
    /// Whether UDP packets coalesce (set to true only if the TUN has USO, TUN_F_USO4/6). Default false.
    public var coalesceUDP = false

    /// The most flows that can have a super-packet under construction between two flushes.
    public let maxFlows: Int
    /// Bytes of one flow's buffer: virtio-net header plus IP packet.
    public let bufferCapacity: Int
    /// The most TUN writes (items) one flush makes.
    public let maxItems: Int

    /// What one flush writes: the caller's packet, or a flow's super-packet.
    private struct Item {
        var packet: UnsafeMutableRawPointer
        var length: Int
        /// The flow slot holding this item's super-packet, or -1 for a packet written as it is.
        var flow: Int
    }

    /// Room the flow's buffer leaves before the virtio-net header so the IP packet is 16-byte aligned.
    private static let bufferLead = Segmenter.alignment - VirtioNetHeader.size

    private let items: UnsafeMutablePointer<Item>
    private var itemCount = 0
    private let flows: UnsafeMutablePointer<GROFlow>
    /// Indices of the flows with an open item.
    private let open: UnsafeMutablePointer<Int>
    private var openCount = 0
    /// Stack of indices of unused flow slots.
    private let free: UnsafeMutablePointer<Int>
    private var freeCount = 0
    private let storage: UnsafeMutableRawPointer
    private let maxIPv4Length: Int
    private let maxIPv6Length: Int
    private var flushing = false

    /// Allocates everything the table will ever use: `maxFlows` buffers of `bufferCapacity` bytes and room
    /// for `maxItems` items.
    public init(maxFlows: Int = 16, bufferCapacity: Int = 65535 + VirtioNetHeader.size, maxItems: Int = 1024) {
        precondition(maxFlows >= 0 && maxItems >= 1 && bufferCapacity > VirtioNetHeader.size)
        self.maxFlows = maxFlows
        self.bufferCapacity = bufferCapacity
        self.maxItems = maxItems
        let packetCapacity = bufferCapacity - VirtioNetHeader.size
        maxIPv4Length = min(packetCapacity, Layout.ipv4MaxTotalLength)
        maxIPv6Length = min(packetCapacity, Layout.ipv6HeaderLength + Layout.ipv6MaxPayloadLength)
        let stride = alignUp(GROTable.bufferLead + bufferCapacity, 64)
        storage = .allocate(byteCount: max(1, maxFlows * stride), alignment: 64)
        items = .allocate(capacity: maxItems)
        flows = .allocate(capacity: max(1, maxFlows))
        open = .allocate(capacity: max(1, maxFlows))
        free = .allocate(capacity: max(1, maxFlows))
        for i in 0..<maxFlows {
            (flows + i).initialize(to: GROFlow(storage: storage + i * stride + Segmenter.alignment))
        }
        resetFlows()
    }

    deinit {
        flows.deinitialize(count: maxFlows)
        flows.deallocate()
        open.deallocate()
        free.deallocate()
        items.deallocate()
        storage.deallocate()
    }

    /// Adds one IP packet (IPv4 or IPv6, `length` bytes, trimmed to its IP length).
    ///
    /// The packet must stay valid and unmodified until the next `flush`, and the `VirtioNetHeader.size`
    /// bytes right before it must be writable (the table may store a header there to write the packet as it
    /// is). A packet that is not a coalescing candidate, or is malformed, is written alone, in order.
    ///
    /// - Returns: false, having added nothing, when the packet would need a new TUN write but `maxItems`
    ///   are already pending: call `flush` and add it again (which then succeeds). True otherwise. (A refused
    ///   packet may still have closed its flow's super-packet; that only means nothing more joins it.)
    public func add(_ packet: UnsafeMutableRawPointer, length: Int) -> Bool {
        precondition(!flushing, "GROTable.add called from inside flush")
        let p = UnsafeRawPointer(packet)
        guard let ip = IPHeaderInfo(p, length: length) else { return addAlone(packet, length: length) }
        var key = GROFlowKey(addressesOf: p, ip)
        let isTCP = ip.transport == Layout.protocolTCP
        let isUDP = ip.transport == Layout.protocolUDP
        let t = ip.headerLength
        // The transport header length, or 0 when the transport header is not there to read.
        var transportHeaderLength = 0
        if ip.isFragment {
            // Only the first fragment has the transport header, and even that one cannot coalesce.
        } else if isTCP {
            if length >= t + Layout.tcpMinHeaderLength {
                let declared = Int(p.u8(t + Layout.tcpDataOffset) >> 4) * 4
                if declared >= Layout.tcpMinHeaderLength && t + declared <= length { transportHeaderLength = declared }
            }
        } else if isUDP && t + Layout.udpHeaderLength <= length {
            transportHeaderLength = Layout.udpHeaderLength
        }
        guard transportHeaderLength > 0 else {
            // The transport header is hidden or broken: this packet may belong to any flow between the two
            // addresses. ICMP, ICMPv6 and other IPv4 protocols are flows of their own and close nothing.
            if ip.isFragment || isTCP || isUDP || (ip.isIPv6 && ip.transport != Layout.protocolICMPv6) {
                closeFlows(between: key)
            }
            return addAlone(packet, length: length)
        }
        key.ports = p.raw32(t)
        key.tag |= UInt16(ip.transport)
        let payloadLength = length - t - transportHeaderLength
        let candidate = isTCP ? coalesceTCP && GROTable.tcpCandidate(p, ip, payloadLength: payloadLength)
                              : coalesceUDP && GROTable.udpCandidate(p, ip, length: length, payloadLength: payloadLength)
        let maxLength = ip.isIPv6 ? maxIPv6Length : maxIPv4Length
        if let slot = findOpen(key) {
            if candidate {
                switch flows[slot].append(p, length: length, transportHeaderLength: transportHeaderLength,
                                          payloadLength: payloadLength, maxLength: maxLength) {
                case .appended:
                    return true
                case .mismatch:
                    close(slot)
                case .invalid:
                    close(slot)
                    return addAlone(packet, length: length)
                }
            } else {
                close(slot)
            }
        }
        guard itemCount < maxItems else { return false }
        // A PSH packet would close its super-packet at once: it goes out alone. With every flow slot
        // taken, new flows go out alone too (no growth after init).
        let pushes = isTCP && p.u8(t + Layout.tcpFlags) & Layout.tcpFlagPSH != 0
        guard candidate && !pushes && freeCount > 0 && length <= maxLength else {
            return addAlone(packet, length: length)
        }
        freeCount -= 1
        let slot = free[freeCount]
        open[openCount] = slot
        openCount += 1
        flows[slot].start(packet, length: length, key: key, item: itemCount, isTCP: isTCP, isIPv6: ip.isIPv6,
                          transportHeaderLength: transportHeaderLength, payloadLength: payloadLength)
        items[itemCount] = Item(packet: packet, length: length, flow: slot)
        itemCount += 1
        return true
    }

    /// Writes everything added since the last flush, then empties the table.
    ///
    /// Calls `write` once per TUN write (at most `maxItems` times), in the arrival order of each write's first
    /// packet. Each buffer is a virtio-net header followed by an IP packet: for a packet written as it is, an
    /// all-zero header (no GSO, no checksum offload); for a super-packet, NEEDS_CSUM with gsoType TCPV4, TCPV6
    /// or UDP_L4, gsoSize the first segment's payload length, headerLength the IP plus transport header
    /// length, checksumStart the IP header length and checksumOffset 16 (TCP) or 6 (UDP); its IP lengths, IPv4
    /// header checksum and UDP length are set, and its transport checksum field holds the folded,
    /// uncomplemented pseudo-header sum. Buffers are valid only during the call. `write` must not call
    /// `add` or `flush`.
    public func flush(_ write: (UnsafeRawBufferPointer) -> Void) {
        precondition(!flushing, "GROTable.flush called from inside flush")
        flushing = true
        for i in 0..<itemCount {
            let item = items[i]
            if item.flow >= 0 && flows[item.flow].segments > 1 {
                write(flows[item.flow].finish())
            } else {
                let start = item.packet - VirtioNetHeader.size
                VirtioNetHeader().write(to: start)
                write(UnsafeRawBufferPointer(start: start, count: VirtioNetHeader.size + item.length))
            }
        }
        itemCount = 0
        resetFlows()
        flushing = false
    }

    /// Per-packet TCP rules (see the file comment): IPv4 without options, ACK set, no SYN/RST/URG/FIN/CWR,
    /// some payload.
    @inline(__always)
    private static func tcpCandidate(_ p: UnsafeRawPointer, _ ip: IPHeaderInfo, payloadLength: Int) -> Bool {
        let flags = p.u8(ip.headerLength + Layout.tcpFlags)
        let refused = Layout.tcpFlagSYN | Layout.tcpFlagRST | Layout.tcpFlagURG | Layout.tcpFlagFIN | Layout.tcpFlagCWR
        return payloadLength > 0 && ip.headerLength == (ip.isIPv6 ? Layout.ipv6HeaderLength : Layout.ipv4MinHeaderLength)
            && flags & Layout.tcpFlagACK != 0 && flags & refused == 0
    }

    /// Per-packet UDP rules: IPv4 without options, UDP length equal to the packet's, a non-zero checksum,
    /// some payload.
    @inline(__always)
    private static func udpCandidate(_ p: UnsafeRawPointer, _ ip: IPHeaderInfo, length: Int, payloadLength: Int) -> Bool {
        let t = ip.headerLength
        return payloadLength > 0 && t == (ip.isIPv6 ? Layout.ipv6HeaderLength : Layout.ipv4MinHeaderLength)
            && Int(p.be16(t + Layout.udpLength)) == length - t && p.be16(t + Layout.udpChecksum) != 0
    }

    /// Queues a packet to be written as it is.
    @inline(__always)
    private func addAlone(_ packet: UnsafeMutableRawPointer, length: Int) -> Bool {
        guard itemCount < maxItems else { return false }
        items[itemCount] = Item(packet: packet, length: length, flow: -1)
        itemCount += 1
        return true
    }

    /// The slot of the open flow with this key, if any.
    @inline(__always)
    private func findOpen(_ key: GROFlowKey) -> Int? {
        var i = 0
        while i < openCount {
            let slot = open[i]
            if flows[slot].key == key { return slot }
            i += 1
        }
        return nil
    }

    /// Closes every open flow between the same two addresses as `key`.
    private func closeFlows(between key: GROFlowKey) {
        var i = openCount - 1
        while i >= 0 {
            if flows[open[i]].key.sameAddresses(key) { close(open[i]) }
            i -= 1
        }
    }

    /// Closes a flow's item: nothing more joins it. A flow still holding only its first packet gives its
    /// slot back at once (the item is then written as it is); a merged one keeps it until the flush.
    private func close(_ slot: Int) {
        var i = 0
        while open[i] != slot { i += 1 }
        openCount -= 1
        open[i] = open[openCount]
        if flows[slot].segments == 1 {
            items[flows[slot].item].flow = -1
            free[freeCount] = slot
            freeCount += 1
        }
    }

    private func resetFlows() {
        openCount = 0
        freeCount = maxFlows
        for i in 0..<maxFlows { free[i] = maxFlows - 1 - i }
    }
}
