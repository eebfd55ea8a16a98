// SPDX-License-Identifier: MIT
// Field offsets of the IPv4, IPv6, TCP and UDP headers and big-endian accessors over raw packet bytes.
// Internal to the module: the segmenter and the GRO table share one vocabulary for header fields.

/// Header field offsets and values (RFC 791, RFC 8200, RFC 9293, RFC 768), relative to the start of each header.
enum Layout {
    static let ipv4Version: UInt8 = 4
    static let ipv6Version: UInt8 = 6

    static let ipv4MinHeaderLength = 20
    static let ipv4MaxHeaderLength = 60
    static let ipv4TOS = 1
    static let ipv4TotalLength = 2
    static let ipv4Identification = 4
    /// Flags (3 bits: reserved, DF, MF) and the 13-bit fragment offset, as one 16-bit field.
    static let ipv4FlagsFragment = 6
    static let ipv4TTL = 8
    static let ipv4Protocol = 9
    static let ipv4Checksum = 10
    static let ipv4Source = 12
    static let ipv4AddressLength = 4
    static let ipv4MoreFragments: UInt16 = 0x2000
    /// DF in the flags byte (the high byte of the flags/fragment field).
    static let ipv4DontFragment: UInt8 = 0x40
    static let ipv4FragmentOffsetMask: UInt16 = 0x1FFF
    /// The top three bits of the flags byte: reserved, DF and MF.
    static let ipv4FlagBitsMask: UInt8 = 0xE0
    static let ipv4MaxTotalLength = 65535

    static let ipv6HeaderLength = 40
    static let ipv6PayloadLength = 4
    static let ipv6NextHeader = 6
    static let ipv6HopLimit = 7
    static let ipv6Source = 8
    static let ipv6AddressLength = 16
    static let ipv6MaxPayloadLength = 65535

    static let protocolTCP: UInt8 = 6
    static let protocolUDP: UInt8 = 17
    static let protocolICMPv6: UInt8 = 58

    static let tcpMinHeaderLength = 20
    static let tcpSequence = 4
    static let tcpAcknowledgment = 8
    /// Data offset (high nibble) and reserved bits.
    static let tcpDataOffset = 12
    static let tcpFlags = 13
    static let tcpWindow = 14
    static let tcpChecksum = 16
    static let tcpFlagFIN: UInt8 = 0x01
    static let tcpFlagSYN: UInt8 = 0x02
    static let tcpFlagRST: UInt8 = 0x04
    static let tcpFlagPSH: UInt8 = 0x08
    static let tcpFlagACK: UInt8 = 0x10
    static let tcpFlagURG: UInt8 = 0x20
    static let tcpFlagECE: UInt8 = 0x40
    static let tcpFlagCWR: UInt8 = 0x80

    static let udpHeaderLength = 8
    static let udpLength = 4
    static let udpChecksum = 6

    /// What a UDP checksum that computes to zero is sent as: zero on the wire means "no checksum" (RFC 768).
    static let udpZeroChecksum: UInt16 = 0xFFFF
}

extension UnsafeRawPointer {
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    func be16(_ offset: Int) -> UInt16 { UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }

    /// Eight bytes in memory order, for equality comparisons only (byte order does not matter for `==`).
    @inline(__always)
    func raw64(_ offset: Int) -> UInt64 { loadUnaligned(fromByteOffset: offset, as: UInt64.self) }

    /// Four bytes in memory order, for equality comparisons only.
    @inline(__always)
    func raw32(_ offset: Int) -> UInt32 { loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { UnsafeRawPointer(self).u8(offset) }

    @inline(__always)
    func be16(_ offset: Int) -> UInt16 { UnsafeRawPointer(self).be16(offset) }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 { UnsafeRawPointer(self).be32(offset) }

    @inline(__always)
    func setU8(_ offset: Int, _ value: UInt8) { storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    func setBE16(_ offset: Int, _ value: UInt16) { storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self) }

    @inline(__always)
    func setBE32(_ offset: Int, _ value: UInt32) { storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self) }
}

/// Returns `value` rounded up to a multiple of `alignment` (a power of two).
@inline(__always)
func alignUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }
