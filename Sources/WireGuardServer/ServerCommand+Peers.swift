// SPDX-License-Identifier: MIT
// `wg-server add|remove|list|show`. Adding keeps every key and address and takes the lowest free address;
// removing frees it; both rewrite the server config and apply it to the running interface with
// `wg syncconf` (the other peers keep their sessions). `list` prints no keys; `show NAME` prints the client
// config (its private key included: it is what the QR code holds), `--qr` its QR code, `--png FILE` a PNG.

#if canImport(Glibc)
import Glibc
#endif

extension ServerCommand {
    func add(_ arguments: [String]) throws(ServerError) {
        let options = try ServerOptions(arguments, command: "add", valued: [], flags: ["--keepalive", "--qr"])
        let name = try options.positionals(1, usage: usage(of: "add"))[0]
        let layout = try layout(options)
        let store = ServerStore(layout: layout)
        var loaded = try store.load()
        if let problem = PeerName.problem(name) { throw ServerError(problem) }
        guard loaded.state.peer(named: name) == nil else { throw ServerError("peer `\(name)' already exists") }
        guard !Files.exists(layout.peerDirectory(name)) else {
            throw ServerError("\(layout.peerDirectory(name)) already exists (not a peer in the state file): remove it first")
        }
        let address = try AddressPool(subnet: loaded.state.settings.subnet).next(excluding: loaded.state.usedAddresses)
        let record = PeerRecord(name: name, address: address,
                                keepalive: options.flags.contains("--keepalive") || loaded.state.settings.keepaliveAll)
        let keys = ServerStore.generateKeys(using: system.random)
        loaded.state.peers.append(record)
        loaded.keys[name] = keys

        let transaction = FileTransaction()
        let config: String
        do {
            try transaction.makeDirectory(layout.peersDirectory)
            config = try store.stagePeer(record, keys: keys, settings: loaded.state.settings,
                                         serverPublicKey: loaded.serverPublicKey, in: transaction)
            try store.stageServer(loaded.state, serverPrivateKey: loaded.serverPrivateKey, keys: loaded.keys, in: transaction)
            try transaction.commit()
        } catch {
            transaction.rollback()
            throw error
        }
        io.write("\(name) \(IPv4Text.format(address)): \(layout.peerConfig(name))\n")
        if options.flags.contains("--qr") { io.write(try terminalQR(config)) }
        try applyIfRunning(layout)
    }

    func remove(_ arguments: [String]) throws(ServerError) {
        let options = try ServerOptions(arguments, command: "remove", valued: [], flags: [])
        let name = try options.positionals(1, usage: usage(of: "remove"))[0]
        let layout = try layout(options)
        let store = ServerStore(layout: layout)
        var loaded = try store.load()
        guard let record = loaded.state.peer(named: name) else { throw ServerError("no peer named `\(name)'") }
        loaded.state.peers.removeAll { $0.name == name }
        loaded.keys[name] = nil

        let transaction = FileTransaction()
        do {
            try store.stageServer(loaded.state, serverPrivateKey: loaded.serverPrivateKey, keys: loaded.keys, in: transaction)
            try transaction.commit()
        } catch {
            transaction.rollback()
            throw error
        }
        // The state no longer names the peer: its folder goes (the files wg-server wrote, then the folder).
        for path in [layout.peerPrivateKey(name), layout.peerPublicKey(name), layout.peerPresharedKey(name),
                     layout.peerConfig(name), layout.peerPNG(name)] {
            unlink(path)
        }
        if rmdir(layout.peerDirectory(name)) != 0 && errno != ENOENT {
            io.writeError("\(programName): left \(layout.peerDirectory(name)) in place: \(String(cString: strerror(errno)))\n")
        }
        io.write("removed \(name) (\(IPv4Text.format(record.address)) is free)\n")
        try applyIfRunning(layout)
    }

    func list(_ arguments: [String]) throws(ServerError) {
        let options = try ServerOptions(arguments, command: "list", valued: [], flags: [])
        _ = try options.positionals(0, usage: usage(of: "list"))
        let layout = try layout(options)
        guard Files.exists(layout.stateFile) else {
            throw ServerError("no wg-server state for \(layout.interface) in \(layout.directory) (run `wg-server init' first)")
        }
        let state = try ServerState(stateText: try Files.readText(layout.stateFile), file: layout.stateFile)
        let width = max(4, state.peers.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ n: Int) -> String { text + String(repeating: " ", count: max(0, n - text.count)) }
        var out = pad("NAME", width) + "  " + pad("ADDRESS", 18) + "  KEEPALIVE\n"
        for peer in state.peers {
            out += pad(peer.name, width) + "  " + pad(IPv4Text.format(peer.address) + "/32", 18) + "  "
                + (peer.keepalive ? "\(ServerSettings.persistentKeepalive)" : "off") + "\n"
        }
        io.write(out)
    }

    func show(_ arguments: [String]) throws(ServerError) {
        let options = try ServerOptions(arguments, command: "show", valued: ["--png"], flags: ["--qr"])
        let name = try options.positionals(1, usage: usage(of: "show"))[0]
        guard !(options.flags.contains("--qr") && options.values["--png"] != nil) else {
            throw ServerError("usage: \(usage(of: "show")) (one of --qr and --png)")
        }
        let layout = try layout(options)
        if let problem = PeerName.problem(name) { throw ServerError(problem) }
        guard Files.exists(layout.peerConfig(name)) else {
            throw ServerError("no peer named `\(name)' (no \(layout.peerConfig(name)))")
        }
        let config = try Files.readText(layout.peerConfig(name))
        if options.flags.contains("--qr") {
            io.write(try terminalQR(config))
        } else if let png = options.values["--png"] {
            let transaction = FileTransaction()
            do {
                try transaction.stage(png, try ServerStore.png(of: config))
                try transaction.commit()
            } catch {
                transaction.rollback()
                throw error
            }
        } else {
            io.write(config)
        }
    }
}
