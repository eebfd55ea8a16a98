// SPDX-License-Identifier: MIT
// Loading what `init` wrote (state file and key files) and staging everything a change rewrites: the server
// config, the state file, and a new peer's folder (keys, client config, QR PNG).

import WireGuardCrypto
import WireGuardModel

public struct ServerStore {
    public let layout: ServerLayout

    public init(layout: ServerLayout) { self.layout = layout }

    /// The state, the server's private and public key, and every peer's keys.
    public func load() throws(ServerError) -> (state: ServerState, serverPrivateKey: String, serverPublicKey: String, keys: [String: PeerKeys]) {
        guard Files.exists(layout.stateFile) else {
            throw ServerError("no wg-server state for \(layout.interface) in \(layout.directory) (run `wg-server init' first)")
        }
        let state = try ServerState(stateText: try Files.readText(layout.stateFile), file: layout.stateFile)
        guard state.settings.interface == layout.interface else {
            throw ServerError("\(layout.stateFile) is for interface \(state.settings.interface), not \(layout.interface)")
        }
        var keys: [String: PeerKeys] = [:]
        for peer in state.peers {
            keys[peer.name] = PeerKeys(privateKey: try readKey(layout.peerPrivateKey(peer.name)),
                                       publicKey: try readKey(layout.peerPublicKey(peer.name)),
                                       presharedKey: try readKey(layout.peerPresharedKey(peer.name)))
        }
        return (state, try readKey(layout.serverPrivateKey), try readKey(layout.serverPublicKey), keys)
    }

    /// A base64 key file (one key, whitespace around it allowed).
    func readKey(_ path: String) throws(ServerError) -> String {
        let text = ServerState.trimmed(Substring(try Files.readText(path).filter { $0 != "\n" && $0 != "\r" }))
        guard KeyEncoding.key(base64: text) != nil else { throw ServerError("\(path) does not hold a base64 key") }
        return text
    }

    /// Fresh keys for a peer.
    public static func generateKeys(using random: RandomSource) -> PeerKeys {
        let privateKey = PrivateKey.generate(using: random)
        return PeerKeys(privateKey: privateKey.base64, publicKey: privateKey.publicKey!.base64,
                        presharedKey: KeyEncoding.base64(random.bytes(32)))
    }

    /// A fresh private key and its public key, base64.
    public static func generateKeyPair(using random: RandomSource) -> (privateKey: String, publicKey: String) {
        let privateKey = PrivateKey.generate(using: random)
        return (privateKey.base64, privateKey.publicKey!.base64)
    }

    /// Stages the server config and the state file.
    public func stageServer(_ state: ServerState, serverPrivateKey: String, keys: [String: PeerKeys],
                            in transaction: FileTransaction) throws(ServerError) {
        let peers = state.peers.map { ($0, keys[$0.name]!) }
        try transaction.stage(layout.serverConfig, ConfigText.server(state.settings, serverPrivateKey: serverPrivateKey, peers: peers))
        try transaction.stage(layout.stateFile, state.stateText)
    }

    /// Makes the peer's folder and stages its keys, client config and QR PNG; returns the client config.
    @discardableResult
    public func stagePeer(_ record: PeerRecord, keys: PeerKeys, settings: ServerSettings, serverPublicKey: String,
                          in transaction: FileTransaction) throws(ServerError) -> String {
        let config = ConfigText.client(settings, record: record, keys: keys, serverPublicKey: serverPublicKey)
        try transaction.makeDirectory(layout.peerDirectory(record.name))
        try transaction.stage(layout.peerPrivateKey(record.name), keys.privateKey + "\n")
        try transaction.stage(layout.peerPublicKey(record.name), keys.publicKey + "\n")
        try transaction.stage(layout.peerPresharedKey(record.name), keys.presharedKey + "\n")
        try transaction.stage(layout.peerConfig(record.name), config)
        try transaction.stage(layout.peerPNG(record.name), try Self.png(of: config))
        return config
    }

    /// The PNG of `text`'s QR code.
    public static func png(of text: String) throws(ServerError) -> [UInt8] {
        let image = try QREncoder.encode(text).grayPixels()
        return try PNGEncoder.encode(side: image.side, gray: image.pixels)
    }
}
