// SPDX-License-Identifier: MIT
// Reading netlink messages and attributes out of a received buffer (mnl_nlmsg_ok / mnl_nlmsg_next,
// mnl_attr_ok / mnl_attr_next), strictly: a length that runs past its container, or is shorter than a
// header, is an error rather than a silent stop, so hostile or truncated input never reads out of bounds.

/// Input that is not well-formed netlink (or not what the kernel sends for the request).
public struct NetlinkDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed netlink: \(reason)" }
}

/// One message of a received buffer.
public struct NetlinkMessage: Sendable {
    public let type: UInt16
    public let flags: UInt16
    public let sequence: UInt32
    public let portID: UInt32
    /// Everything after the struct nlmsghdr, up to nlmsg_len (padding excluded).
    public let payload: ArraySlice<UInt8>

    /// Splits `buffer` (one recvmsg worth) into its messages.
    public static func split(_ buffer: ArraySlice<UInt8>) throws(NetlinkDecodingError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = buffer.startIndex
        while offset < buffer.endIndex {
            let remaining = buffer.endIndex - offset
            guard remaining >= Netlink.headerLength else { throw NetlinkDecodingError("\(remaining) trailing bytes") }
            let length = Int(readInteger(UInt32.self, buffer, at: offset))
            guard length >= Netlink.headerLength, length <= remaining else {
                throw NetlinkDecodingError("message length \(length) with \(remaining) bytes left")
            }
            messages.append(NetlinkMessage(
                type: readInteger(UInt16.self, buffer, at: offset + 4),
                flags: readInteger(UInt16.self, buffer, at: offset + 6),
                sequence: readInteger(UInt32.self, buffer, at: offset + 8),
                portID: readInteger(UInt32.self, buffer, at: offset + 12),
                payload: buffer[(offset + Netlink.headerLength)..<(offset + length)]))
            offset += min(Netlink.align(length), remaining)
        }
        return messages
    }
}

/// One attribute: its type without the NLA_F_* bits, whether it was marked nested, and its payload.
public struct NetlinkAttribute: Sendable {
    public let type: UInt16
    public let isNested: Bool
    public let payload: ArraySlice<UInt8>

    /// The attributes packed in `bytes` (a message's payload after its family header, or a nest's payload).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(NetlinkDecodingError) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let remaining = bytes.endIndex - offset
            guard remaining >= Netlink.attributeHeaderLength else {
                throw NetlinkDecodingError("\(remaining) trailing attribute bytes")
            }
            let length = Int(readInteger(UInt16.self, bytes, at: offset))
            let rawType = readInteger(UInt16.self, bytes, at: offset + 2)
            guard length >= Netlink.attributeHeaderLength, length <= remaining else {
                throw NetlinkDecodingError("attribute length \(length) with \(remaining) bytes left")
            }
            attributes.append(NetlinkAttribute(
                type: rawType & Netlink.NLA_TYPE_MASK, isNested: rawType & Netlink.NLA_F_NESTED != 0,
                payload: bytes[(offset + Netlink.attributeHeaderLength)..<(offset + length)]))
            offset += min(Netlink.align(length), remaining)
        }
        return attributes
    }

    /// The attributes inside this (nested) attribute.
    public func nested() throws(NetlinkDecodingError) -> [NetlinkAttribute] { try Self.parse(payload) }

    /// The payload as a host-order integer of exactly its size (mnl_attr_validate MNL_TYPE_U8…U64).
    public func integer<T: FixedWidthInteger>(_: T.Type) throws(NetlinkDecodingError) -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw NetlinkDecodingError("attribute \(type): \(payload.count) bytes for a \(MemoryLayout<T>.size)-byte integer")
        }
        return readInteger(T.self, payload, at: payload.startIndex)
    }

    /// The payload as a string, up to its first NUL (mnl_attr_get_str).
    public var string: String {
        String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// A host-order integer at `offset` of `bytes`; the caller has checked the bounds.
@inline(__always)
func readInteger<T: FixedWidthInteger>(_: T.Type, _ bytes: ArraySlice<UInt8>, at offset: Int) -> T {
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { raw in
        for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[offset + i] }
    }
    return value
}
