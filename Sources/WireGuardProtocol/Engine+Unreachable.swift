// SPDX-License-Identifier: MIT
// Packets no peer can take (kernel device.c `wg_xmit`): no peer's allowed IPs hold the destination
// (ENOKEY), or the peer that does has no endpoint (EDESTADDRREQ). The kernel drops them and sends an ICMP
// host unreachable (ICMPv6 address unreachable) back to the sender, within its ICMP rate limits, so that
// `ping` says why. The error is built by `ICMPError` into a buffer the caller owns.

import WireGuardModel

extension Engine {
    /// Whether a packet to `destination` would be dropped for want of a peer or of the peer's endpoint.
    @inline(__always)
    public func isUnroutable(_ destination: IPAddress) -> Bool {
        guard let peer = route(to: destination) else { return true }
        return peer.endpoint == nil
    }

    /// For an IP packet of `length` bytes at `packet`, read from the TUN: if no peer can take it, writes
    /// into `out` (at least `ICMPError.maxLength` bytes) the ICMP error to return into the TUN and returns
    /// its length. Nil when the packet is routable, no error may answer it, the rate limits say no, or the
    /// interface is down. Allocation-free.
    public func unreachableReply(to packet: UnsafeRawPointer, length: Int, into out: UnsafeMutableRawPointer,
                                 now: Instant) -> Int? {
        guard isUp, let destination = IPPacket.destination(packet, length: length), isUnroutable(destination)
        else { return nil }
        return ICMPError.destinationUnreachable(quoting: packet, length: length, into: out) {
            icmpLimiter.allow($0, now: now)
        }
    }

    /// `unreachableReply(to:length:into:now:)` by value.
    public func unreachableReply(to packet: [UInt8], now: Instant) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: ICMPError.maxLength)
        let n = packet.withUnsafeBytes { p in
            out.withUnsafeMutableBytes { o in
                unreachableReply(to: p.baseAddress!, length: p.count, into: o.baseAddress!, now: now)
            }
        }
        return n.map { Array(out[0..<$0]) }
    }
}
