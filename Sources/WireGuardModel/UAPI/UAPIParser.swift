// SPDX-License-Identifier: MIT
// Parsing a UAPI `set=1` body into a `DeviceUpdate` (wireguard-go uapi.go `IpcSetOperation`, protocol.md
// §12.3). The whole body is validated before anything is applied, so a request that fails anywhere changes
// nothing; wireguard-go applies line by line and can leave half a change behind.

/// The operation a UAPI request line names.
public enum UAPIOperation: Equatable, Sendable {
    case get
    case set

    /// `get=1` or `set=1`; nil for anything else (the connection is then closed without a reply).
    public init?(line: Substring) {
        switch line {
        case "get=1": self = .get
        case "set=1": self = .set
        default: return nil
        }
    }
}

public enum UAPIParser {
    /// Parses the `key=value` lines of a `set=1` request (the operation line and the final blank line
    /// excluded). Device keys must precede the first `public_key`; peer keys apply to the latest one.
    public static func parseSet(_ lines: some Sequence<Substring>) throws(UAPIError) -> DeviceUpdate {
        var update = DeviceUpdate()
        var peer: PeerUpdate?
        // `remove=true` or `update_only` of an absent peer makes the rest of the block irrelevant, but it
        // is still validated, as wireguard-go does.
        for line in lines {
            guard let eq = line.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw .protocolError("line without '=': \(line.prefix(64))")
            }
            let key = line[..<eq]
            let value = line[line.utf8.index(after: eq)...]
            if key == "public_key" {
                if let done = peer { update.peers.append(done) }
                peer = PeerUpdate(publicKey: try PublicKey(uapiHex: value, key))
                continue
            }
            guard var current = peer else {
                try parseDeviceKey(key, value, into: &update)
                continue
            }
            try parsePeerKey(key, value, into: &current)
            peer = current
        }
        if let done = peer { update.peers.append(done) }
        return update
    }

    private static func parseDeviceKey(_ key: Substring, _ value: Substring,
                                       into update: inout DeviceUpdate) throws(UAPIError) {
        switch key {
        case "private_key":
            update.privateKey = try PrivateKey(uapiHex: value, key)
        case "listen_port":
            update.listenPort = try number(value, key, as: UInt16.self)
        case "fwmark":
            update.fwmark = try number(value, key, as: UInt32.self)
        case "replace_peers":
            try requireTrue(value, key)
            update.replacePeers = true
        default:
            throw .invalid("invalid UAPI device key: \(key.prefix(64))")
        }
    }

    private static func parsePeerKey(_ key: Substring, _ value: Substring,
                                     into peer: inout PeerUpdate) throws(UAPIError) {
        // Most lines of a large request are allowed IPs: recognised by bytes before the general switch.
        if key.utf8.elementsEqual("allowed_ip".utf8) {
            try parseAllowedIP(value, into: &peer)
            return
        }
        switch key {
        case "remove":
            try requireTrue(value, key)
            peer.remove = true
        case "update_only":
            try requireTrue(value, key)
            peer.updateOnly = true
        case "preshared_key":
            peer.presharedKey = try PresharedKey(uapiHex: value, key)
        case "endpoint":
            guard let endpoint = Endpoint(String(value)) else {
                throw .invalid("invalid endpoint: \(value.prefix(64))")
            }
            peer.endpoint = endpoint
        case "persistent_keepalive_interval":
            peer.persistentKeepalive = try number(value, key, as: UInt16.self)
        case "replace_allowed_ips":
            try requireTrue(value, key)
            peer.replaceAllowedIPs = true
        case "allowed_ip":
            try parseAllowedIP(value, into: &peer)
        case "protocol_version":
            guard value == "1" else { throw .invalid("invalid protocol version: \(value.prefix(16))") }
        default:
            throw .invalid("invalid UAPI peer key: \(key.prefix(64))")
        }
    }

    /// `allowed_ip=PREFIX`, or `allowed_ip=-PREFIX` to remove one.
    private static func parseAllowedIP(_ value: Substring, into peer: inout PeerUpdate) throws(UAPIError) {
        let removing = value.utf8.first == UInt8(ascii: "-")
        let text = removing ? value.dropFirst() : value
        guard let prefix = IPPrefix(text) else {
            throw .invalid("invalid allowed IP: \(value.prefix(64))")
        }
        peer.allowedIPs.append(removing ? .remove(prefix) : .add(prefix))
    }

    private static func requireTrue(_ value: Substring, _ key: Substring) throws(UAPIError) {
        guard value == "true" else { throw .invalid("\(key) must be true, not \(value.prefix(16))") }
    }

    /// A decimal number with no sign, spaces or leading `+`.
    private static func number<T: FixedWidthInteger & UnsignedInteger>(_ value: Substring, _ key: Substring,
                                                                        as: T.Type) throws(UAPIError) -> T {
        guard let n = T(decimal: value) else {
            throw .invalid("invalid \(key): \(value.prefix(32))")
        }
        return n
    }
}

extension WireGuardKey {
    /// A key from UAPI's 64 hex digits (either case).
    init(uapiHex value: Substring, _ key: Substring) throws(UAPIError) {
        guard value.utf8.count == 64, let parsed = Self(hex: String(value)) else {
            throw .invalid("invalid \(key): not 64 hex digits")
        }
        self = parsed
    }
}
