// SPDX-License-Identifier: MIT
// Netlink bytes spelled out by hand from the kernel headers' layouts (little-endian host), independent of
// the module's builder, for the tests to feed in or compare against.

@testable import WireGuardNetlink

enum Bytes {
    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }

    /// struct nlattr + payload, padded.
    static func attr(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        padded(u16(UInt16(4 + payload.count)) + u16(type) + payload)
    }

    /// A nested attribute (NLA_F_NESTED set) around already-encoded attributes.
    static func nest(_ type: UInt16, _ inner: [UInt8]) -> [UInt8] {
        u16(UInt16(4 + inner.count)) + u16(type | 0x8000) + inner
    }

    /// struct nlmsghdr + payload (padded).
    static func message(type: UInt16, flags: UInt16, seq: UInt32, pid: UInt32 = 0, _ payload: [UInt8]) -> [UInt8] {
        let body = padded(payload)
        return u32(UInt32(16 + payload.count)) + u16(type) + u16(flags) + u32(seq) + u32(pid) + body
    }

    /// A generic netlink message: genlmsghdr (cmd, version 1) then attributes.
    static func genl(family: UInt16, cmd: UInt8, flags: UInt16, seq: UInt32, _ attrs: [UInt8]) -> [UInt8] {
        message(type: family, flags: flags, seq: seq, [cmd, 1, 0, 0] + attrs)
    }

    /// NLMSG_ERROR with `code` (0 = ack), echoing a 16-byte header.
    static func error(_ code: Int32, seq: UInt32) -> [UInt8] {
        message(type: 2, flags: 0x100, seq: seq, u32(UInt32(bitPattern: code)) + message(type: 0x1c, flags: 5, seq: seq, []))
    }

    /// NLMSG_DONE of a dump with its errno.
    static func done(_ code: Int32, seq: UInt32) -> [UInt8] {
        message(type: 3, flags: 2, seq: seq, u32(UInt32(bitPattern: code)))
    }

    static func key(_ fill: UInt8) -> [UInt8] { [UInt8](repeating: fill, count: 32) }
}
