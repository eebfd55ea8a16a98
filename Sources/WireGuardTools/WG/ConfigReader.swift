// SPDX-License-Identifier: MIT
// Reading a wg configuration file (config.c config_read_init / config_read_line / config_read_finish):
// `#` starts a comment, whitespace anywhere is ignored, section names and keys are case-insensitive, a key
// needs a non-empty value. Without `append` (setconf, syncconf) the file describes the whole device: the
// private key, port and fwmark are set even when absent (to none, 0, off) and the peers are replaced.

import WireGuardModel

struct ConfigReader {
    private enum Section { case none, interface, peer }

    private let values: ConfigValues
    private var update: DeviceUpdate
    private var section = Section.none
    /// Per peer in `update.peers`: whether its PublicKey line has been seen.
    private var peerHasKey: [Bool] = []

    /// Keys that belong to wg-quick(8), not to wg(8); reaching wg, they get a hint besides the error.
    static let wgQuickKeys = ["address", "dns", "mtu", "table", "preup", "postup", "predown", "postdown", "saveconfig"]

    init(append: Bool, values: ConfigValues) {
        self.values = values
        update = append ? DeviceUpdate()
            : DeviceUpdate(privateKey: PrivateKey(bytes: [UInt8](repeating: 0, count: 32)), listenPort: 0, fwmark: 0, replacePeers: true)
    }

    /// Applies one line. The error's message is wg's, for the line as wg shows it (spaces removed).
    mutating func readLine(_ input: ArraySlice<UInt8>) throws(ConfigError) {
        // A C string: a NUL ends the line; so does the comment character.
        let content = input.prefix { $0 != 0 && $0 != UInt8(ascii: "#") }
        let line = Array(content.filter { !ConfigValues.isSpace($0) })
        guard !line.isEmpty else { return }
        if Self.equalsIgnoringCase(line, "[Interface]") {
            section = .interface
            return
        }
        if Self.equalsIgnoringCase(line, "[Peer]") {
            section = .peer
            // The key is filled in by its PublicKey line; until then a placeholder stands in.
            update.peers.append(PeerUpdate(publicKey: PublicKey(bytes: [UInt8](repeating: 0, count: 32))!, replaceAllowedIPs: true))
            peerHasKey.append(false)
            return
        }
        switch section {
        case .interface:
            if let value = Self.value(line, "ListenPort") {
                update.listenPort = try values.port(value)
            } else if let value = Self.value(line, "FwMark") {
                update.fwmark = try values.fwmark(value)
            } else if let value = Self.value(line, "PrivateKey") {
                update.privateKey = PrivateKey(bytes: try values.key(value))
            } else {
                throw unrecognized(line, wgQuickHint: true)
            }
        case .peer:
            let index = update.peers.count - 1
            if let value = Self.value(line, "Endpoint") {
                update.peers[index].endpoint = try values.endpoint(value)
            } else if let value = Self.value(line, "PublicKey") {
                update.peers[index].publicKey = PublicKey(bytes: try values.key(value))!
                peerHasKey[index] = true
            } else if let value = Self.value(line, "AllowedIPs") {
                try values.allowedIPs(value, into: &update.peers[index])
            } else if let value = Self.value(line, "PersistentKeepalive") {
                update.peers[index].persistentKeepalive = try values.keepalive(value)
            } else if let value = Self.value(line, "PresharedKey") {
                update.peers[index].presharedKey = PresharedKey(bytes: try values.key(value))
            } else {
                throw unrecognized(line, wgQuickHint: false)
            }
        case .none:
            throw unrecognized(line, wgQuickHint: false)
        }
    }

    /// The configuration read, once every peer has its public key.
    func finish() throws(ConfigError) -> DeviceUpdate {
        guard !peerHasKey.contains(false) else { throw ConfigError("A peer is missing a public key") }
        return update
    }

    private func unrecognized(_ line: [UInt8], wgQuickHint: Bool) -> ConfigError {
        let text = String(decoding: line, as: UTF8.self)
        var message = "Line unrecognized: `\(text)'"
        let key = String(decoding: line.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
        // Ours only: wireguard-tools says nothing more, and people then wonder what is wrong with `Address`.
        if wgQuickHint, Self.wgQuickKeys.contains(key.lowercased()) {
            message += "\n`\(key)' is a wg-quick(8) key, not a wg(8) one: `wg-quick strip' prints the file without such keys"
        }
        return ConfigError(message)
    }

    /// The value after `key=` (case-insensitive), if the line starts with it and has a value.
    private static func value(_ line: [UInt8], _ key: String) -> String? {
        let prefix = Array(key.utf8) + [UInt8(ascii: "=")]
        guard line.count > prefix.count, equalsIgnoringCase(line[..<prefix.count], prefix) else { return nil }
        return String(decoding: line[prefix.count...], as: UTF8.self)
    }

    private static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: String) -> Bool {
        equalsIgnoringCase(a, Array(b.utf8))
    }

    private static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ c: UInt8) -> UInt8 { (65...90).contains(c) ? c + 32 : c }
}
