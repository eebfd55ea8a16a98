// SPDX-License-Identifier: MIT
// WG_CMD_GET_DEVICE: the dump request for one interface, and the dump's messages decoded into a
// DeviceStatus (wireguard-tools ipc-linux.h kernel_get_device, parse_device/parse_peer/parse_allowedip,
// coalesce_peers). The kernel splits a large device over several messages: the first carries the device's
// own attributes, later ones only WGDEVICE_A_IFNAME/IFINDEX and more peers, and a peer whose allowed IPs
// did not fit is repeated at the start of the next message with just its key and the remaining IPs.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

public enum WireGuardGetDevice {
    /// The dump request for interface `name` on the WireGuard family `family`.
    public static func request(family: UInt16, name: String, sequence: UInt32) -> [UInt8] {
        var builder = GenericNetlinkFamily.message(
            family: family, command: WireGuardGenl.WG_CMD_GET_DEVICE, version: WireGuardGenl.WG_GENL_VERSION,
            flags: Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_DUMP, sequence: sequence)
        builder.put(WireGuardGenl.WGDEVICE_A_IFNAME, NetlinkPayload.string(name))
        return builder.finish()
    }
}

/// The device assembled from a dump's data messages, one message at a time.
public struct WireGuardDeviceDump: Sendable {
    public private(set) var name: String?
    public private(set) var ifindex: UInt32?
    private var privateKey: PrivateKey?
    private var publicKey: PublicKey?
    private var listenPort: UInt16 = 0
    private var fwmark: UInt32 = 0
    private var peers: [PeerStatus] = []

    public init() {}

    /// Adds one WG_CMD_GET_DEVICE data message. Throws for attributes wireguard-tools refuses: a peer without
    /// a public key, an allowed IP of unknown family or too long a prefix; unknown attributes are skipped.
    public mutating func add(_ message: NetlinkMessage) throws(NetlinkDecodingError) {
        for attribute in try GenericNetlinkFamily.attributes(of: message) {
            typealias G = WireGuardGenl
            switch attribute.type {
            case G.WGDEVICE_A_IFINDEX: ifindex = try attribute.integer(UInt32.self)
            case G.WGDEVICE_A_IFNAME: name = attribute.string
            case G.WGDEVICE_A_PRIVATE_KEY:
                if attribute.payload.count == G.WG_KEY_LEN { privateKey = PrivateKey(bytes: Array(attribute.payload)) }
            case G.WGDEVICE_A_PUBLIC_KEY:
                if attribute.payload.count == G.WG_KEY_LEN { publicKey = PublicKey(bytes: Array(attribute.payload)) }
            case G.WGDEVICE_A_LISTEN_PORT: listenPort = try attribute.integer(UInt16.self)
            case G.WGDEVICE_A_FWMARK: fwmark = try attribute.integer(UInt32.self)
            case G.WGDEVICE_A_PEERS:
                for peer in try attribute.nested() { try addPeer(peer.nested()) }
            default: continue
            }
        }
    }

    /// The whole device: adjacent entries for the same key (a peer continued across messages) joined.
    public var status: DeviceStatus {
        var joined: [PeerStatus] = []
        for peer in peers {
            if let last = joined.last, last.publicKey == peer.publicKey {
                joined[joined.count - 1].allowedIPs += peer.allowedIPs
            } else {
                joined.append(peer)
            }
        }
        return DeviceStatus(privateKey: privateKey, publicKey: publicKey, listenPort: listenPort, fwmark: fwmark,
                            peers: joined)
    }

