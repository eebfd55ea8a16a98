// SPDX-License-Identifier: MIT
// `wg-server init`: linuxserver/docker-wireguard's server mode for wg-quick. Its variables become options:
// PEERS → --peers, SERVERURL → --endpoint (auto: the default route's source address), SERVERPORT → the
// endpoint's port, INTERNAL_SUBNET → --subnet, PEERDNS → --dns, ALLOWEDIPS → --allowed-ips,
// PERSISTENTKEEPALIVE_PEERS → --keepalive, LOG_CONFS → --qr. Everything is checked before anything is
// written, and all the files appear together (FileTransaction).

import WireGuardModel

extension ServerCommand {
    static let initValued: Set<String> = ["--peers", "--endpoint", "--port", "--subnet", "--dns", "--allowed-ips",
                                          "--keepalive", "--mtu", "--out-interface"]
    /// Where `--dns auto` looks, in order: the server's resolvers, then the upstream ones systemd-resolved uses
    /// when resolv.conf names only its stub.
    static let resolvConfPaths = ["/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"]

    func initialize(_ arguments: [String]) throws(ServerError) {
        let options = try ServerOptions(arguments, command: "init", valued: Self.initValued, flags: ["--qr"])
        _ = try options.positionals(0, usage: usage(of: "init"))
        let layout = try layout(options)
        let settingsAndPeers = try initSettings(options, interface: layout.interface)
        let settings = settingsAndPeers.settings

        if Files.exists(layout.serverConfig) || Files.exists(layout.stateFile) {
            throw ServerError("\(Files.exists(layout.serverConfig) ? layout.serverConfig : layout.stateFile) already exists: remove it first to start over")
        }
        let serverKeys = ServerStore.generateKeyPair(using: system.random)
        var keys: [String: PeerKeys] = [:]
        for peer in settingsAndPeers.peers { keys[peer.name] = ServerStore.generateKeys(using: system.random) }
        let state = ServerState(settings: settings, peers: settingsAndPeers.peers)

        let store = ServerStore(layout: layout)
        let transaction = FileTransaction()
        var configs: [String] = []
        do {
            try transaction.makeDirectory(layout.directory)
            try transaction.makeDirectory(layout.serverDirectory)
            try transaction.makeDirectory(layout.peersDirectory)
            for peer in state.peers {
                configs.append(try store.stagePeer(peer, keys: keys[peer.name]!, settings: settings,
                                                   serverPublicKey: serverKeys.publicKey, in: transaction))
            }
            try transaction.stage(layout.serverPrivateKey, serverKeys.privateKey + "\n")
            try transaction.stage(layout.serverPublicKey, serverKeys.publicKey + "\n")
            try store.stageServer(state, serverPrivateKey: serverKeys.privateKey, keys: keys, in: transaction)
            try transaction.commit()
        } catch {
            transaction.rollback()
            throw error
        }

        io.write("\(layout.serverConfig): \(layout.interface) at \(IPv4Text.format(settings.subnet.serverAddress!))/\(settings.subnet.prefixLength), "
                 + "port \(settings.listenPort), clients connect to \(settings.endpoint.text(defaultPort: settings.listenPort))\n")
        for (peer, config) in zip(state.peers, configs) {
            io.write("\(peer.name) \(IPv4Text.format(peer.address)): \(layout.peerConfig(peer.name))\n")
            if options.flags.contains("--qr") { io.write(try terminalQR(config)) }
        }
        io.write("Start it with: wg-quick up \(layout.directory == ServerLayout.defaultDirectory ? layout.interface : layout.serverConfig)\n")
    }

