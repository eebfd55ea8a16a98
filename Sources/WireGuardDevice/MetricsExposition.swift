// SPDX-License-Identifier: MIT
// The Prometheus text exposition (format 0.0.4) of one interface's metrics: pure, from an `InterfaceMetrics`
// snapshot and the wall clock to a string. The three series of MindFlavor/prometheus_wireguard_exporter keep
// its names, type and labels (`interface`, `public_key`, `allowed_ips`, and `remote_ip`/`remote_port` as with
// its `-r`), so existing dashboards keep working; everything else is a new family with its own HELP/TYPE.

import WireGuardModel
import WireGuardProtocol

/// Renders metrics as Prometheus text.
public enum MetricsExposition {
    /// The Content-Type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition of `metrics` for the interface `interface`, at wall-clock time `now`.
    public static func render(interface: String, metrics: InterfaceMetrics, now: WallTime) -> String {
        var out = PrometheusText()
        let iface = [("interface", interface)]
        let peers = metrics.peers.map { peer -> (PeerMetrics, compat: [(String, String)], own: [(String, String)]) in
            let key = peer.status.publicKey.base64
            let allowed = peer.status.allowedIPs.isEmpty ? "(none)" : peer.status.allowedIPs.map(\.description).joined(separator: ",")
            var compat = iface + [("public_key", key), ("allowed_ips", allowed)]
            if let endpoint = peer.status.endpoint {
                compat += [("remote_ip", endpoint.address.description), ("remote_port", String(endpoint.port))]
            }
            return (peer, compat, iface + [("public_key", key)])
        }

        // MindFlavor's exporter.
        out.family("wireguard_sent_bytes_total", .counter, "Bytes sent to the peer")
        for p in peers { out.sample("wireguard_sent_bytes_total", p.compat, p.0.status.txBytes) }
        out.family("wireguard_received_bytes_total", .counter, "Bytes received from the peer")
        for p in peers { out.sample("wireguard_received_bytes_total", p.compat, p.0.status.rxBytes) }
        out.family("wireguard_latest_handshake_seconds", .gauge,
                   "UNIX time of the last completed handshake with the peer, 0 if none (as wg show dump)")
        for p in peers { out.sample("wireguard_latest_handshake_seconds", p.compat, UInt64(max(0, p.0.status.lastHandshake?.seconds ?? 0))) }

        // Peers.
        out.family("wireguard_latest_handshake_age_seconds", .gauge, "Seconds since the last completed handshake with the peer")
        for p in peers {
            guard let last = p.0.status.lastHandshake else { continue }
            let age = Double(now.seconds - last.seconds) + Double(now.nanoseconds - last.nanoseconds) / 1e9
            out.sample("wireguard_latest_handshake_age_seconds", p.own, max(0, age))
        }
        out.family("wireguard_peer_endpoint_info", .gauge, "The peer's current endpoint (label endpoint), 1")
        for p in peers {
            guard let endpoint = p.0.status.endpoint else { continue }
            out.sample("wireguard_peer_endpoint_info", p.own + [("endpoint", endpoint.description)], UInt64(1))
        }
        out.family("wireguard_peer_handshakes_total", .counter, "Handshakes completed with the peer")
        for p in peers { out.sample("wireguard_peer_handshakes_total", p.own, p.0.counters.handshakesCompleted) }
        out.family("wireguard_peer_handshake_failures_total", .counter, "Handshakes with the peer that failed, by reason")
        for p in peers {
            for r in HandshakeFailure.allCases where r.isPerPeer {
                out.sample("wireguard_peer_handshake_failures_total", p.own + [("reason", r.label)], p.0.counters[r])
            }
        }
        out.family("wireguard_peer_cookie_replies_received_total", .counter, "Cookie replies from the peer accepted")
        for p in peers { out.sample("wireguard_peer_cookie_replies_received_total", p.own, p.0.counters.cookieRepliesReceived) }
        out.family("wireguard_peer_dropped_packets_total", .counter, "Packets to or from the peer dropped, by reason")
        for p in peers {
            for r in DropReason.allCases where r.isPerPeer {
                out.sample("wireguard_peer_dropped_packets_total", p.own + [("reason", r.label)], p.0.counters[r])
            }
        }

        // The interface: totals over every peer, present or removed, and what no peer could be named for.
        let t = metrics.totals
        out.family("wireguard_interface_peers", .gauge, "Peers configured on the interface")
        out.sample("wireguard_interface_peers", iface, UInt64(metrics.peers.count))
        out.family("wireguard_interface_handshakes_total", .counter, "Handshakes completed on the interface")
        out.sample("wireguard_interface_handshakes_total", iface, t.handshakesCompleted)
        out.family("wireguard_interface_handshake_failures_total", .counter, "Failed handshakes and refused handshake messages, by reason")
        for r in HandshakeFailure.allCases { out.sample("wireguard_interface_handshake_failures_total", iface + [("reason", r.label)], t[r]) }
        out.family("wireguard_interface_cookie_replies_sent_total", .counter, "Cookie replies sent (under load)")
        out.sample("wireguard_interface_cookie_replies_sent_total", iface, t.cookieRepliesSent)
        out.family("wireguard_interface_cookie_replies_received_total", .counter, "Cookie replies received and accepted")
        out.sample("wireguard_interface_cookie_replies_received_total", iface, t.cookieRepliesReceived)
        out.family("wireguard_interface_dropped_packets_total", .counter, "Packets dropped on the interface, by reason")
        for r in DropReason.allCases { out.sample("wireguard_interface_dropped_packets_total", iface + [("reason", r.label)], t[r]) }
        return out.text
    }
}

extension DropReason {
    /// True when a drop for this reason is counted on a peer (the others name none).
    public var isPerPeer: Bool {
        switch self {
        case .noPeer, .invalidTunPacket, .malformed, .unknownSession, .handshakeQueueFull: return false
        case .noEndpoint, .badAuthentication, .replay, .sourceNotAllowed, .invalidInnerPacket, .stagedQueueFull: return true
        }
    }
}

extension HandshakeFailure {
    /// True when a failure for this reason is counted on a peer (an unknown initiator names none).
    public var isPerPeer: Bool { self != .unknownPeer }
}

/// A Prometheus text being written: families, then their samples.
struct PrometheusText {
    enum Kind: String { case counter, gauge }

    private(set) var text = ""

    /// The HELP and TYPE lines of a family.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample line: `name{label="value",…} value`.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        line(name, labels, String(value))
    }

    /// One sample line with a fractional value (integral values print without a decimal point).
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        line(name, labels, value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    private mutating func line(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabel(_ s: String) -> String { escape(s, quote: true) }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ s: String) -> String { escape(s, quote: false) }

    private static func escape(_ s: String, quote: Bool) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"" where quote: out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
