// SPDX-License-Identifier: MIT
// Address and prefix text without per-call allocation: UAPI and configuration files carry one address per
// allowed IP, 100,000 and more of them in a large `set` or `get`. Parsing follows inet_pton (IPv4: four
// decimal parts of at most 255 and no leading zero; IPv6 handed to inet_pton from a stack buffer), writing
// follows inet_ntop (RFC 5952 for IPv6, through inet_ntop itself).

#if canImport(Glibc)
import Glibc
#endif

extension IPAddress {
    /// Longest text form accepted (an IPv6 address with an embedded IPv4 address is 45 characters).
    static let maximumTextLength = 45

    /// Parses the UTF-8 text of an address as `init?(_: String)` does.
    public init?(utf8 text: some Collection<UInt8>) {
        guard !text.isEmpty, text.count <= Self.maximumTextLength else { return nil }
        if text.contains(UInt8(ascii: ":")) {
            var a = in6_addr()
            let ok = withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.maximumTextLength + 1) { buf -> Bool in
                var i = 0
                for byte in text {
                    if byte == 0 { return false }
                    buf[i] = CChar(bitPattern: byte)
                    i += 1
                }
                buf[i] = 0
                return inet_pton(AF_INET6, buf.baseAddress!, &a) == 1
            }
            guard ok else { return nil }
            self = withUnsafeBytes(of: &a) { IPAddress(v6: $0.baseAddress!) }
        } else {
            guard let v = Self.parseV4(text) else { return nil }
            self = .v4(v)
        }
    }

    /// Dotted quad as inet_pton(AF_INET) accepts it.
    private static func parseV4(_ text: some Collection<UInt8>) -> UInt32? {
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, parts = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if digits > 0 && part == 0 { return nil }  // leading zero
            part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard part <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// Appends the text form (what `description` returns) to `out`.
    public func write(to out: inout String) {
        switch self {
        case .v4(let v):
            for shift in stride(from: 24, through: 0, by: -8) {
                out.append(String(UInt8(truncatingIfNeeded: v >> UInt32(shift))))
                if shift > 0 { out.append(".") }
            }
        case .v6(let hi, let lo):
            var a = in6_addr()
            withUnsafeMutableBytes(of: &a) { raw in
                raw.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buf in
                if inet_ntop(AF_INET6, &a, buf.baseAddress!, socklen_t(buf.count)) != nil {
                    out.append(String(cString: buf.baseAddress!))
                } else {
                    out.append("?")
                }
            }
        }
    }
}

extension IPPrefix {
    /// Parses `addr/len` from UTF-8 text, as `init?(_: String)` does: the length is mandatory, 1 to 3
    /// decimal digits.
    public init?(utf8 text: some Collection<UInt8>) {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let digits = text[text.index(after: slash)...]
        guard !digits.isEmpty, digits.count <= 3 else { return nil }
        var length = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + Int(d - UInt8(ascii: "0"))
        }
        guard let address = IPAddress(utf8: text[..<slash]) else { return nil }
        self.init(address: address, length: length)
    }

    /// Parses `addr/len` from a substring (UAPI lines).
    public init?(_ text: Substring) { self.init(utf8: text.utf8) }

    /// Appends `addr/len` to `out`.
    public func write(to out: inout String) {
        address.write(to: &out)
        out.append("/")
        out.append(String(length))
    }
}
