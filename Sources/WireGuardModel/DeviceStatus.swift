// SPDX-License-Identifier: MIT

/// Wall-clock time as seconds and nanoseconds since the Unix epoch (what UAPI's
/// `last_handshake_time_sec/nsec` carry).
public struct WallTime: Hashable, Comparable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: WallTime, b: WallTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// Everything `get=1` reports about a device.
public struct DeviceStatus: Sendable, Equatable {
    public var privateKey: PrivateKey?
    public var publicKey: PublicKey?
    public var listenPort: UInt16
    public var fwmark: UInt32
    public var peers: [PeerStatus]

    public init(privateKey: PrivateKey?, publicKey: PublicKey?, listenPort: UInt16, fwmark: UInt32, peers: [PeerStatus]) {
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.listenPort = listenPort
        self.fwmark = fwmark
        self.peers = peers
    }
}

/// One peer as `get=1` reports it.
public struct PeerStatus: Sendable, Equatable {
    public var publicKey: PublicKey
    public var presharedKey: PresharedKey?
    public var endpoint: Endpoint?
    /// Wall-clock time of the last completed handshake; nil if never.
    public var lastHandshake: WallTime?
    public var rxBytes: UInt64
    public var txBytes: UInt64
    public var persistentKeepalive: UInt16
    public var allowedIPs: [IPPrefix]
    public var protocolVersion: Int

    public init(publicKey: PublicKey, presharedKey: PresharedKey?, endpoint: Endpoint?, lastHandshake: WallTime?,
                rxBytes: UInt64, txBytes: UInt64, persistentKeepalive: UInt16, allowedIPs: [IPPrefix],
                protocolVersion: Int = 1) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.lastHandshake = lastHandshake
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.persistentKeepalive = persistentKeepalive
        self.allowedIPs = allowedIPs
        self.protocolVersion = protocolVersion
    }
}
