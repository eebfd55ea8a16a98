// SPDX-License-Identifier: MIT
// Everything wg-server needs to regenerate the server config and a client config: the settings `init` was
// given, and per peer its name, address and whether it keeps alive. The keys live in their own files
// (ServerLayout); `ServerState+Text.swift` reads and writes the state file.

/// The settings chosen at `init`.
public struct ServerSettings: Equatable, Sendable {
    /// The server's interface (wg0): its config is DIR/INTERFACE.conf.
    public var interface: String
    public var listenPort: UInt16
    public var subnet: IPv4Subnet
    /// Where clients reach the server; its port defaults to `listenPort`.
    public var endpoint: EndpointSpec
    /// The clients' `DNS =` addresses; empty for no DNS line.
    public var dns: [String]
    /// The clients' `AllowedIPs`, in the order given.
    public var allowedIPs: [String]
    /// Whether peers added later keep alive (`--keepalive all`).
    public var keepaliveAll: Bool
    /// `MTU =` in the server and client configs, when given.
    public var mtu: Int?
    /// The interface the tunnel's traffic is masqueraded out of (the default route's).
    public var outInterface: String

    public init(interface: String, listenPort: UInt16, subnet: IPv4Subnet, endpoint: EndpointSpec, dns: [String],
                allowedIPs: [String], keepaliveAll: Bool, mtu: Int?, outInterface: String) {
        self.interface = interface
        self.listenPort = listenPort
        self.subnet = subnet
        self.endpoint = endpoint
        self.dns = dns
        self.allowedIPs = allowedIPs
        self.keepaliveAll = keepaliveAll
        self.mtu = mtu
        self.outInterface = outInterface
    }

    /// linuxserver's defaults where it has them.
    public static let defaultListenPort: UInt16 = 51820
    public static let defaultSubnet = "10.13.13.0"
    public static let defaultAllowedIPs = ["0.0.0.0/0", "::/0"]
    public static let defaultInterface = "wg0"
    /// `PersistentKeepalive =` for the peers that keep alive (linuxserver's 25 s).
    public static let persistentKeepalive = 25
}

/// One peer as the state file records it.
public struct PeerRecord: Equatable, Sendable {
    public var name: String
    /// Host order.
    public var address: UInt32
    public var keepalive: Bool

    public init(name: String, address: UInt32, keepalive: Bool) {
        self.name = name
        self.address = address
        self.keepalive = keepalive
    }
}

/// A peer's keys, base64 as in config files.
public struct PeerKeys: Equatable, Sendable {
    public var privateKey: String
    public var publicKey: String
    public var presharedKey: String

    public init(privateKey: String, publicKey: String, presharedKey: String) {
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.presharedKey = presharedKey
    }
}

/// The settings and the peers, in the order they were added.
public struct ServerState: Equatable, Sendable {
    public var settings: ServerSettings
    public var peers: [PeerRecord]

    public init(settings: ServerSettings, peers: [PeerRecord]) {
        self.settings = settings
        self.peers = peers
    }

    public func peer(named name: String) -> PeerRecord? { peers.first { $0.name == name } }

    /// The addresses in use by peers (the server's is never handed out).
    public var usedAddresses: Set<UInt32> { Set(peers.map(\.address)) }
}
