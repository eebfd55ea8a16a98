// SPDX-License-Identifier: MIT

/// A peer's UDP address: IP and port. Written `a.b.c.d:port` or `[v6]:port` as UAPI and `wg` do.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses the numeric forms `1.2.3.4:51820` and `[fd00::1]:51820` (no host names: those are
    /// resolved by `wg` before they reach UAPI).
    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), portText.count <= 5,
              let port = UInt16(portText), let address = IPAddress(String(host)) else { return nil }
        self.init(address: address, port: port)
    }

    public var description: String {
        address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The bytes the kernel feeds into a cookie: IP (4 or 16 bytes) then the port, big-endian.
    public var cookieSourceBytes: [UInt8] {
        address.bytes + [UInt8(port >> 8), UInt8(port & 0xFF)]
    }
}

/// The local address a peer's datagrams reached us on, and the interface they came in on: replies to the
/// peer leave from it (the kernel's `endpoint.src4`/`src6` and `src_if4`, wireguard-go's `StdNetEndpoint`
/// source). Learned only from authenticated packets, kept beside the peer's endpoint.
public struct EndpointSource: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    /// The receiving interface's index (IPv4 pktinfo `ipi_ifindex`, IPv6 `ipi6_ifindex`); 0 when unknown.
    public let interfaceIndex: Int32

    public init(address: IPAddress, interfaceIndex: Int32) {
        self.address = address
        self.interfaceIndex = interfaceIndex
    }

    public var description: String { "\(address)%\(interfaceIndex)" }
}
