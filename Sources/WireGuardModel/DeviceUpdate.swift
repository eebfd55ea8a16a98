// SPDX-License-Identifier: MIT
// The neutral configuration delta (the role of `struct wgdevice` used as a change set in wireguard-tools).
// UAPI `set`, config files and `wg set` all parse into it; the protocol engine applies it.

/// A change to a device. `nil` fields are left alone.
public struct DeviceUpdate: Sendable, Equatable {
    /// New private key; the all-zero key removes it.
    public var privateKey: PrivateKey?
    public var listenPort: UInt16?
    /// 0 turns the mark off.
    public var fwmark: UInt32?
    /// Remove every peer before applying `peers`.
    public var replacePeers = false
    public var peers: [PeerUpdate] = []

    public init(privateKey: PrivateKey? = nil, listenPort: UInt16? = nil, fwmark: UInt32? = nil,
                replacePeers: Bool = false, peers: [PeerUpdate] = []) {
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.fwmark = fwmark
        self.replacePeers = replacePeers
        self.peers = peers
    }
}

/// A change to one peer, selected by public key.
public struct PeerUpdate: Sendable, Equatable {
    public var publicKey: PublicKey
    /// Remove the peer; everything else in this update is ignored.
    public var remove = false
    /// Only change an existing peer; never create one.
    public var updateOnly = false
    /// New preshared key; the all-zero key removes it.
    public var presharedKey: PresharedKey?
    public var endpoint: Endpoint?
    /// Seconds, 0 = off.
    public var persistentKeepalive: UInt16?
    /// Remove all current allowed IPs before applying `allowedIPs`.
    public var replaceAllowedIPs = false
    public var allowedIPs: [AllowedIPChange] = []

    public init(publicKey: PublicKey, remove: Bool = false, updateOnly: Bool = false,
                presharedKey: PresharedKey? = nil, endpoint: Endpoint? = nil, persistentKeepalive: UInt16? = nil,
                replaceAllowedIPs: Bool = false, allowedIPs: [AllowedIPChange] = []) {
        self.publicKey = publicKey
        self.remove = remove
        self.updateOnly = updateOnly
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
        self.replaceAllowedIPs = replaceAllowedIPs
        self.allowedIPs = allowedIPs
    }
}

/// Add a prefix to a peer, or remove one prefix from it (UAPI `allowed_ip=-…`).
public enum AllowedIPChange: Sendable, Equatable {
    case add(IPPrefix)
    case remove(IPPrefix)
}
