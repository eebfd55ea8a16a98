// SPDX-License-Identifier: MIT
// The value parsers shared by config files and `wg set` (config.c: parse_port, parse_fwmark, parse_key,
// parse_keyfile, parse_endpoint, parse_persistent_keepalive, parse_allowedips), with wireguard-tools'
// acceptance rules and messages. Numbers go through strtoul as there, so odd inputs behave identically.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

/// A configuration that cannot be applied. `message` is what wg prints (without the final newline);
/// `fatal` errors end the command at once, without setconf's "Configuration parsing error" line.
public struct ConfigError: Error, Equatable, Sendable {
    public let message: String
    public let fatal: Bool

    public init(_ message: String, fatal: Bool = false) {
        self.message = message
        self.fatal = fatal
    }
}

struct ConfigValues {
    let resolver: NameResolver
    let environment: [String: String]
    /// Receives warnings and retry notices as they happen (one line each, no newline).
    let report: (String) -> Void

    /// A listen port: a number or a service name, as getaddrinfo reads it.
    func port(_ value: String) throws(ConfigError) -> UInt16 {
        guard !value.isEmpty else { throw ConfigError("Unable to parse empty port") }
        switch resolver.resolve(host: nil, service: value) {
        case .resolved(let endpoint): return endpoint.port
        case .neitherFamily: throw ConfigError("Neither IPv4 nor IPv6 address found: `\(value)'")
        case .failed(let message, _): throw ConfigError("\(message): `\(value)'")
        }
    }

    /// `off`, decimal or `0x` hex, at most 0xffffffff.
    func fwmark(_ value: String) throws(ConfigError) -> UInt32 {
        if value.lowercased() == "off" { return 0 }
        let hex = value.utf8.count > 2 && value.hasPrefix("0x")
        guard startsWithDigit(value), let n = Self.strtoul(value, base: hex ? 16 : 10), n <= UInt32.max else {
            throw ConfigError("Fwmark is neither 0/off nor 0-0xffffffff: `\(value)'")
        }
        return UInt32(n)
    }

    /// A base64 key.
    func key(_ value: String) throws(ConfigError) -> [UInt8] {
        guard let bytes = KeyEncoding.key(base64: value) else {
            throw ConfigError("Key is not the correct length or format: `\(value)'")
        }
        return bytes
    }

    /// A key read from a file (`-` is not special; `/dev/stdin` is). An empty file, such as /dev/null,
    /// is the all-zero key, which removes a private or preshared key.
    func keyFile(_ path: String) throws(ConfigError) -> [UInt8] {
        guard let file = fopen(path, "r") else {
            throw ConfigError("fopen: \(errorText(errno))")
        }
        defer { fclose(file) }
        var text = [UInt8](repeating: 0, count: 45)
        if fread(&text, 44, 1, file) != 1 {
            if ferror(file) == 0 && feof(file) != 0 && ftell(file) == 0 { return [UInt8](repeating: 0, count: 32) }
            throw ConfigError("Invalid length key in key file")
        }
        while true {
            let c = getc(file)
            if c == EOF { break }
            guard Self.isSpace(UInt8(truncatingIfNeeded: c)) else {
                throw ConfigError("Found trailing character in key file: `\(String(decoding: [UInt8(truncatingIfNeeded: c)], as: UTF8.self))'")
            }
        }
        if ferror(file) != 0 && errno != 0 { throw ConfigError("getc: \(errorText(errno))") }
        // As a C string: an embedded NUL ends the key early (and makes it the wrong length).
        let end = text.firstIndex(of: 0) ?? 44
        return try key(String(decoding: text[..<end], as: UTF8.self))
    }

