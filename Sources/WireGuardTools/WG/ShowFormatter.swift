// SPDX-License-Identifier: MIT
// `wg show` output, pure (status + now + settings → text), matching wireguard-tools' show.c: the pretty form
// (peers sorted by latest handshake, human durations and sizes, keys hidden unless WG_HIDE_KEYS=never, ANSI
// colours only when enabled), `dump`, and the single-field forms.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

public struct ShowFormatter {
    /// How the output should look; read from the environment and the terminal by `Show`.
    public struct Settings: Sendable {
        public var color: Bool
        public var hideKeys: Bool

        public init(color: Bool, hideKeys: Bool) {
            self.color = color
            self.hideKeys = hideKeys
        }
    }

    /// The single-field parameters `show` accepts, in usage order.
    public static let fields = ["public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys",
                                "endpoints", "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive", "dump"]

    public let settings: Settings
    /// Seconds since the epoch (for "… ago").
    public let now: Int64

    public init(settings: Settings, now: Int64) {
        self.settings = settings
        self.now = now
    }

    // MARK: ANSI

    private func paint(_ code: String) -> String { settings.color ? "\u{1b}[\(code)m" : "" }
    private var reset: String { paint("0") }
    private var bold: String { paint("1") }
    private var green: String { paint("32") }
    private var yellow: String { paint("33") }
    private var cyan: String { paint("36") }
    private var red: String { paint("31") }

    // MARK: Pretty

    /// The human-readable form for one interface.
    public func pretty(interface: String, _ status: DeviceStatus) -> String {
        var out = reset
        out += "\(green)\(bold)interface\(reset): \(green)\(interface)\(reset)\n"
        if let pub = status.publicKey { out += "  \(bold)public key\(reset): \(pub.base64)\n" }
        if let priv = status.privateKey { out += "  \(bold)private key\(reset): \(settings.hideKeys ? "(hidden)" : priv.base64)\n" }
        if status.listenPort != 0 { out += "  \(bold)listening port\(reset): \(status.listenPort)\n" }
        if status.fwmark != 0 { out += "  \(bold)fwmark\(reset): 0x\(String(status.fwmark, radix: 16))\n" }
        let peers = Self.sortedByHandshake(status.peers)
        if !peers.isEmpty { out += "\n" }
        for (i, peer) in peers.enumerated() {
            out += "\(yellow)\(bold)peer\(reset): \(yellow)\(peer.publicKey.base64)\(reset)\n"
            if let psk = peer.presharedKey { out += "  \(bold)preshared key\(reset): \(settings.hideKeys ? "(hidden)" : psk.base64)\n" }
            if let endpoint = peer.endpoint { out += "  \(bold)endpoint\(reset): \(endpoint)\n" }
            out += "  \(bold)allowed ips\(reset): "
            if peer.allowedIPs.isEmpty {
                out += "(none)\n"
            } else {
                out += peer.allowedIPs.map { "\($0.address)\(cyan)/\(reset)\($0.length)" }.joined(separator: ", ") + "\n"
            }
            if let hs = peer.lastHandshake, hs.seconds != 0 { out += "  \(bold)latest handshake\(reset): \(ago(hs.seconds))\n" }
            if peer.rxBytes != 0 || peer.txBytes != 0 {
                out += "  \(bold)transfer\(reset): \(bytes(peer.rxBytes)) received, \(bytes(peer.txBytes)) sent\n"
            }
            if peer.persistentKeepalive != 0 {
                out += "  \(bold)persistent keepalive\(reset): every \(duration(UInt64(peer.persistentKeepalive)))\n"
            }
            if i + 1 < peers.count { out += "\n" }
        }
        return out
    }

