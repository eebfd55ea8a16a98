// SPDX-License-Identifier: MIT
// `wg-quick up` (linux.bash `cmd_up`, `add_if`, `set_config`, `add_addr`, `set_mtu_up`, `set_dns`, `add_route`,
// `add_default`), in Debian's order: PreUp, interface, wg configuration, addresses, MTU and link up, DNS, routes
// (most specific first), PostUp. A failure anywhere undoes what was done and the command fails.

#if canImport(Glibc)
import Glibc
#endif

extension WGQuick {
    func up() throws {
        guard runner.query(["ip", "link", "show", "dev", interface]).output.isEmpty else {
            throw QuickError("`\(interface)' already exists")
        }
        // Ours: wg-quick finds this out half-way, after creating the interface.
        if !config.dnsServers.isEmpty && !runner.hasProgram("resolvconf") {
            throw QuickError("DNS is set but `resolvconf' is not installed (openresolv, resolvconf or systemd-resolved's resolvectl provide it)")
        }
        do {
            try hooks(config.preUp)
            try addInterface()
            try command(["wg", "setconf", interface, runner.filePath], file: config.wgConfig + "\n")
            for address in config.addresses {
                try command(["ip", address.contains(":") ? "-6" : "-4", "address", "add", address, "dev", interface])
            }
            try setMTUUp()
            try setDNS()
            for prefix in routes() { try addRoute(prefix) }
            try hooks(config.postUp)
        } catch {
            if createdInterface {
                try? deleteInterface()
            } else {
                if haveSetDNS { try? unsetDNS() }
                if haveSetFirewall { try? removeFirewall() }
            }
            throw error
        }
    }

    /// Runs `argv` echoed; a failure stops the command.
    func command(_ argv: [String], input: String? = nil, file: String? = nil) throws {
        let status = runner.run(argv, input: input, file: file)
        if status != 0 { throw CommandFailed(status: status) }
    }

    /// Runs hooks in order, `%i` replaced by the interface name.
    func hooks(_ scripts: [String]) throws {
        for script in scripts {
            let hook = script.split(separator: "%i", omittingEmptySubsequences: false).joined(separator: interface)
            let status = runner.hook(hook)
            if status != 0 {
                // Ours: wg-quick stops without naming the hook.
                runner.say("\(programName): hook `\(hook)' failed with exit status \(status)")
                throw CommandFailed(status: status)
            }
        }
    }

    /// A kernel interface if the module is there, else the userspace daemon; waits for its UAPI socket.
    func addInterface() throws {
        let status = runner.run(["ip", "link", "add", interface, "type", "wireguard"])
        if status == 0 {
            createdInterface = true
            return
        }
        guard access("\(root)/sys/module/wireguard", F_OK) != 0, runner.hasProgram(daemon) else {
            throw CommandFailed(status: status)
        }
        runner.say("[!] Missing WireGuard kernel module. Falling back to slow userspace implementation.")
        let started = runner.run([daemon, interface])
        createdInterface = !runner.query(["ip", "link", "show", "dev", interface]).output.isEmpty
        if started != 0 { throw CommandFailed(status: started) }
        var waited = 0.0
        while access(sockets.socketPath(for: interface), F_OK) != 0 && waited < socketTimeout {
            usleep(50_000)
            waited += 0.05
        }
    }

    /// The given MTU, or the smallest MTU of the routes to the peers' endpoints (else of the default route)
    /// minus 80: 1420 when nothing is known. (Debian's wg-quick takes the largest; upstream the smallest.)
    func setMTUUp() throws {
        if let mtu = config.mtu {
            try command(["ip", "link", "set", "mtu", mtu, "up", "dev", interface])
            return
        }
        var smallest = Int.max
        for line in runner.query(["wg", "show", interface, "endpoints"]).output.split(separator: "\n") {
            guard let endpoint = line.split(separator: "\t").last, let host = Self.endpointHost(endpoint),
                  let mtu = routeMTU(runner.query(["ip", "route", "get", host]).output) else { continue }
            smallest = min(smallest, mtu)
        }
        if smallest == Int.max {
            let route = runner.query(["ip", "route", "show", "default"]).output
            if let first = route.split(separator: "\n").first, let mtu = routeMTU(String(first)) { smallest = mtu }
        }
        if smallest <= 0 || smallest == Int.max { smallest = 1500 }
        try command(["ip", "link", "set", "mtu", String(smallest - 80), "up", "dev", interface])
    }

    /// `^\[?([a-z0-9:.]+)\]?:[0-9]+$`
    static func endpointHost(_ endpoint: Substring) -> String? {
        guard let colon = endpoint.lastIndex(of: ":"), endpoint[endpoint.index(after: colon)...].allSatisfy(\.isNumber),
              endpoint.index(after: colon) != endpoint.endIndex else { return nil }
        var host = endpoint[..<colon]
        if host.hasPrefix("[") { host = host.dropFirst() }
        if host.hasSuffix("]") { host = host.dropLast() }
        guard !host.isEmpty, host.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == ":" || $0 == "." }) else {
            return nil
        }
        return String(host)
    }

    /// `mtu N` in a route, else the MTU of its `dev`.
    func routeMTU(_ route: String) -> Int? {
        if let mtu = Self.mtu(in: route) { return mtu }
        let words = route.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "dev"), i + 1 < words.count else { return nil }
        return Self.mtu(in: runner.query(["ip", "link", "show", "dev", String(words[i + 1])]).output)
    }

    /// The allowed IPs of every peer, longest prefix first (`sort -nr -k 2 -t /` in the C locale).
    func routes() -> [String] {
        let text = runner.query(["wg", "show", interface, "allowed-ips"]).output
        let prefixes = text.split(separator: "\n").flatMap { line in
            line.split(separator: "\t").dropFirst().flatMap { (field: Substring) in field.split(separator: " " as Character) }
        }.filter { entry in
            guard let slash = entry.firstIndex(of: "/") else { return false }
            let ip = entry[..<slash], length = entry[entry.index(after: slash)...]
            return !ip.isEmpty && !length.isEmpty && length.allSatisfy(\.isNumber)
                && ip.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0) || $0 == ":" || $0 == "." }
        }.map(String.init)
        return prefixes.sorted { a, b in
            let la = Int(a.split(separator: "/")[1]) ?? 0, lb = Int(b.split(separator: "/")[1]) ?? 0
            // Equal lengths: sort -r's last resort, the whole line in reverse byte order.
            return la != lb ? la > lb : Array(b.utf8).lexicographicallyPrecedes(Array(a.utf8))
        }
    }

    func addRoute(_ prefix: String) throws {
        let proto = prefix.contains(":") ? "-6" : "-4"
        if config.table == "off" { return }
        if let table = config.table, table != "auto" {
            try command(["ip", proto, "route", "add", prefix, "dev", interface, "table", table])
        } else if prefix.hasSuffix("/0") {
            try addDefault(prefix)
        } else if runner.query(["ip", proto, "route", "show", "dev", interface, "match", prefix]).output.isEmpty {
            try command(["ip", proto, "route", "add", prefix, "dev", interface])
        }
    }

    /// The interface's fwmark as a number; nil when off or unreadable.
    func fwmark() -> Int? {
        let result = runner.query(["wg", "show", interface, "fwmark"])
        let text = result.output.trimmingNewline
        guard result.status == 0, !text.isEmpty, text != "off" else { return nil }
        return text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }
}

extension String {
    /// Without the trailing newlines, as `$(…)` gives it.
    var trimmingNewline: String { String(reversed().drop { $0 == "\n" }.reversed()) }
}
