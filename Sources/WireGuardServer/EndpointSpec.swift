// SPDX-License-Identifier: MIT
// The server's address as clients write it (`Endpoint = HOST:PORT`): an IPv4 address, an IPv6 address in
// brackets, or a host name, with an optional port.

import WireGuardModel

public struct EndpointSpec: Equatable, Sendable, CustomStringConvertible {
    /// The host without brackets.
    public let host: String
    /// Nil when the text had none (the listen port is used).
    public let port: UInt16?

    public init(host: String, port: UInt16?) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST[:PORT]`, `[IPV6][:PORT]` or a bare IPv6 address; the error names the text.
    public init(parsing text: String) throws(ServerError) {
        let bad = ServerError("endpoint `\(text)' is not HOST, HOST:PORT or [IPV6]:PORT")
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw bad }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            guard case .v6? = IPAddress(String(host)) else { throw bad }
            if !rest.isEmpty {
                guard rest.first == ":" else { throw bad }
                portText = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count > 1 {
            guard case .v6? = IPAddress(String(host)) else { throw bad }
        } else if let colon = host.firstIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
            guard Self.isHost(host) else { throw bad }
        } else {
            guard Self.isHost(host) else { throw bad }
        }
        var port: UInt16?
        if let portText {
            guard let p = Self.parsePort(String(portText)) else {
                throw ServerError("endpoint `\(text)': port `\(portText)' is not a number from 1 to 65535")
            }
            port = p
        }
        self.init(host: String(host), port: port)
    }

    /// A port from 1 to 65535.
    public static func parsePort(_ text: String) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let n = Int(text), n >= 1, n <= 65535 else { return nil }
        return UInt16(n)
    }

    /// A dotted quad, or a DNS name: labels of letters, digits and inner hyphens, at most 63 characters each,
    /// 253 in all. (A name that is all digits and dots must be a valid IPv4 address.)
    static func isHost(_ text: Substring) -> Bool {
        if text.isEmpty || text.utf8.count > 253 { return false }
        if text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2E }) { return IPAddress(String(text)) != nil }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { c in
                    (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2D
                }
        }
    }

    /// `HOST:PORT` as a client config writes it, `[…]` around IPv6.
    public func text(defaultPort: UInt16) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(shown):\(port ?? defaultPort)"
    }

    public var description: String { port.map { text(defaultPort: $0) } ?? (host.contains(":") ? "[\(host)]" : host) }
}
