// SPDX-License-Identifier: MIT
// The `get=1` reply (wireguard-go uapi.go `IpcGetOperation`): device lines, one block per peer, `errno=0`
// and a blank line, in wireguard-go's order so that byte comparisons with it are meaningful. And the `set=1`
// request a client sends (wireguard-tools ipc-uapi.h `userspace_set_device`), in the same key order.

public enum UAPIWriter {
    /// The full `get=1` reply for `status`, ending with `errno=0` and the blank line.
    public static func getReply(_ status: DeviceStatus) -> String {
        var out = ""
        out.reserveCapacity(128 + status.peers.reduce(0) { $0 + 360 + $1.allowedIPs.count * 32 })
        if let key = status.privateKey { out += "private_key=\(key.hex)\n" }
        if status.listenPort != 0 { out += "listen_port=\(status.listenPort)\n" }
        if status.fwmark != 0 { out += "fwmark=\(status.fwmark)\n" }
        for peer in status.peers {
            out += "public_key=\(peer.publicKey.hex)\n"
            out += "preshared_key=\((peer.presharedKey ?? .zero).hex)\n"
            out += "protocol_version=\(peer.protocolVersion)\n"
            if let endpoint = peer.endpoint { out += "endpoint=\(endpoint)\n" }
            let handshake = peer.lastHandshake ?? WallTime(seconds: 0)
            out += "last_handshake_time_sec=\(handshake.seconds)\n"
            out += "last_handshake_time_nsec=\(handshake.nanoseconds)\n"
            out += "tx_bytes=\(peer.txBytes)\n"
            out += "rx_bytes=\(peer.rxBytes)\n"
            out += "persistent_keepalive_interval=\(peer.persistentKeepalive)\n"
            for prefix in peer.allowedIPs {
                out += "allowed_ip="
                prefix.write(to: &out)
                out += "\n"
            }
        }
        out += "errno=0\n\n"
        return out
    }

    /// The `set=1` request for `update`, ending with the blank line. A removed peer is its key and
    /// `remove=true` only; a removed prefix is written `allowed_ip=-…` (newer UAPI; old daemons refuse it).
    public static func setRequest(_ update: DeviceUpdate) -> String {
        var out = "set=1\n"
        if let key = update.privateKey { out += "private_key=\(key.hex)\n" }
        if let port = update.listenPort { out += "listen_port=\(port)\n" }
        if let mark = update.fwmark { out += "fwmark=\(mark)\n" }
        if update.replacePeers { out += "replace_peers=true\n" }
        for peer in update.peers {
            out += "public_key=\(peer.publicKey.hex)\n"
            if peer.remove {
                out += "remove=true\n"
                continue
            }
            if peer.updateOnly { out += "update_only=true\n" }
            if let psk = peer.presharedKey { out += "preshared_key=\(psk.hex)\n" }
            if let endpoint = peer.endpoint { out += "endpoint=\(endpoint)\n" }
            if let interval = peer.persistentKeepalive { out += "persistent_keepalive_interval=\(interval)\n" }
            if peer.replaceAllowedIPs { out += "replace_allowed_ips=true\n" }
            for change in peer.allowedIPs {
                switch change {
                case .add(let prefix): out += "allowed_ip="; prefix.write(to: &out)
                case .remove(let prefix): out += "allowed_ip=-"; prefix.write(to: &out)
                }
                out += "\n"
            }
        }
        return out + "\n"
    }

    /// The `set=1` reply for success.
    public static let setSuccess = "errno=0\n\n"
}