    /// Every option checked and defaulted; the peers with their addresses.
    func initSettings(_ options: ServerOptions, interface: String) throws(ServerError) -> (settings: ServerSettings, peers: [PeerRecord]) {
        guard let peersText = options.values["--peers"] else {
            throw ServerError("init needs --peers N or --peers NAME,NAME,...")
        }
        let names = try PeerName.parseList(peersText)
        let subnetText = options.values["--subnet"] ?? ServerSettings.defaultSubnet
        guard let subnet = IPv4Subnet(subnetText) else {
            throw ServerError("subnet `\(subnetText)' is not an IPv4 network such as 10.13.13.0 or 10.13.13.0/24 (host bits zero)")
        }
        let addresses = try AddressPool(subnet: subnet).allocate(names.count)

        var port = ServerSettings.defaultListenPort
        if let text = options.values["--port"] {
            guard let p = EndpointSpec.parsePort(text) else { throw ServerError("port `\(text)' is not a number from 1 to 65535") }
            port = p
        }
        var mtu: Int?
        if let text = options.values["--mtu"] {
            guard let n = Int(text), ServerOptions.mtuRange.contains(n) else {
                throw ServerError("MTU `\(text)' is not a number from \(ServerOptions.mtuRange.lowerBound) to \(ServerOptions.mtuRange.upperBound)")
            }
            mtu = n
        }
        let allowedIPs = try Self.allowedIPs(options.values["--allowed-ips"])
        let keepalive = try Self.keepalive(options.values["--keepalive"], names: names)

        let endpointText = options.values["--endpoint"] ?? "auto"
        let route = system.routeGet().flatMap(SystemFacts.defaultRoute(fromRouteGet:))
        let endpoint: EndpointSpec
        if endpointText == "auto" {
            guard let route else { throw ServerError("--endpoint auto: no default IPv4 route to take the address from; give --endpoint HOST") }
            endpoint = EndpointSpec(host: route.source, port: nil)
        } else {
            endpoint = try EndpointSpec(parsing: endpointText)
        }
        let outInterface: String
        if let given = options.values["--out-interface"] {
            guard ServerLayout.isInterfaceName(given) else { throw ServerError("--out-interface `\(given)' is not an interface name") }
            outInterface = given
        } else {
            guard let route else { throw ServerError("no default IPv4 route to masquerade out of; give --out-interface IF") }
            outInterface = route.device
        }
        let dns = try dnsServers(options.values["--dns"] ?? "auto")

        let settings = ServerSettings(interface: interface, listenPort: port, subnet: subnet, endpoint: endpoint, dns: dns,
                                      allowedIPs: allowedIPs, keepaliveAll: keepalive.all, mtu: mtu, outInterface: outInterface)
        let peers = zip(names, addresses).map { PeerRecord(name: $0, address: $1, keepalive: keepalive.names.contains($0)) }
        return (settings, peers)
    }

    /// `--allowed-ips` (linuxserver's ALLOWEDIPS): prefixes, comma-separated; a bare address is a host route.
    static func allowedIPs(_ text: String?) throws(ServerError) -> [String] {
        guard let text else { return ServerSettings.defaultAllowedIPs }
        let entries = ServerState.list(text)
        guard !entries.isEmpty else { throw ServerError("--allowed-ips needs at least one prefix") }
        return try entries.map { entry throws(ServerError) -> String in
            if let prefix = IPPrefixText.normalized(entry) { return prefix }
            throw ServerError("allowed IP `\(entry)' is not an address or prefix such as 0.0.0.0/0 or 192.168.1.0/24")
        }
    }

    /// `--keepalive all|none|NAME,…` (PERSISTENTKEEPALIVE_PEERS): the named peers must be among `names`.
    static func keepalive(_ text: String?, names: [String]) throws(ServerError) -> (all: Bool, names: Set<String>) {
        switch text {
        case nil, "none": return (false, [])
        case "all": return (true, Set(names))
        case let list?:
            let chosen = ServerState.list(list)
            for name in chosen where !names.contains(name) {
                throw ServerError("--keepalive names `\(name)', which is not among the peers")
            }
            return (false, Set(chosen))
        }
    }

    /// `--dns`: `none` writes no DNS line; `auto` takes the server's resolvers that clients can reach through
    /// the tunnel (not loopback); else addresses.
    func dnsServers(_ text: String) throws(ServerError) -> [String] {
        switch text {
        case "none": return []
        case "auto":
            for path in Self.resolvConfPaths {
                let found = system.readText(path).map(SystemFacts.reachableNameservers(fromResolvConf:)) ?? []
                if !found.isEmpty { return found }
            }
            throw ServerError("--dns auto: no resolver in \(Self.resolvConfPaths.joined(separator: " or ")) that clients can reach (only loopback ones); give --dns ADDRESS or --dns none")
        default:
            let addresses = ServerState.list(text)
            for address in addresses where IPAddress(address) == nil {
                throw ServerError("DNS server `\(address)' is not an IP address")
            }
            guard !addresses.isEmpty else { throw ServerError("--dns needs auto, none or addresses") }
            return addresses
        }
    }
}

/// Prefix text in the form configs write.
enum IPPrefixText {
    /// `A.B.C.D/N` or `X::/N` with host bits cleared; a bare address becomes /32 or /128. Nil when invalid.
    static func normalized(_ text: String) -> String? {
        if let prefix = IPPrefix(text) { return prefix.description }
        if let address = IPAddress(text) { return "\(address)/\(address.bitWidth)" }
        return nil
    }
}
