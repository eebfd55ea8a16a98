// SPDX-License-Identifier: MIT
// The ICMP error a WireGuard interface returns for a packet no peer can take (kernel device.c `wg_xmit`:
// `icmp_ndo_send(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH)` / `icmpv6_ndo_send(ICMPV6_DEST_UNREACH,
// ICMPV6_ADDR_UNREACH)`), built as the packet the host's stack receives from the TUN. A pure byte transform.
//
// - IPv4 (RFC 792, RFC 1122 §3.2.2, RFC 1812 §4.3.2.3): type 3 code 1; the original IP header and as much of
//   its data as fits in 576 bytes in all, as Linux's icmp_send quotes. Never for a non-first fragment, an
//   ICMP error, a multicast or broadcast destination, or a source that names no single host.
// - IPv6 (RFC 4443 §3.1, §2.4): type 1 code 3; as much of the original packet as fits in the minimum IPv6
//   MTU (1280). Never for an ICMPv6 error (found behind extension headers), a multicast destination, or an
//   unspecified or multicast source.
// The reply comes from the unreachable destination itself, to the original source: the TUN is where the
// packet "went", and a source routed through the interface passes reverse-path filtering (our own address
// would be dropped as a martian).

import WireGuardModel

/// Builds ICMP destination-unreachable errors for undeliverable TUN packets.
public enum ICMPError {
    /// The largest IPv4 ICMP error (RFC 1812 §4.3.2.3; Linux icmp_send).
    public static let maxIPv4Length = 576
    /// The largest ICMPv6 error: the IPv6 minimum MTU (RFC 4443 §2.4 (c)).
    public static let maxIPv6Length = 1280
    /// Room any reply fits in.
    public static let maxLength = maxIPv6Length

    static let ipv4HeaderLength = 20, ipv6HeaderLength = 40, icmpHeaderLength = 8
    static let protocolICMP: UInt8 = 1, protocolICMPv6: UInt8 = 58
    static let typeDestinationUnreachable: UInt8 = 3, codeHostUnreachable: UInt8 = 1
    static let typeICMPv6DestinationUnreachable: UInt8 = 1, codeAddressUnreachable: UInt8 = 3
    /// ICMPv6 types from 128 up are informational (RFC 4443 §2.1); below are errors.
    static let icmpv6InformationalMask: UInt8 = 0x80
    static let hopLimit: UInt8 = 64
    /// IPTOS_PREC_INTERNETCONTROL, over the original TOS bits (IPTOS_TOS_MASK), as Linux sets it.
    static let tosInternetControl: UInt8 = 0xC0, tosMask: UInt8 = 0x1E
    static let fragmentOffsetMask: UInt16 = 0x1FFF
    // IPv6 extension headers ipv6_skip_exthdr walks: hop-by-hop, routing, fragment, authentication, destination.
    static let nextHeaderHopByHop: UInt8 = 0, nextHeaderRouting: UInt8 = 43, nextHeaderFragment: UInt8 = 44
    static let nextHeaderAuthentication: UInt8 = 51, nextHeaderDestination: UInt8 = 60

    /// Writes into `out` (at least `maxLength` bytes) the destination-unreachable error answering the IP
    /// packet of `length` bytes at `packet`, and returns its length. Nil, with nothing written, when no
    /// error may be sent for this packet (see above) or `allow(destination of the error)` says no (rate
    /// limits, asked only for an eligible packet).
    public static func destinationUnreachable(quoting packet: UnsafeRawPointer, length: Int,
                                              into out: UnsafeMutableRawPointer,
                                              allow: (IPAddress) -> Bool) -> Int? {
        guard length >= 1 else { return nil }
        switch packet.load(as: UInt8.self) >> 4 {
        case 4: return v4(packet, length: length, into: out, allow: allow)
        case 6: return v6(packet, length: length, into: out, allow: allow)
        default: return nil
        }
    }

    private static func v4(_ p: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer,
                           allow: (IPAddress) -> Bool) -> Int? {
        let headerLength = Int(p.load(as: UInt8.self) & 0x0F) * 4
        guard length >= ipv4HeaderLength, headerLength >= ipv4HeaderLength, headerLength <= length else { return nil }
        let fragment = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        guard fragment & fragmentOffsetMask == 0 else { return nil }
        let source = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let destination = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        guard namesOneHost(source), !isMulticastOrBroadcast(destination) else { return nil }
        if p.load(fromByteOffset: 9, as: UInt8.self) == protocolICMP {
            // An ICMP error is never answered; neither is one whose type cannot be read.
            guard length > headerLength, isQuery(p.load(fromByteOffset: headerLength, as: UInt8.self)) else { return nil }
        }
        guard allow(.v4(source)) else { return nil }

        let quoted = min(length, maxIPv4Length - ipv4HeaderLength - icmpHeaderLength)
        let total = ipv4HeaderLength + icmpHeaderLength + quoted
        out.storeBytes(of: 0x45, as: UInt8.self)
        out.storeBytes(of: tosInternetControl | (p.load(fromByteOffset: 1, as: UInt8.self) & tosMask),
                       toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: UInt16(total).bigEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)  // identification, flags, fragment offset
        out.storeBytes(of: hopLimit, toByteOffset: 8, as: UInt8.self)
        out.storeBytes(of: protocolICMP, toByteOffset: 9, as: UInt8.self)
        out.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        out.storeBytes(of: destination.bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: source.bigEndian, toByteOffset: 16, as: UInt32.self)
        let icmp = out + ipv4HeaderLength
        icmp.storeBytes(of: typeDestinationUnreachable, as: UInt8.self)
        icmp.storeBytes(of: codeHostUnreachable, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)  // unused
        (icmp + icmpHeaderLength).copyMemory(from: p, byteCount: quoted)
        out.storeBytes(of: checksum(out, count: ipv4HeaderLength).bigEndian, toByteOffset: 10, as: UInt16.self)
        icmp.storeBytes(of: checksum(icmp, count: icmpHeaderLength + quoted).bigEndian, toByteOffset: 2, as: UInt16.self)
        return total
    }