    /// Latest handshake first, peers that never completed one last; ties keep their order.
    static func sortedByHandshake(_ peers: [PeerStatus]) -> [PeerStatus] {
        func key(_ p: PeerStatus) -> WallTime? {
            guard let t = p.lastHandshake, t.seconds != 0 || t.nanoseconds != 0 else { return nil }
            return t
        }
        return peers.enumerated().sorted { a, b in
            switch (key(a.element), key(b.element)) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return false
            case (_, nil): return true
            case let (x?, y?): return x != y ? x > y : a.offset < b.offset
            }
        }.map(\.element)
    }

    private func duration(_ total: UInt64) -> String {
        let units: [(UInt64, String)] = [(365 * 24 * 3600, "year"), (24 * 3600, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        var left = total
        var parts: [String] = []
        for (size, name) in units {
            let n = left / size
            left %= size
            if n != 0 { parts.append("\(n) \(cyan)\(name)\(n == 1 ? "" : "s")\(reset)") }
        }
        return parts.joined(separator: ", ")
    }

    private func ago(_ seconds: Int64) -> String {
        if now == seconds { return "Now" }
        if now < seconds { return "(\(red)System clock wound backward; connection problems may ensue.\(reset))" }
        // The difference is below 2^64 whatever the daemon reported; wrapping, then reading it unsigned, is exact.
        return duration(UInt64(bitPattern: now &- seconds)) + " ago"
    }

    private func bytes(_ b: UInt64) -> String {
        let k: UInt64 = 1024
        let value: Double, unit: String
        if b < k {
            return "\(b) \(cyan)B\(reset)"
        } else if b < k * k {
            (value, unit) = (Double(b) / 1024, "KiB")
        } else if b < k * k * k {
            (value, unit) = (Double(b) / (1024 * 1024), "MiB")
        } else if b < k * k * k * k {
            (value, unit) = (Double(b) / (1024 * 1024 * 1024), "GiB")
        } else {
            (value, unit) = (Double(b) / (1024 * 1024 * 1024) / 1024, "TiB")
        }
        return "\(Self.twoDecimals(value)) \(cyan)\(unit)\(reset)"
    }

    /// printf's `%.2f` (correct rounding of the binary value, as the C tools print it).
    static func twoDecimals(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.2f", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Machine-readable

    /// `dump`: the interface line, then one line per peer, tab-separated; with `interface` prefixed for `all`.
    public func dump(interface: String, _ status: DeviceStatus, withInterface: Bool) -> String {
        let prefix = withInterface ? "\(interface)\t" : ""
        var out = prefix + [status.privateKey?.base64 ?? "(none)", status.publicKey?.base64 ?? "(none)",
                            "\(status.listenPort)", mark(status.fwmark)].joined(separator: "\t") + "\n"
        out.reserveCapacity(out.utf8.count + status.peers.reduce(0) { $0 + 200 + 24 * $1.allowedIPs.count })
        // Appended piece by piece: 10,000 peers and 130,000 allowed IPs make a 4 MB dump.
        for peer in status.peers {
            out += prefix
            out += peer.publicKey.base64
            out += "\t"
            out += peer.presharedKey?.base64 ?? "(none)"
            out += "\t"
            out += peer.endpoint?.description ?? "(none)"
            out += "\t"
            if peer.allowedIPs.isEmpty { out += "(none)" }
            for (i, p) in peer.allowedIPs.enumerated() {
                if i > 0 { out += "," }
                p.write(to: &out)
            }
            out += "\t\(peer.lastHandshake?.seconds ?? 0)\t\(peer.rxBytes)\t\(peer.txBytes)\t"
            out += peer.persistentKeepalive == 0 ? "off" : "\(peer.persistentKeepalive)"
            out += "\n"
        }
        return out
    }

    /// One field (`public-key`, `peers`, …, `dump`); nil for a parameter `show` does not know.
    public func field(_ name: String, interface: String, _ status: DeviceStatus, withInterface: Bool) -> String? {
        let prefix = withInterface ? "\(interface)\t" : ""
        func perPeer(_ line: (PeerStatus) -> String) -> String {
            status.peers.map { prefix + "\($0.publicKey.base64)\t" + line($0) + "\n" }.joined()
        }
        switch name {
        case "public-key": return prefix + (status.publicKey?.base64 ?? "(none)") + "\n"
        case "private-key": return prefix + (status.privateKey?.base64 ?? "(none)") + "\n"
        case "listen-port": return prefix + "\(status.listenPort)\n"
        case "fwmark": return prefix + mark(status.fwmark) + "\n"
        case "peers": return status.peers.map { prefix + $0.publicKey.base64 + "\n" }.joined()
        case "preshared-keys": return perPeer { $0.presharedKey?.base64 ?? "(none)" }
        case "endpoints": return perPeer { $0.endpoint?.description ?? "(none)" }
        case "allowed-ips":
            return perPeer { $0.allowedIPs.isEmpty ? "(none)" : $0.allowedIPs.map(\.description).joined(separator: " ") }
        case "latest-handshakes": return perPeer { "\($0.lastHandshake?.seconds ?? 0)" }
        case "transfer": return perPeer { "\($0.rxBytes)\t\($0.txBytes)" }
        case "persistent-keepalive": return perPeer { $0.persistentKeepalive == 0 ? "off" : "\($0.persistentKeepalive)" }
        case "dump": return dump(interface: interface, status, withInterface: withInterface)
        default: return nil
        }
    }

    private func mark(_ fwmark: UInt32) -> String { fwmark == 0 ? "off" : "0x\(String(fwmark, radix: 16))" }
}
