// SPDX-License-Identifier: MIT
// The two config files wg-server writes, as text: the server's (DIR/INTERFACE.conf, for wg-quick: address,
// port, key, forwarding and masquerading hooks, one [Peer] per client) and each client's (what its QR code holds).

public enum ConfigText {
    /// The server's wg-quick config. `serverPrivateKey` is base64; `peers` pairs each record with its keys.
    public static func server(_ settings: ServerSettings, serverPrivateKey: String,
                              peers: [(record: PeerRecord, keys: PeerKeys)]) -> String {
        var lines = ["# Written by wg-server: `wg-server add|remove' rewrite it; the client configs are in \(ServerLayout.peersDirectoryName(settings.interface))/.",
                     "[Interface]",
                     "Address = \(IPv4Text.format(settings.subnet.serverAddress ?? 0))/\(settings.subnet.prefixLength)",
                     "ListenPort = \(settings.listenPort)",
                     "PrivateKey = \(serverPrivateKey)"]
        if let mtu = settings.mtu { lines.append("MTU = \(mtu)") }
        lines.append("PostUp = \(postUp(settings))")
        lines.append("PostDown = \(postDown(settings))")
        for (record, keys) in peers {
            lines += ["", "[Peer]", "# \(record.name)", "PublicKey = \(keys.publicKey)",
                      "PresharedKey = \(keys.presharedKey)", "AllowedIPs = \(IPv4Text.format(record.address))/32"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A client's config, the text its QR code holds.
    public static func client(_ settings: ServerSettings, record: PeerRecord, keys: PeerKeys, serverPublicKey: String) -> String {
        var lines = ["[Interface]",
                     "Address = \(IPv4Text.format(record.address))/32",
                     "PrivateKey = \(keys.privateKey)"]
        if !settings.dns.isEmpty { lines.append("DNS = \(settings.dns.joined(separator: ", "))") }
        if let mtu = settings.mtu { lines.append("MTU = \(mtu)") }
        lines += ["", "[Peer]",
                  "PublicKey = \(serverPublicKey)",
                  "PresharedKey = \(keys.presharedKey)",
                  "Endpoint = \(settings.endpoint.text(defaultPort: settings.listenPort))",
                  "AllowedIPs = \(settings.allowedIPs.joined(separator: ", "))"]
        if record.keepalive { lines.append("PersistentKeepalive = \(ServerSettings.persistentKeepalive)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The nftables table the hooks create, one per interface (`%i` is wg-quick's interface name).
    static let nftTable = "ip wg-server-%i"

    /// Forwarding on, then masquerading of the tunnel's subnet out of `outInterface` and forwarding to and from
    /// the tunnel accepted: with nftables (one table, so that PostDown removes exactly it), else iptables.
    static func postUp(_ s: ServerSettings) -> String {
        let nft = ["add table \(nftTable)",
                   "add chain \(nftTable) postrouting { type nat hook postrouting priority srcnat; }",
                   "add rule \(nftTable) postrouting ip saddr \(s.subnet) oifname \"\(s.outInterface)\" masquerade",
                   "add chain \(nftTable) forward { type filter hook forward priority filter; }",
                   "add rule \(nftTable) forward iifname \"%i\" accept",
                   "add rule \(nftTable) forward oifname \"%i\" accept"].joined(separator: "; ")
        return "sysctl -q -w net.ipv4.ip_forward=1; if command -v nft >/dev/null; then nft '\(nft)'; else "
            + iptables("-A", s) + "; fi"
    }

    static func postDown(_ s: ServerSettings) -> String {
        "if command -v nft >/dev/null; then nft delete table \(nftTable); else " + iptables("-D", s) + "; fi"
    }

    static func iptables(_ verb: String, _ s: ServerSettings) -> String {
        ["iptables \(verb) FORWARD -i %i -j ACCEPT",
         "iptables \(verb) FORWARD -o %i -j ACCEPT",
         "iptables -t nat \(verb) POSTROUTING -s \(s.subnet) -o \(s.outInterface) -j MASQUERADE"].joined(separator: "; ")
    }
}