    /// `host:port` or `[v6]:port`, host names resolved, transient failures retried with a growing pause
    /// (WG_ENDPOINT_RESOLUTION_RETRIES: a count, or `infinity`; 15 when unset).
    func endpoint(_ value: String) throws(ConfigError) -> Endpoint {
        let retriesAllowed = try retries()
        guard !value.isEmpty else { throw ConfigError("Unable to parse empty endpoint") }
        let host: Substring
        let service: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else {
                throw ConfigError("Unable to find matching brace of endpoint: `\(value)'")
            }
            host = value[value.index(after: value.startIndex)..<close]
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":"), rest.count > 1 else { throw ConfigError("Unable to find port of endpoint: `\(value)'") }
            service = rest.dropFirst()
        } else {
            guard let colon = value.lastIndex(of: ":"), value.index(after: colon) != value.endIndex else {
                throw ConfigError("Unable to find port of endpoint: `\(value)'")
            }
            host = value[..<colon]
            service = value[value.index(after: colon)...]
        }
        var remaining = retriesAllowed
        var timeout: UInt32 = 1_000_000
        while true {
            switch resolver.resolve(host: String(host), service: String(service)) {
            case .resolved(let endpoint):
                return endpoint
            case .neitherFamily:
                throw ConfigError("Neither IPv4 nor IPv6 address found: `\(value)'")
            case .failed(let message, let permanent):
                if permanent || remaining == 0 { throw ConfigError("\(message): `\(value)'") }
                if remaining > 0 { remaining -= 1 }
                report("\(message): `\(value)'. Trying again in \(ShowFormatter.twoDecimals(Double(timeout) / 1_000_000)) seconds...")
                resolver.pause(microseconds: timeout)
                timeout = min(20_000_000, timeout * 6 / 5)
            }
        }
    }

    /// -1 means forever.
    private func retries() throws(ConfigError) -> Int {
        guard let text = environment["WG_ENDPOINT_RESOLUTION_RETRIES"] else { return 15 }
        if text == "infinity" { return -1 }
        guard let n = Self.strtoul(text, base: 10), n <= UInt(Int32.max) else {
            throw ConfigError("Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `\(text)'", fatal: true)
        }
        return Int(n)
    }

    /// `off` or 0-65535 seconds.
    func keepalive(_ value: String) throws(ConfigError) -> UInt16 {
        if value.lowercased() == "off" { return 0 }
        guard startsWithDigit(value), let n = Self.strtoul(value, base: 10), n <= 65535 else {
            throw ConfigError("Persistent keepalive interval is neither 0/off nor 1-65535: `\(value)'")
        }
        return UInt16(n)
    }

    /// A comma-separated list of `ip[/cidr]` (no spaces: callers strip them). The list replaces the peer's
    /// allowed IPs unless an entry starts with `+` (add) or `-` (remove), which makes the whole change
    /// incremental, as current wireguard-tools upstream does (Debian's 1.0.20210914 does not). An empty list clears them.
    func allowedIPs(_ value: String, into peer: inout PeerUpdate) throws(ConfigError) {
        peer.replaceAllowedIPs = true
        guard !value.isEmpty else { return }
        for rawEntry in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            // Bytes, as wg's C parser sees them (and without Character breaking, for 100,000 entries).
            var entry = Substring(rawEntry)
            var removing = false
            if let sign = entry.utf8.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                removing = sign == UInt8(ascii: "-")
                peer.replaceAllowedIPs = false
                entry = entry[entry.utf8.index(after: entry.startIndex)...]
            }
            let slash = entry.utf8.firstIndex(of: UInt8(ascii: "/"))
            let ipText = String(entry[..<(slash ?? entry.endIndex)])
            guard let address = IPAddress(ipText) else { throw ConfigError("Unable to parse IP address: `\(ipText)'") }
            var length = address.bitWidth
            if let slash {
                let maskText = String(entry[entry.utf8.index(after: slash)...])
                guard startsWithDigit(maskText), let n = Self.strtoul(maskText, base: 10), n <= UInt(address.bitWidth) else {
                    throw ConfigError("AllowedIP is not in the correct format: `\(entry)'")
                }
                length = Int(n)
            }
            let prefix = IPPrefix(address: address, length: length)!
            if prefix.address != address {
                report("Warning: AllowedIP has nonzero host part: \(ipText)/\(length)")
            }
            peer.allowedIPs.append(removing ? .remove(prefix) : .add(prefix))
        }
    }

    private func startsWithDigit(_ value: String) -> Bool {
        value.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false
    }

    /// strtoul over the whole string: nil when anything is left over (as wg's `*end` checks).
    static func strtoul(_ text: String, base: Int32) -> UInt? {
        text.withCString { start -> UInt? in
            var end: UnsafeMutablePointer<CChar>?
            let n = Glibc.strtoul(start, &end, base)
            guard let end, end.pointee == 0 else { return nil }
            return n
        }
    }

    /// wireguard-tools' char_is_space: tab, newline, vertical tab, form feed, carriage return, space.
    static func isSpace(_ c: UInt8) -> Bool { (9...13).contains(c) || c == 32 }
}
