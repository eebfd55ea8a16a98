// SPDX-License-Identifier: MIT
// The `setconf` format as `wg showconf` prints it (showconf.c): [Interface] with ListenPort, FwMark and
// PrivateKey, then one [Peer] block per peer in the device's order, blank lines between peers.

public enum ConfigFileWriter {
    public static func showconf(_ status: DeviceStatus) -> String {
        var out = "[Interface]\n"
        if status.listenPort != 0 { out += "ListenPort = \(status.listenPort)\n" }
        if status.fwmark != 0 { out += "FwMark = 0x\(String(status.fwmark, radix: 16))\n" }
        if let key = status.privateKey { out += "PrivateKey = \(key.base64)\n" }
        out += "\n"
        for (i, peer) in status.peers.enumerated() {
            out += "[Peer]\nPublicKey = \(peer.publicKey.base64)\n"
            if let psk = peer.presharedKey { out += "PresharedKey = \(psk.base64)\n" }
            if !peer.allowedIPs.isEmpty { out += "AllowedIPs = \(peer.allowedIPs.map(\.description).joined(separator: ", "))\n" }
            if let endpoint = peer.endpoint { out += "Endpoint = \(endpoint)\n" }
            if peer.persistentKeepalive != 0 { out += "PersistentKeepalive = \(peer.persistentKeepalive)\n" }
            if i + 1 < status.peers.count { out += "\n" }
        }
        return out
    }
}
