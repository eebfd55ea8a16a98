// SPDX-License-Identifier: MIT

/// An address with a prefix length, host bits cleared (as the kernel stores allowed IPs).
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let address: IPAddress
    /// Prefix length, 0...32 or 0...128.
    public let length: Int

    /// Masks `address` to `length`; nil when `length` exceeds the family's width or is negative.
    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bitWidth else { return nil }
        self.address = IPPrefix.mask(address, length)
        self.length = length
    }

    /// Parses `addr/len`; the length is mandatory (as in UAPI `allowed_ip`).
    public init?(_ text: String) { self.init(utf8: text.utf8) }

    /// True when `address` lies inside this prefix (and has the same family).
    public func contains(_ other: IPAddress) -> Bool {
        other.isV4 == address.isV4 && IPPrefix.mask(other, length) == address
    }

    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    static func mask(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let v):
            return .v4(length == 0 ? 0 : v & ~UInt32(0) << (32 - length))
        case .v6(let hi, let lo):
            if length == 0 { return .v6(hi: 0, lo: 0) }
            if length <= 64 { return .v6(hi: hi & ~UInt64(0) << (64 - length), lo: 0) }
            if length == 128 { return address }
            return .v6(hi: hi, lo: lo & ~UInt64(0) << (128 - length))
        }
    }
}