    private static func v6(_ p: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer,
                           allow: (IPAddress) -> Bool) -> Int? {
        guard length >= ipv6HeaderLength else { return nil }
        let source = IPAddress(v6: p + 8), destination = IPAddress(v6: p + 24)
        guard case .v6(let sourceHigh, let sourceLow) = source, case .v6(let destinationHigh, _) = destination,
              sourceHigh >> 56 != 0xFF, sourceHigh | sourceLow != 0, destinationHigh >> 56 != 0xFF,
              !carriesICMPv6Error(p, length: length) else { return nil }
        guard allow(source) else { return nil }

        let quoted = min(length, maxIPv6Length - ipv6HeaderLength - icmpHeaderLength)
        let payload = icmpHeaderLength + quoted
        out.storeBytes(of: UInt32(0x6000_0000).bigEndian, as: UInt32.self)  // version, no class, no flow label
        out.storeBytes(of: UInt16(payload).bigEndian, toByteOffset: 4, as: UInt16.self)
        out.storeBytes(of: protocolICMPv6, toByteOffset: 6, as: UInt8.self)
        out.storeBytes(of: hopLimit, toByteOffset: 7, as: UInt8.self)
        (out + 8).copyMemory(from: p + 24, byteCount: 16)
        (out + 24).copyMemory(from: p + 8, byteCount: 16)
        let icmp = out + ipv6HeaderLength
        icmp.storeBytes(of: typeICMPv6DestinationUnreachable, as: UInt8.self)
        icmp.storeBytes(of: codeAddressUnreachable, toByteOffset: 1, as: UInt8.self)
        icmp.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
        icmp.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)  // unused
        (icmp + icmpHeaderLength).copyMemory(from: p, byteCount: quoted)
        // Pseudo-header (RFC 8200 §8.1): both addresses, the upper-layer length, the next header.
        let pseudo = sum(out + 8, count: 32) &+ UInt32(payload) &+ UInt32(protocolICMPv6)
        icmp.storeBytes(of: fold(sum(icmp, count: payload) &+ pseudo).bigEndian, toByteOffset: 2, as: UInt16.self)
        return ipv6HeaderLength + payload
    }

    /// ICMPv4 types that are not errors and may be answered: echo reply and request, timestamp, information
    /// and address mask requests and replies (Linux's `icmp_pointers[].error` is false for them).
    private static func isQuery(_ type: UInt8) -> Bool {
        switch type {
        case 0, 8, 13...18: return true
        default: return false
        }
    }

    /// RFC 1122 §3.2.2: not 0.0.0.0, not limited broadcast, not multicast or class E.
    private static func namesOneHost(_ a: UInt32) -> Bool {
        a != 0 && a >> 28 < 0xE
    }

    private static func isMulticastOrBroadcast(_ a: UInt32) -> Bool {
        a >> 28 == 0xE || a == 0xFFFF_FFFF
    }

    /// Whether the upper layer behind the extension headers is an ICMPv6 error (or an ICMPv6 message whose
    /// type is cut off in a first fragment), as Linux's `is_ineligible`. A non-first fragment hides its
    /// upper layer and may be answered.
    private static func carriesICMPv6Error(_ p: UnsafeRawPointer, length: Int) -> Bool {
        var next = p.load(fromByteOffset: 6, as: UInt8.self)
        var offset = ipv6HeaderLength
        var fragmentOffset: UInt16 = 0
        while next != protocolICMPv6 {
            guard offset + 8 <= length else { return false }
            switch next {
            case nextHeaderHopByHop, nextHeaderRouting, nextHeaderDestination:
                next = p.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(p.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case nextHeaderAuthentication:
                next = p.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(p.load(fromByteOffset: offset + 1, as: UInt8.self)) + 2) * 4
            case nextHeaderFragment:
                next = p.load(fromByteOffset: offset, as: UInt8.self)
                fragmentOffset = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) & ~7
                offset += 8
                if fragmentOffset != 0 { return false }
            default:
                return false
            }
        }
        guard offset < length else { return fragmentOffset == 0 }
        return p.load(fromByteOffset: offset, as: UInt8.self) & icmpv6InformationalMask == 0
    }

    // MARK: Internet checksum (RFC 1071)

    private static func sum(_ p: UnsafeRawPointer, count: Int) -> UInt32 {
        var total: UInt32 = 0
        var i = 0
        while i + 1 < count {
            total &+= UInt32(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            i += 2
        }
        if i < count { total &+= UInt32(p.load(fromByteOffset: i, as: UInt8.self)) << 8 }
        return total
    }

    private static func fold(_ value: UInt32) -> UInt16 {
        var s = value
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return ~UInt16(s)
    }

    private static func checksum(_ p: UnsafeRawPointer, count: Int) -> UInt16 { fold(sum(p, count: count)) }
}
