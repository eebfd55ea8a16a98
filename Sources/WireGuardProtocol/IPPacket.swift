// SPDX-License-Identifier: MIT
// The few IP header fields WireGuard reads: version, addresses, and the total length used to strip
// padding after decryption (kernel `validate_decapsulated_packet`).

import WireGuardModel

/// A minimal IPv4/IPv6 header reader over raw bytes.
public enum IPPacket {
    /// The destination address of an outgoing packet; nil if it is not a plausible IPv4/IPv6 packet.
    @inline(__always)
    public static func destination(_ p: UnsafeRawPointer, length: Int) -> IPAddress? {
        guard length >= 1 else { return nil }
        switch p.load(as: UInt8.self) >> 4 {
        case 4 where length >= 20: return IPAddress(v4: p + 16)
        case 6 where length >= 40: return IPAddress(v6: p + 24)
        default: return nil
        }
    }

    /// For a decrypted packet: its source address and its true length (without padding). Nil when the
    /// header is malformed or claims more bytes than were received.
    @inline(__always)
    public static func sourceAndLength(_ p: UnsafeRawPointer, length: Int) -> (source: IPAddress, length: Int)? {
        guard length >= 1 else { return nil }
        switch p.load(as: UInt8.self) >> 4 {
        case 4:
            guard length >= 20 else { return nil }
            let total = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            guard total >= 20, total <= length else { return nil }
            return (IPAddress(v4: p + 12), total)
        case 6:
            guard length >= 40 else { return nil }
            let total = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))) + 40
            guard total <= length else { return nil }
            return (IPAddress(v6: p + 8), total)
        default:
            return nil
        }
    }

    /// Bytes of zero padding for an inner packet of `length` under `mtu` (kernel `calculate_skb_padding`):
    /// up to the next multiple of 16, never beyond the MTU.
    @inline(__always)
    public static func padding(length: Int, mtu: Int) -> Int {
        let multiple = Constants.paddingMultiple
        if mtu == 0 { return (length + multiple - 1) / multiple * multiple - length }
        var last = length
        if last > mtu { last %= mtu }
        let padded = min((last + multiple - 1) / multiple * multiple, mtu)
        return max(0, padded - last)
    }
}
