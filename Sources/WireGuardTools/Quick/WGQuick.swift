// SPDX-License-Identifier: MIT
// `wg-quick up|down|save|strip CONFIG_FILE|INTERFACE` (wireguard-tools' wg-quick/linux.bash, as Debian ships
// it): finding and reading the file, the usage, `strip` and `save`. Bringing an interface up and down is in
// WGQuick+Up.swift and WGQuick+Down.swift. Every change to the system goes through `runner`, echoed as `[#] …`.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardIPC

/// A command that exited non-zero; it has said why itself.
struct CommandFailed: Error {
    let status: Int32
}

public final class WGQuick {
    let programName: String
    let io: CommandIO
    let runner: CommandRunner
    /// The userspace implementation started when `ip link add … type wireguard` fails.
    let daemon: String
    let sockets: SocketDirectory
    /// How long to wait for the daemon's UAPI socket.
    let socketTimeout: Double
    /// Root of the files wg-quick consults (/sys/module, /etc/resolvconf), for tests.
    let root: String

    var interface = ""
    var configFile = ""
    var config = QuickConfiguration()
    // What `up` has done so far, so that a failure undoes exactly that.
    var createdInterface = false
    var haveSetDNS = false
    var haveSetFirewall = false

    public init(programName: String, io: CommandIO, runner: CommandRunner, daemon: String,
                sockets: SocketDirectory = .standard, socketTimeout: Double = 5, root: String = "") {
        self.programName = programName
        self.io = io
        self.runner = runner
        self.daemon = daemon
        self.sockets = sockets
        self.socketTimeout = socketTimeout
        self.root = root
    }

    /// Runs `arguments` (argv without argv[0]); returns the exit status.
    public func run(_ arguments: [String]) -> Int32 {
        if arguments.count == 1 && ["--help", "-h", "help"].contains(arguments[0]) {
            io.writeError(usage)
            return 0
        }
        guard arguments.count == 2, ["up", "down", "save", "strip"].contains(arguments[0]) else {
            io.writeError(usage)
            return 1
        }
        do {
            try parseOptions(arguments[1])
            switch arguments[0] {
            case "up": try up()
            case "down": try down()
            case "save": try save()
            default: io.write(config.stripped)
            }
            return 0
        } catch let error as QuickError {
            io.writeError("\(programName): \(error.message)\n")
            return 1
        } catch let failure as CommandFailed {
            return failure.status
        } catch {
            return 1
        }
    }

