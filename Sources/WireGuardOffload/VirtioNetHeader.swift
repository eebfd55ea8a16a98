// SPDX-License-Identifier: MIT
// The virtio-net header a TUN opened with IFF_VNET_HDR puts before every packet (linux/virtio_net.h).

/// `struct virtio_net_hdr` (10 bytes, host byte order as the TUN uses it without TUNSETVNETLE/BE).
public struct VirtioNetHeader: Equatable, Sendable {
    public static let size = 10
    public static let flagNeedsChecksum: UInt8 = 1
    public static let flagDataValid: UInt8 = 2
    public static let gsoNone: UInt8 = 0
    public static let gsoTCPv4: UInt8 = 1
    public static let gsoUDP: UInt8 = 3
    public static let gsoTCPv6: UInt8 = 4
    public static let gsoUDPL4: UInt8 = 5
    public static let gsoECN: UInt8 = 0x80

    public var flags: UInt8 = 0
    public var gsoType: UInt8 = VirtioNetHeader.gsoNone
    public var headerLength: UInt16 = 0
    public var gsoSize: UInt16 = 0
    public var checksumStart: UInt16 = 0
    public var checksumOffset: UInt16 = 0

    public init(flags: UInt8 = 0, gsoType: UInt8 = VirtioNetHeader.gsoNone, headerLength: UInt16 = 0,
                gsoSize: UInt16 = 0, checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// Reads a header from `VirtioNetHeader.size` bytes at `p`.
    @inline(__always)
    public init(from p: UnsafeRawPointer) {
        flags = p.load(fromByteOffset: 0, as: UInt8.self)
        gsoType = p.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        gsoSize = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        checksumStart = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        checksumOffset = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    /// Writes the header to `VirtioNetHeader.size` bytes at `p`.
    @inline(__always)
    public func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: flags, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: checksumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
    }
}
