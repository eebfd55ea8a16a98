// SPDX-License-Identifier: MIT
// Building one netlink message in memory, the way libmnl's mnl_nlmsg_put_header / mnl_attr_put* /
// mnl_attr_nest_* do: a struct nlmsghdr, an optional family header, then attributes, each padded to four
// bytes. The `…Checked` variants refuse to grow the message past a size limit, which is how a large
// configuration is split into several messages.

/// One netlink message under construction. Integers are written in host byte order, as the kernel expects.
public struct NetlinkMessageBuilder: Sendable {
    /// The message so far; `finish()` fills in `nlmsg_len`.
    public private(set) var bytes: [UInt8]

    /// Starts a message with a `struct nlmsghdr` (length filled in by `finish`, port id 0: the kernel's).
    public init(type: UInt16, flags: UInt16, sequence: UInt32) {
        bytes = []
        bytes.reserveCapacity(256)
        appendInteger(UInt32(0))
        appendInteger(type)
        appendInteger(flags)
        appendInteger(sequence)
        appendInteger(UInt32(0))
    }

    /// Current length, padding included (what `nlmsg_len` would be now).
    public var length: Int { bytes.count }

    /// Appends a family header (genlmsghdr, ifinfomsg…), zero-padded to the alignment.
    public mutating func appendFamilyHeader(_ header: [UInt8]) {
        bytes += header
        pad()
    }

    /// Appends an attribute of `type` with `payload`, unconditionally.
    public mutating func put(_ type: UInt16, _ payload: [UInt8]) {
        appendInteger(UInt16(Netlink.attributeHeaderLength + payload.count))
        appendInteger(type)
        bytes += payload
        pad()
    }

    /// Appends the attribute only if the message stays within `limit` bytes (mnl_attr_put_check).
    public mutating func putChecked(limit: Int, _ type: UInt16, _ payload: [UInt8]) -> Bool {
        guard bytes.count + Netlink.attributeHeaderLength + Netlink.align(payload.count) <= limit else { return false }
        put(type, payload)
        return true
    }

    /// Opens a nested attribute (type | NLA_F_NESTED); returns its offset for `endNest` / `cancelNest`.
    public mutating func startNest(_ type: UInt16) -> Int {
        let start = bytes.count
        appendInteger(UInt16(0))
        appendInteger(type | Netlink.NLA_F_NESTED)
        return start
    }

    /// `startNest` unless the nest header would pass `limit` (mnl_attr_nest_start_check).
    public mutating func startNestChecked(limit: Int, _ type: UInt16) -> Int? {
        guard bytes.count + Netlink.attributeHeaderLength <= limit else { return nil }
        return startNest(type)
    }

    /// Closes the nest opened at `start`: its length covers everything appended since.
    public mutating func endNest(_ start: Int) {
        let length = UInt16(truncatingIfNeeded: bytes.count - start)
        withUnsafeBytes(of: length) { raw in
            bytes[start] = raw[0]
            bytes[start + 1] = raw[1]
        }
    }

    /// Drops the nest opened at `start` and everything inside it.
    public mutating func cancelNest(_ start: Int) {
        bytes.removeSubrange(start...)
    }

    /// The finished message, `nlmsg_len` set.
    public func finish() -> [UInt8] {
        var out = bytes
        withUnsafeBytes(of: UInt32(out.count)) { raw in
            for i in 0..<4 { out[i] = raw[i] }
        }
        return out
    }

    private mutating func pad() {
        while bytes.count % Netlink.alignment != 0 { bytes.append(0) }
    }

    private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }
}

/// Host-byte-order encodings of attribute payloads.
public enum NetlinkPayload {
    /// An integer in host byte order.
    public static func integer<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// A NUL-terminated string (NLA_NUL_STRING, mnl_attr_put_strz).
    public static func string(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
}
