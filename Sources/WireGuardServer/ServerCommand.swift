// SPDX-License-Identifier: MIT
// `wg-server`: the subcommand table (as wg's), the options every subcommand shares (`--dir`, `--interface`),
// and the one-line error. `init` is in ServerCommand+Init.swift, the peer commands in ServerCommand+Peers.swift.

import WireGuardModel
import WireGuardTools

public struct ServerCommand {
    struct Subcommand: Sendable {
        let name: String
        let usage: String
        let description: String
        let run: @Sendable (ServerCommand, [String]) throws(ServerError) -> Void
    }

    static let subcommands: [Subcommand] = [
        Subcommand(name: "init",
                   usage: "init --peers N|NAME,NAME... [--endpoint HOST[:PORT]|auto] [--port PORT] [--subnet A.B.C.D[/LEN]] [--dns auto|none|ADDR,...] [--allowed-ips PREFIX,...] [--keepalive all|none|NAME,...] [--mtu MTU] [--out-interface IF] [--qr]",
                   description: "Writes the server config, and keys and a client config for each peer") { (command, arguments) throws(ServerError) in try command.initialize(arguments) },
        Subcommand(name: "add", usage: "add NAME [--keepalive] [--qr]",
                   description: "Adds a peer with the next free address (and to the running interface)") { (command, arguments) throws(ServerError) in try command.add(arguments) },
        Subcommand(name: "remove", usage: "remove NAME",
                   description: "Removes a peer and frees its address (and from the running interface)") { (command, arguments) throws(ServerError) in try command.remove(arguments) },
        Subcommand(name: "list", usage: "list", description: "Lists the peers and their addresses (no keys)") { (command, arguments) throws(ServerError) in try command.list(arguments) },
        Subcommand(name: "show", usage: "show NAME [--qr | --png FILE]",
                   description: "Prints a peer's client config (with its private key), its QR code, or writes the QR code as a PNG") { (command, arguments) throws(ServerError) in try command.show(arguments) },
    ]

    let programName: String
    let io: CommandIO
    let system: ServerSystem

    public init(programName: String, io: CommandIO, system: ServerSystem) {
        self.programName = programName
        self.io = io
        self.system = system
    }

    /// Runs `arguments` (argv without argv[0]); the exit status. An error is one line on stderr and status 1.
    public func run(_ arguments: [String]) -> Int32 {
        guard let first = arguments.first else {
            io.writeError(usage)
            return 1
        }
        if ["-h", "--help", "help"].contains(first) {
            io.write(usage)
            return 0
        }
        guard let subcommand = Self.subcommands.first(where: { $0.name == first }) else {
            io.writeError("Invalid subcommand: `\(first)'\n" + usage)
            return 1
        }
        if arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
            io.write("Usage: \(programName) \(subcommand.usage) [--dir DIR] [--interface IF]\n")
            return 0
        }
        do {
            try subcommand.run(self, Array(arguments.dropFirst()))
            return 0
        } catch {
            io.writeError("\(programName): \(error.message)\n")
            return 1
        }
    }

    var usage: String {
        "Usage: \(programName) <cmd> [<args>] [--dir DIR] [--interface IF]\n\n"
            + "Keeps a WireGuard server's config for wg-quick in DIR (\(ServerLayout.defaultDirectory)) as IF.conf (\(ServerSettings.defaultInterface)),\n"
            + "with each peer's keys, client config and QR code in IF-peers/NAME/.\n\nAvailable subcommands:\n"
            + Self.subcommands.map { "  \($0.name): \($0.description)\n" }.joined()
            + "You may pass `--help' to any of these subcommands to view usage.\n"
    }

    func usage(of name: String) -> String { Self.subcommands.first { $0.name == name }!.usage }

    /// `--dir` and `--interface`, checked.
    func layout(_ options: ServerOptions) throws(ServerError) -> ServerLayout {
        let interface = options.values["--interface"] ?? ServerSettings.defaultInterface
        guard ServerLayout.isInterfaceName(interface) else {
            throw ServerError("interface name `\(interface)' is not 1 to 15 letters, digits or `_=+.-'")
        }
        let directory = options.values["--dir"] ?? ServerLayout.defaultDirectory
        guard !directory.isEmpty else { throw ServerError("--dir needs a directory") }
        return ServerLayout(directory: directory, interface: interface)
    }

    /// The QR code of `text` as half-block lines; on a terminal each line is drawn light on dark whatever the
    /// terminal's colours (the characters are the light modules, see QRMatrix.halfBlockLines).
    func terminalQR(_ text: String) throws(ServerError) -> String {
        let lines = try QREncoder.encode(text).halfBlockLines()
        let (start, end) = io.outputIsTerminal ? (Self.lightOnDark, Self.resetColours) : ("", "")
        return lines.map { start + $0 + end + "\n" }.joined()
    }

    static let lightOnDark = "\u{1B}[97;40m"
    static let resetColours = "\u{1B}[0m"

    /// Applies the rewritten server config to the interface when it is up (wg syncconf keeps the sessions of
    /// the peers that stay); says so when it is down.
    func applyIfRunning(_ layout: ServerLayout) throws(ServerError) {
        guard system.interfaceExists(layout.interface) else {
            io.write("\(layout.interface) is not up: `wg-quick up \(layout.serverConfig)' will use the new config\n")
            return
        }
        let status = system.syncConf(interface: layout.interface, config: layout.serverConfig)
        guard status == 0 else {
            throw ServerError("\(layout.serverConfig) is written but applying it to \(layout.interface) failed (exit status \(status))")
        }
    }
}
