// SPDX-License-Identifier: MIT
// The argument grammar of `wg set` (config.c config_read_cmd): device options first, then any number of
// `peer KEY` blocks with their options. Every option takes one value except `remove`; an option in the
// wrong place, or missing its value, is an "Invalid argument".

import WireGuardModel

enum SetArguments {
    /// Parses the arguments after the interface name into the change they describe.
    static func parse(_ arguments: ArraySlice<String>, values: ConfigValues) throws(ConfigError) -> DeviceUpdate {
        var update = DeviceUpdate()
        var args = arguments
        var peer: PeerUpdate?
        func finishPeer() {
            if let done = peer { update.peers.append(done) }
        }
        while let option = args.first {
            let value = args.dropFirst().first
            let inPeer = peer != nil
            switch (option, value) {
            case ("listen-port", let value?) where !inPeer:
                update.listenPort = try values.port(value)
            case ("fwmark", let value?) where !inPeer:
                update.fwmark = try values.fwmark(value)
            case ("private-key", let value?) where !inPeer:
                update.privateKey = PrivateKey(bytes: try values.keyFile(value))
            case ("peer", let value?):
                finishPeer()
                peer = PeerUpdate(publicKey: PublicKey(bytes: try values.key(value))!)
            case ("remove", _) where inPeer:
                peer!.remove = true
                args = args.dropFirst()
                continue
            case ("endpoint", let value?) where inPeer:
                peer!.endpoint = try values.endpoint(value)
            case ("allowed-ips", let value?) where inPeer:
                let compact = String(decoding: value.utf8.filter { !ConfigValues.isSpace($0) }, as: UTF8.self)
                try values.allowedIPs(compact, into: &peer!)
            case ("persistent-keepalive", let value?) where inPeer:
                peer!.persistentKeepalive = try values.keepalive(value)
            case ("preshared-key", let value?) where inPeer:
                peer!.presharedKey = PresharedKey(bytes: try values.keyFile(value))
            default:
                throw ConfigError("Invalid argument: \(option)")
            }
            args = args.dropFirst(2)
        }
        finishPeer()
        return update
    }
}