    private mutating func addPeer(_ attributes: [NetlinkAttribute]) throws(NetlinkDecodingError) {
        typealias G = WireGuardGenl
        guard let keyAttribute = attributes.first(where: {
            $0.type == G.WGPEER_A_PUBLIC_KEY && $0.payload.count == G.WG_KEY_LEN
        }), let key = PublicKey(bytes: Array(keyAttribute.payload)) else {
            throw NetlinkDecodingError("peer without WGPEER_A_PUBLIC_KEY")
        }
        var peer = PeerStatus(publicKey: key, presharedKey: nil, endpoint: nil, lastHandshake: nil, rxBytes: 0,
                              txBytes: 0, persistentKeepalive: 0, allowedIPs: [])
        for attribute in attributes {
            switch attribute.type {
            case G.WGPEER_A_PRESHARED_KEY:
                if attribute.payload.count == G.WG_KEY_LEN, let psk = PresharedKey(bytes: Array(attribute.payload)),
                   !psk.isZero {
                    peer.presharedKey = psk
                }
            case G.WGPEER_A_ENDPOINT: peer.endpoint = SocketAddress.decode(attribute.payload) ?? peer.endpoint
            case G.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: peer.persistentKeepalive = try attribute.integer(UInt16.self)
            case G.WGPEER_A_LAST_HANDSHAKE_TIME:
                if attribute.payload.count == G.timespecLength {
                    let p = attribute.payload
                    peer.lastHandshake = WallTime(seconds: readInteger(Int64.self, p, at: p.startIndex),
                                                  nanoseconds: readInteger(Int64.self, p, at: p.startIndex + 8))
                }
            case G.WGPEER_A_RX_BYTES: peer.rxBytes = try attribute.integer(UInt64.self)
            case G.WGPEER_A_TX_BYTES: peer.txBytes = try attribute.integer(UInt64.self)
            case G.WGPEER_A_PROTOCOL_VERSION: peer.protocolVersion = Int(try attribute.integer(UInt32.self))
            case G.WGPEER_A_ALLOWEDIPS:
                for entry in try attribute.nested() { peer.allowedIPs.append(try Self.allowedIP(entry.nested())) }
            default: continue
            }
        }
        peers.append(peer)
    }

    private static func allowedIP(_ attributes: [NetlinkAttribute]) throws(NetlinkDecodingError) -> IPPrefix {
        typealias G = WireGuardGenl
        var family: UInt16 = 0
        var address: [UInt8] = []
        var cidr = 0
        for attribute in attributes {
            switch attribute.type {
            case G.WGALLOWEDIP_A_FAMILY: family = try attribute.integer(UInt16.self)
            case G.WGALLOWEDIP_A_IPADDR:
                if attribute.payload.count == 4 || attribute.payload.count == 16 { address = Array(attribute.payload) }
            case G.WGALLOWEDIP_A_CIDR_MASK: cidr = Int(try attribute.integer(UInt8.self))
            default: continue
            }
        }
        let width = family == G.AF_INET ? 4 : family == G.AF_INET6 ? 16 : 0
        guard width != 0, address.count == width, let ip = IPAddress(bytes: address),
              let prefix = IPPrefix(address: ip, length: cidr) else {
            throw NetlinkDecodingError("allowed IP of family \(family), \(address.count) bytes, /\(cidr)")
        }
        return prefix
    }
}

/// Decodes the whole reply to a WG_CMD_GET_DEVICE dump: every buffer received, in order, up to and including
/// the one holding NLMSG_DONE. Sequence and port checks are skipped (pass buffers of one exchange). Throws
/// `NetlinkError` with the kernel's errno for an error reply, EINVAL for malformed input; never traps.
/// This is the fuzzing entry point for the decoders.
public func decodeWireGuardDeviceDump(_ buffers: [[UInt8]]) throws(NetlinkError) -> DeviceStatus {
    var dump = WireGuardDeviceDump()
    for buffer in buffers {
        let reply = try NetlinkReply.read(buffer[...], sequence: 0, portID: 0)
        for message in reply.data {
            do { try dump.add(message) } catch { throw NetlinkError(error) }
        }
        if reply.finished { return dump.status }
    }
    throw NetlinkError(errno: EINVAL, "dump ended without NLMSG_DONE")
}

/// `decodeWireGuardDeviceDump` for a reply received in a single buffer.
public func decodeWireGuardDeviceDump(_ buffer: [UInt8]) throws(NetlinkError) -> DeviceStatus {
    try decodeWireGuardDeviceDump([buffer])
}
