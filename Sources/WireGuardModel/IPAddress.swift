// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as integers in host order (the most significant bit is the first bit on the
/// wire), so prefixes and tries can work with shifts.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(hi: UInt64, lo: UInt64)

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form (no zone, no brackets).
    public init?(_ text: String) { self.init(utf8: text.utf8) }

    /// From 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        switch b.count {
        case 4:
            self = .v4(b.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let hi = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .v6(hi: hi, lo: lo)
        default:
            return nil
        }
    }

    /// Reads 4 (IPv4) or 16 (IPv6) network-order bytes at `pointer`.
    @inline(__always)
    public init(v4 pointer: UnsafeRawPointer) {
        self = .v4(UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self)))
    }

    @inline(__always)
    public init(v6 pointer: UnsafeRawPointer) {
        self = .v6(hi: UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self)),
                   lo: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    public var isV4: Bool { if case .v4 = self { return true } else { return false } }

    /// 32 or 128.
    public var bitWidth: Int { isV4 ? 32 : 128 }

    /// Network-order bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) }
        case .v6(let hi, let lo):
            return (0..<8).map { UInt8(truncatingIfNeeded: hi >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: lo >> (56 - 8 * $0)) }
        }
    }

    /// The address as a left-aligned 128-bit value (IPv4 in the top 32 bits).
    public var wide: (hi: UInt64, lo: UInt64) {
        switch self {
        case .v4(let v): return (UInt64(v) << 32, 0)
        case .v6(let hi, let lo): return (hi, lo)
        }
    }

    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }
}
