// SPDX-License-Identifier: MIT
// The state file (DIR/INTERFACE-server/state): `Key = value` lines as in a WireGuard config, one `Peer =
// NAME ADDRESS [keepalive]` line per peer in the order they were added. No secrets: the keys are in their own
// files. Pure text in and out; a bad line is named.

extension ServerState {
    /// The file's text; `init(stateText:)` reads it back unchanged.
    public var stateText: String {
        var lines = ["# wg-server state of \(settings.interface): read and rewritten by wg-server (keys are in their own files)"]
        lines.append("Interface = \(settings.interface)")
        lines.append("ListenPort = \(settings.listenPort)")
        lines.append("Subnet = \(settings.subnet)")
        lines.append("Endpoint = \(settings.endpoint)")
        lines.append("DNS = \(settings.dns.joined(separator: ", "))")
        lines.append("AllowedIPs = \(settings.allowedIPs.joined(separator: ", "))")
        lines.append("KeepaliveAll = \(settings.keepaliveAll)")
        if let mtu = settings.mtu { lines.append("MTU = \(mtu)") }
        lines.append("OutInterface = \(settings.outInterface)")
        for peer in peers {
            lines.append("Peer = \(peer.name) \(IPv4Text.format(peer.address))" + (peer.keepalive ? " keepalive" : ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses a state file; `file` names it in errors.
    public init(stateText text: String, file: String) throws(ServerError) {
        var values: [String: String] = [:]
        var peers: [PeerRecord] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.prefix { $0 != "#" }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            func bad(_ why: String) -> ServerError { ServerError("\(file):\(index + 1): \(why): `\(raw)'") }
            guard let equals = line.firstIndex(of: "=") else { throw bad("not `Key = value'") }
            let key = Self.trimmed(line[..<equals]), value = Self.trimmed(line[line.index(after: equals)...])
            if key == "Peer" {
                let words = value.split(separator: " ").map(String.init)
                guard (2...3).contains(words.count), PeerName.problem(words[0]) == nil,
                      let address = IPv4Text.parse(words[1]), words.count == 2 || words[2] == "keepalive"
                else { throw bad("not `Peer = NAME ADDRESS [keepalive]'") }
                guard !peers.contains(where: { $0.name == words[0] || $0.address == address }) else {
                    throw bad("a peer name or address repeats")
                }
                peers.append(PeerRecord(name: words[0], address: address, keepalive: words.count == 3))
            } else {
                guard Self.keys.contains(key), values[key] == nil else { throw bad("unknown or repeated key") }
                values[key] = value
            }
        }
        func required(_ key: String) throws(ServerError) -> String {
            guard let value = values[key] else { throw ServerError("\(file): `\(key)' is missing") }
            return value
        }
        func invalid(_ key: String) -> ServerError { ServerError("\(file): `\(key) = \(values[key] ?? "")' is not valid") }
        guard let port = EndpointSpec.parsePort(try required("ListenPort")) else { throw invalid("ListenPort") }
        guard let subnet = IPv4Subnet(try required("Subnet")) else { throw invalid("Subnet") }
        let endpoint: EndpointSpec
        do { endpoint = try EndpointSpec(parsing: try required("Endpoint")) } catch { throw invalid("Endpoint") }
        let keepaliveText = try required("KeepaliveAll")
        guard keepaliveText == "true" || keepaliveText == "false" else { throw invalid("KeepaliveAll") }
        var mtu: Int?
        if let text = values["MTU"] {
            guard let n = Int(text), ServerOptions.mtuRange.contains(n) else { throw invalid("MTU") }
            mtu = n
        }
        let settings = ServerSettings(
            interface: try required("Interface"), listenPort: port, subnet: subnet, endpoint: endpoint,
            dns: Self.list(try required("DNS")), allowedIPs: Self.list(try required("AllowedIPs")),
            keepaliveAll: keepaliveText == "true", mtu: mtu, outInterface: try required("OutInterface"))
        guard peers.allSatisfy({ subnet.contains($0.address) && $0.address != subnet.serverAddress }) else {
            throw ServerError("\(file): a peer's address is outside \(subnet) or is the server's")
        }
        self.init(settings: settings, peers: peers)
    }

    static let keys: Set<String> = ["Interface", "ListenPort", "Subnet", "Endpoint", "DNS", "AllowedIPs",
                                    "KeepaliveAll", "MTU", "OutInterface"]

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// A comma-separated list, blanks dropped.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { trimmed($0) }.filter { !$0.isEmpty }
    }
}
