// SPDX-License-Identifier: MIT

import WireGuardModel

/// Builds small valid IP packets for tests (like wireguard-go's tuntest.Ping).
public enum PacketBuilder {
    /// An IPv4 ICMP echo request (or an IPv6 ICMPv6 echo) from `source` to `destination` with `payload`.
    public static func ping(from source: IPAddress, to destination: IPAddress, sequence: UInt16 = 1,
                            payload: [UInt8] = []) -> [UInt8] {
        switch (source, destination) {
        case (.v4, .v4):
            var icmp: [UInt8] = [8, 0, 0, 0, 0, 1, UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + payload
            let c = checksum(icmp)
            icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xFF)
            return ipv4(from: source, to: destination, protocol: 1, payload: icmp)
        default:
            let icmp: [UInt8] = [128, 0, 0, 0, 0, 1, UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + payload
            return ipv6(from: source, to: destination, nextHeader: 58, payload: icmp)
        }
    }

    /// An IPv4 packet with a correct header checksum.
    public static func ipv4(from source: IPAddress, to destination: IPAddress, protocol proto: UInt8, payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        var h: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, proto, 0, 0]
        h += source.bytes + destination.bytes
        let c = checksum(h)
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xFF)
        return h + payload
    }

    /// An IPv6 packet (no extension headers).
    public static func ipv6(from source: IPAddress, to destination: IPAddress, nextHeader: UInt8, payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [0x60, 0, 0, 0, UInt8(n >> 8), UInt8(n & 0xFF), nextHeader, 64] + source.bytes + destination.bytes + payload
    }

    /// The Internet checksum.
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