    /// The interface name rule, for a bare name and for the file name before `.conf`.
    static func isInterfaceName(_ name: Substring) -> Bool {
        (1...15).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || "_=+.-".utf8.contains(c)
        }
    }

    /// linux.bash `parse_options`.
    func parseOptions(_ argument: String) throws {
        configFile = Self.isInterfaceName(argument[...]) ? "/etc/wireguard/\(argument).conf" : argument
        guard access(configFile, F_OK) == 0 else { throw QuickError("`\(configFile)' does not exist") }
        let base = configFile.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard base.hasSuffix(".conf"), Self.isInterfaceName(base.dropLast(5)) else {
            throw QuickError("The config file must be a valid interface name, followed by .conf")
        }
        interface = String(base.dropLast(5))
        if let resolved = realpath(configFile, nil) {
            configFile = String(cString: resolved)
            free(resolved)
        }
        let directory = String(configFile[..<(configFile.lastIndex(of: "/") ?? configFile.startIndex)])
        var fileStat = stat(), directoryStat = stat()
        if stat(configFile, &fileStat) == 0, stat(directory.isEmpty ? "/" : directory, &directoryStat) == 0,
           fileStat.st_mode & directoryStat.st_mode & 0o007 != 0 {
            io.writeError("Warning: `\(configFile)' is world accessible\n")
        }
        guard let text = Self.readFile(configFile) else {
            throw QuickError("\(configFile): \(String(cString: strerror(errno)))")
        }
        config = try QuickConfiguration(parsing: text)
    }

    /// `wg-quick save`: the running configuration written back to the file, wg-quick keys kept.
    func save() throws {
        try requireWireGuardInterface()
        try saveConfig()
    }

    func requireWireGuardInterface() throws {
        let names = runner.query(["wg", "show", "interfaces"]).output
        guard names.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains(Substring(interface)) else {
            throw QuickError("`\(interface)' is not a WireGuard interface")
        }
    }

    /// linux.bash `save_config`.
    func saveConfig() throws {
        var header = "[Interface]\n"
        let brief = runner.query(["ip", "-all", "-brief", "address", "show", "dev", interface]).output
        if let line = brief.split(separator: "\n").first {
            let fields = line.split(separator: " ")
            if fields.count > 2, fields[0] == interface { header += fields[2...].map { "Address = \($0)\n" }.joined() }
        }
        var resolver = runner.query(["resolvconf", "-l", resolvconfName])
        if resolver.status != 0 { resolver = (0, Self.readFile("\(root)/etc/resolvconf/run/interface/\(resolvconfName)") ?? "") }
        for line in resolver.output.split(separator: "\n") where line.hasPrefix("nameserver ") {
            let server = line.dropFirst("nameserver ".count)
            if !server.isEmpty, server.allSatisfy({ $0.isLetter || $0.isNumber || "_=+:%.-".contains($0) }) {
                header += "DNS = \(server)\n"
            }
        }
        if config.mtu != nil, let mtu = Self.mtu(in: runner.query(["ip", "link", "show", "dev", interface]).output) {
            header += "MTU = \(mtu)\n"
        }
        if let table = config.table { header += "Table = \(table)\n" }
        if config.saveConfig { header += "SaveConfig = true\n" }
        for (key, hooks) in [("PreUp", config.preUp), ("PostUp", config.postUp), ("PreDown", config.preDown), ("PostDown", config.postDown)] {
            header += hooks.map { "\(key) = \($0)\n" }.joined()
        }
        runner.say("[#] wg showconf \(interface)")
        let current = runner.query(["wg", "showconf", interface])
        guard current.status == 0 else { throw CommandFailed(status: current.status) }
        var text = current.output.trimmingNewline
        if let range = text.firstRange(of: "[Interface]\n") { text.replaceSubrange(range, with: header) }
        let temporary = configFile + ".tmp"
        let old = umask(0o077)
        defer { umask(old) }
        guard let file = fopen(temporary, "w") else { throw QuickError("Could not write configuration file") }
        let written = fputs(text + "\n", file) >= 0 && fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written else {
            unlink(temporary)
            throw QuickError("Could not write configuration file")
        }
        guard rename(temporary, configFile) == 0 else {
            unlink(temporary)
            throw QuickError("Could not move configuration file")
        }
    }

    /// The first `mtu N` in `ip` output.
    static func mtu(in text: String) -> Int? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "mtu"), i + 1 < words.count else { return nil }
        return Int(words[i + 1])
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return ferror(file) != 0 ? nil : String(decoding: bytes, as: UTF8.self)
    }

    var usage: String {
        """
        Usage: \(programName) [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]

          CONFIG_FILE is a configuration file, whose filename is the interface name
          followed by `.conf'. Otherwise, INTERFACE is an interface name, with
          configuration found at /etc/wireguard/INTERFACE.conf. It is to be readable
          by wg(8)'s `setconf' sub-command, with the exception of the following additions
          to the [Interface] section, which are handled by \(programName):

          - Address: may be specified one or more times and contains one or more
            IP addresses (with an optional CIDR mask) to be set for the interface.
          - DNS: an optional DNS server to use while the device is up.
          - MTU: an optional MTU for the interface; if unspecified, auto-calculated.
          - Table: an optional routing table to which routes will be added; if
            unspecified or `auto', the default table is used. If `off', no routes
            are added.
          - PreUp, PostUp, PreDown, PostDown: script snippets which will be executed
            by bash(1) at the corresponding phases of the link, most commonly used
            to configure DNS. The string `%i' is expanded to INTERFACE.
          - SaveConfig: if set to `true', the configuration is saved from the current
            state of the interface upon shutdown.

        See wg-quick(8) for more info and examples.

        """
    }
}
