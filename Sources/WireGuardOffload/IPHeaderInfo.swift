// SPDX-License-Identifier: MIT
// The IP-level facts about a packet that both the segmenter and the GRO table need, read once.

/// A parsed, length-consistent IPv4 or IPv6 header.
struct IPHeaderInfo {
    var isIPv6: Bool
    /// IPv4: IHL × 4 (options included). IPv6: the fixed 40 bytes (extension headers are not walked).
    var headerLength: Int
    /// IPv4 protocol or IPv6 next header: the transport protocol when there are no extension headers.
    var transport: UInt8
    /// IPv4 only: MF set or a non-zero fragment offset.
    var isFragment: Bool
    /// Offset of the source address; the destination follows it.
    var sourceOffset: Int
    var addressLength: Int

    /// Parses the header at `p`, or returns nil if it is neither IPv4 nor IPv6, is truncated, or its length
    /// fields disagree with `length` (IPv4 total length ≠ length, IHL < 5 or past the end; IPv6 payload
    /// length + 40 ≠ length). A TUN hands over exactly one packet per read and a decrypted WireGuard packet
    /// is trimmed to its IP length, so trailing bytes mean a malformed packet, not padding.
    @inline(__always)
    init?(_ p: UnsafeRawPointer, length: Int) {
        guard length >= 1 else { return nil }
        switch p.u8(0) >> 4 {
        case Layout.ipv4Version:
            guard length >= Layout.ipv4MinHeaderLength else { return nil }
            let headerLength = Int(p.u8(0) & 0x0F) * 4
            guard headerLength >= Layout.ipv4MinHeaderLength, headerLength <= length,
                  Int(p.be16(Layout.ipv4TotalLength)) == length else { return nil }
            let fragment = p.be16(Layout.ipv4FlagsFragment)
            self.isIPv6 = false
            self.headerLength = headerLength
            self.transport = p.u8(Layout.ipv4Protocol)
            self.isFragment = fragment & (Layout.ipv4MoreFragments | Layout.ipv4FragmentOffsetMask) != 0
            self.sourceOffset = Layout.ipv4Source
            self.addressLength = Layout.ipv4AddressLength
        case Layout.ipv6Version:
            guard length >= Layout.ipv6HeaderLength,
                  Int(p.be16(Layout.ipv6PayloadLength)) + Layout.ipv6HeaderLength == length else { return nil }
            self.isIPv6 = true
            self.headerLength = Layout.ipv6HeaderLength
            self.transport = p.u8(Layout.ipv6NextHeader)
            self.isFragment = false
            self.sourceOffset = Layout.ipv6Source
            self.addressLength = Layout.ipv6AddressLength
        default:
            return nil
        }
    }
}
