// SPDX-License-Identifier: MIT
// Preallocated packet memory for the data path: `count` slots of `slotSize` bytes and one `wg_datagram`
// descriptor per slot, allocated once per direction and reused for every batch. A slot leaves
// `headroom` bytes in front of a packet read from the TUN for the transport header, and room behind it
// for padding and the tag, so sealing happens where the packet lies.

import CWireGuardLinux
import WireGuardModel
import WireGuardProtocol

public final class PacketBatch {
    public let count: Int
    public let slotSize: Int
    /// Bytes kept free before a TUN packet (the 16-byte transport header).
    public static let headroom = Constants.transportHeaderSize
    /// Bytes kept free after a TUN packet (padding to 16 and the 16-byte tag).
    public static let tailroom = Constants.paddingMultiple + Constants.transportTagSize
    let memory: UnsafeMutableRawPointer
    public let datagrams: UnsafeMutablePointer<wg_datagram>

    public init(count: Int, slotSize: Int = 65536 + 64) {
        self.count = count
        self.slotSize = slotSize
        memory = UnsafeMutableRawPointer.allocate(byteCount: count * slotSize, alignment: 64)
        datagrams = UnsafeMutablePointer<wg_datagram>.allocate(capacity: count)
        datagrams.initialize(repeating: wg_datagram(), count: count)
        resetForReceive()
    }

    deinit {
        memory.deallocate()
        datagrams.deallocate()
    }

    /// Slot `i` as a whole.
    @inline(__always)
    public func slot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory + i * slotSize, count: slotSize)
    }

    /// Points every descriptor at the start of its slot with the full slot as capacity (UDP receive).
    public func resetForReceive() {
        for i in 0..<count {
            datagrams[i].data = (memory + i * slotSize).assumingMemoryBound(to: UInt8.self)
            datagrams[i].capacity = UInt32(min(slotSize, 65535))
            datagrams[i].length = 0
        }
    }
}

extension wg_datagram {
    /// The remote address as an `Endpoint`; nil for an unknown family.
    @inline(__always)
    var remoteEndpoint: Endpoint? {
        withUnsafeBytes(of: remote_address) { raw -> Endpoint? in
            switch remote_family {
            case 4: return Endpoint(address: IPAddress(v4: raw.baseAddress!), port: remote_port)
            case 6:
                let address = IPAddress(v6: raw.baseAddress!)
                // An IPv4-mapped source (::ffff:a.b.c.d) is the IPv4 peer it stands for.
                if case .v6(0, let lo) = address, lo >> 32 == 0xFFFF {
                    return Endpoint(address: .v4(UInt32(truncatingIfNeeded: lo)), port: remote_port)
                }
                return Endpoint(address: address, port: remote_port)
            default: return nil
            }
        }
    }

    /// Sets the remote address from `endpoint`.
    @inline(__always)
    mutating func setRemote(_ endpoint: Endpoint) {
        remote_port = endpoint.port
        switch endpoint.address {
        case .v4(let v):
            remote_family = 4
            withUnsafeMutableBytes(of: &remote_address) { $0.storeBytes(of: v.bigEndian, as: UInt32.self) }
        case .v6(let hi, let lo):
            remote_family = 6
            withUnsafeMutableBytes(of: &remote_address) {
                $0.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
                $0.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
        }
    }
}
