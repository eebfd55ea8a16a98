// SPDX-License-Identifier: MIT
// The `get=1` reply (wireguard-go uapi.go `IpcGetOperation`): device lines, one block per peer, `errno=0`
// and a blank line, in wireguard-go's order so that byte comparisons with it are meaningful.

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
            for prefix in peer.allowedIPs { out += "allowed_ip=\(prefix)\n" }
        }
        out += "errno=0\n\n"
        return out
    }

    /// The `set=1` reply for success.
    public static let setSuccess = "errno=0\n\n"
}
