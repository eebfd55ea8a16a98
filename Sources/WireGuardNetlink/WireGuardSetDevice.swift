// SPDX-License-Identifier: MIT
// WG_CMD_SET_DEVICE: a DeviceUpdate as the messages wireguard-tools' kernel_set_device sends. Each message
// is at most `limit` bytes (wg uses its socket buffer size, the page size capped at 8 KiB). The first carries
// the device's own attributes (and WGDEVICE_F_REPLACE_PEERS); when the peers do not fit, the next message
// starts again with WGDEVICE_A_IFNAME and the peer that did not fit; a peer cut inside its allowed IPs is
// repeated with only its key, its remove/update-only flags and the remaining allowed IPs, so
// WGPEER_F_REPLACE_ALLOWEDIPS, the preshared key, endpoint and keepalive are sent once, in its first fragment.

import WireGuardCrypto
import WireGuardModel

public enum WireGuardSetDevice {
    /// The messages for `update` to interface `name` (IFNAMSIZ - 1 bytes at most), numbered from `sequence`.
    public static func requests(family: UInt16, name: String, update: DeviceUpdate, sequence: UInt32,
                                limit: Int) -> [[UInt8]] {
        typealias G = WireGuardGenl
        var messages: [[UInt8]] = []
        // Where the previous message stopped: the peer to start with, and inside it the allowed IP.
        var peerIndex: Int?
        var allowedIPIndex: Int?
        repeat {
            var m = GenericNetlinkFamily.message(
                family: family, command: G.WG_CMD_SET_DEVICE, version: G.WG_GENL_VERSION,
                flags: Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK,
                sequence: sequence &+ UInt32(truncatingIfNeeded: messages.count))
            m.put(G.WGDEVICE_A_IFNAME, NetlinkPayload.string(name))
            if peerIndex == nil { putDevice(update, into: &m) }
            if !update.peers.isEmpty {
                let stop = putPeers(update.peers, from: peerIndex ?? 0, allowedIP: allowedIPIndex, into: &m, limit: limit)
                peerIndex = stop?.peer
                allowedIPIndex = stop?.allowedIP
            }
            messages.append(m.finish())
        } while peerIndex != nil
        return messages
    }

    private static func putDevice(_ update: DeviceUpdate, into m: inout NetlinkMessageBuilder) {
        typealias G = WireGuardGenl
        if let key = update.privateKey { m.put(G.WGDEVICE_A_PRIVATE_KEY, key.secret.withBytes { Array($0) }) }
        if let port = update.listenPort { m.put(G.WGDEVICE_A_LISTEN_PORT, NetlinkPayload.integer(port)) }
        if let mark = update.fwmark { m.put(G.WGDEVICE_A_FWMARK, NetlinkPayload.integer(mark)) }
        if update.replacePeers { m.put(G.WGDEVICE_A_FLAGS, NetlinkPayload.integer(G.WGDEVICE_F_REPLACE_PEERS)) }
    }

    /// Puts peers from `first` on (resuming at allowed IP `resume` of that peer); returns where the next
    /// message must resume, nil when every peer was put.
    private static func putPeers(_ peers: [PeerUpdate], from first: Int, allowedIP resume: Int?,
                                 into m: inout NetlinkMessageBuilder, limit: Int) -> (peer: Int, allowedIP: Int?)? {
        typealias G = WireGuardGenl
        var resume = resume
        let peersNest = m.startNest(G.WGDEVICE_A_PEERS)
        for index in first..<peers.count {
            let peer = peers[index]
            // Out of room before this peer's first byte: drop the partial peer, resume with it next time.
            let tooBigPeers = { (m: inout NetlinkMessageBuilder, nest: Int?) -> (peer: Int, allowedIP: Int?) in
                if let nest { m.cancelNest(nest) }
                m.endNest(peersNest)
                return (index, resume)
            }
            guard let peerNest = m.startNestChecked(limit: limit, 0) else { return tooBigPeers(&m, nil) }
            guard m.putChecked(limit: limit, G.WGPEER_A_PUBLIC_KEY, peer.publicKey.bytes) else {
                return tooBigPeers(&m, peerNest)
            }
            var flags: UInt32 = peer.remove ? G.WGPEER_F_REMOVE_ME : 0
            if peer.updateOnly { flags |= G.WGPEER_F_UPDATE_ONLY }
            if resume == nil {
                if peer.replaceAllowedIPs { flags |= G.WGPEER_F_REPLACE_ALLOWEDIPS }
                if let psk = peer.presharedKey,
                   !m.putChecked(limit: limit, G.WGPEER_A_PRESHARED_KEY, psk.secret.withBytes { Array($0) }) {
                    return tooBigPeers(&m, peerNest)
                }
                if let endpoint = peer.endpoint,
                   !m.putChecked(limit: limit, G.WGPEER_A_ENDPOINT, SocketAddress.encode(endpoint)) {
                    return tooBigPeers(&m, peerNest)
                }
                if let keepalive = peer.persistentKeepalive,
                   !m.putChecked(limit: limit, G.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, NetlinkPayload.integer(keepalive)) {
                    return tooBigPeers(&m, peerNest)
                }
            }
            if flags != 0 && !m.putChecked(limit: limit, G.WGPEER_A_FLAGS, NetlinkPayload.integer(flags)) {
                return tooBigPeers(&m, peerNest)
            }
            if !peer.allowedIPs.isEmpty {
                var next = resume ?? 0
                resume = next
                // Out of room inside the allowed IPs: close what fits, resume at the IP that did not.
                let tooBigAllowedIPs = { (m: inout NetlinkMessageBuilder, list: Int?, entry: Int?) -> (peer: Int, allowedIP: Int?) in
                    if let entry { m.cancelNest(entry) }
                    if let list { m.endNest(list) }
                    m.endNest(peerNest)
                    m.endNest(peersNest)
                    return (index, next)
                }
                guard let list = m.startNestChecked(limit: limit, G.WGPEER_A_ALLOWEDIPS) else {
                    return tooBigAllowedIPs(&m, nil, nil)
                }
                while next < peer.allowedIPs.count {
                    guard let entry = m.startNestChecked(limit: limit, 0) else { return tooBigAllowedIPs(&m, list, nil) }
                    guard putAllowedIP(peer.allowedIPs[next], into: &m, limit: limit) else {
                        return tooBigAllowedIPs(&m, list, entry)
                    }
                    m.endNest(entry)
                    next += 1
                }
                m.endNest(list)
            }
            m.endNest(peerNest)
            resume = nil
        }
        m.endNest(peersNest)
        return nil
    }

    private static func putAllowedIP(_ change: AllowedIPChange, into m: inout NetlinkMessageBuilder, limit: Int) -> Bool {
        typealias G = WireGuardGenl
        let prefix: IPPrefix
        let flags: UInt32
        switch change {
        case .add(let p): (prefix, flags) = (p, 0)
        case .remove(let p): (prefix, flags) = (p, G.WGALLOWEDIP_F_REMOVE_ME)
        }
        let family = prefix.address.isV4 ? G.AF_INET : G.AF_INET6
        return m.putChecked(limit: limit, G.WGALLOWEDIP_A_FAMILY, NetlinkPayload.integer(family))
            && m.putChecked(limit: limit, G.WGALLOWEDIP_A_IPADDR, prefix.address.bytes)
            && m.putChecked(limit: limit, G.WGALLOWEDIP_A_CIDR_MASK, [UInt8(prefix.length)])
            && (flags == 0 || m.putChecked(limit: limit, G.WGALLOWEDIP_A_FLAGS, NetlinkPayload.integer(flags)))
    }
}
