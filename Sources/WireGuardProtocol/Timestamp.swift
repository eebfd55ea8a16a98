// SPDX-License-Identifier: MIT

import WireGuardModel

/// TAI64N as WireGuard sends it in initiations: BE64(2^62 + 10 + unix seconds) || BE32(nanoseconds), with
/// the nanoseconds rounded down to a multiple of 2^24 so the timestamp does not leak a precise clock
/// (the kernel and wireguard-go whiten the same way).
public struct Timestamp: Comparable, Hashable, Sendable {
    /// The 12 encoded bytes.
    public var bytes: [UInt8]

    public static let zero = Timestamp(bytes: [UInt8](repeating: 0, count: 12))

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 12)
        self.bytes = bytes
    }

    /// The whitened timestamp for `wall`.
    public init(_ wall: WallTime) {
        let seconds = UInt64(bitPattern: 0x4000_0000_0000_000A &+ wall.seconds)
        let nanos = UInt32(truncatingIfNeeded: wall.nanoseconds) & ~UInt32(0xFF_FFFF)
        bytes = (0..<8).map { UInt8(truncatingIfNeeded: seconds >> (56 - 8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: nanos >> (24 - 8 * $0)) }
    }

    /// Big-endian fields compare like their bytes.
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
