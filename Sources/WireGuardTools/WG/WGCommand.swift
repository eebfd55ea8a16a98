// SPDX-License-Identifier: MIT
// `wg`: the dispatch table of wireguard-tools' wg.c. No arguments means `show`; `--version`, `--help` and
// their aliases; an unknown subcommand prints "Invalid subcommand" and the usage to stderr and exits 1.

public struct WGCommand {
    public static let version = "1.0.20210914"

    struct Subcommand: Sendable {
        let name: String
        let description: String
        let run: @Sendable (WGCommand, [String]) -> Int32
    }

    static let subcommands: [Subcommand] = [
        Subcommand(name: "show", description: "Shows the current configuration and device information") { $0.show($1) },
        Subcommand(name: "showconf", description: "Shows the current configuration of a given WireGuard interface, for use with `setconf'") { $0.showconf($1) },
        Subcommand(name: "set", description: "Change the current configuration, add peers, remove peers, or change peers") { $0.set($1) },
        Subcommand(name: "setconf", description: "Applies a configuration file to a WireGuard interface") { $0.setconf($1) },
        Subcommand(name: "addconf", description: "Appends a configuration file to a WireGuard interface") { $0.setconf($1) },
        Subcommand(name: "syncconf", description: "Synchronizes a configuration file to a WireGuard interface") { $0.setconf($1) },
        Subcommand(name: "genkey", description: "Generates a new private key and writes it to stdout") { $0.genkey($1) },
        Subcommand(name: "genpsk", description: "Generates a new preshared key and writes it to stdout") { $0.genkey($1) },
        Subcommand(name: "pubkey", description: "Reads a private key from stdin and writes a public key to stdout") { $0.pubkey($1) },
    ]

    /// argv[0] as invoked, used in messages exactly as wg.c uses PROG_NAME.
    let programName: String
    let io: CommandIO
    let access: InterfaceAccess
    /// getaddrinfo for endpoints and ports.
    let resolver: NameResolver
    /// Seconds since the epoch, for "… ago".
    let now: () -> Int64

    public init(programName: String, io: CommandIO, access: InterfaceAccess = InterfaceAccess(),
                resolver: NameResolver = SystemResolver(), now: @escaping () -> Int64) {
        self.resolver = resolver
        self.programName = programName
        self.io = io
        self.access = access
        self.now = now
    }

    /// Runs `arguments` (argv without argv[0]) and returns the exit status.
    public func run(_ arguments: [String]) -> Int32 {
        if arguments.count == 1 && ["-v", "--version", "version"].contains(arguments[0]) {
            io.write("wireguard-tools v\(Self.version) - https://git.zx2c4.com/wireguard-tools/\n")
            return 0
        }
        if arguments.count == 1 && ["-h", "--help", "help"].contains(arguments[0]) {
            io.write(usage)
            return 0
        }
        guard let first = arguments.first else { return show(["show"]) }
        if let sub = Self.subcommands.first(where: { $0.name == first }) { return sub.run(self, arguments) }
        io.writeError("Invalid subcommand: `\(first)'\n" + usage)
        return 1
    }

    var usage: String {
        "Usage: \(programName) <cmd> [<args>]\n\nAvailable subcommands:\n"
            + Self.subcommands.map { "  \($0.name): \($0.description)\n" }.joined()
            + "You may pass `--help' to any of these subcommands to view usage.\n"
    }
}
