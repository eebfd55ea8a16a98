// SPDX-License-Identifier: MIT
// `wg-quick down` (linux.bash `cmd_down`, `del_if`, `unset_dns`, `remove_firewall`) and the pieces `up` adds
// for a default route (`add_default`: fwmark, policy rules, nftables or iptables rules) and for DNS
// (`set_dns`, `resolvconf_iface_prefix`). Down removes exactly what up added, and runs the down hooks.

#if canImport(Glibc)
import Glibc
#endif

extension WGQuick {
    func down() throws {
        try requireWireGuardInterface()
        try hooks(config.preDown)
        if config.saveConfig { try saveConfig() }
        try deleteInterface()
        try? unsetDNS()
        try? removeFirewall()
        try hooks(config.postDown)
    }

    /// linux.bash `del_if`: DNS and firewall when this run set them, the policy rules of a default route, the link.
    func deleteInterface() throws {
        if haveSetDNS { try unsetDNS() }
        if haveSetFirewall { try removeFirewall() }
        if config.table == nil || config.table == "auto", let table = fwmark(),
           hasDefaultRoute(runner.query(["wg", "show", interface, "allowed-ips"]).output) {
            for proto in ["-4", "-6"] {
                while runner.query(["ip", proto, "rule", "show"]).output.contains("lookup \(table)") {
                    try command(["ip", proto, "rule", "delete", "table", String(table)])
                }
                while runner.query(["ip", proto, "rule", "show"]).output.contains("from all lookup main suppress_prefixlength 0") {
                    try command(["ip", proto, "rule", "delete", "table", "main", "suppress_prefixlength", "0"])
                }
            }
        }
        try command(["ip", "link", "delete", "dev", interface])
        createdInterface = false
    }

    /// `/0(\ |$'\n'|$)`
    private func hasDefaultRoute(_ allowedIPs: String) -> Bool {
        allowedIPs.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).contains { $0.hasSuffix("/0") }
    }

    /// Everything through table `fwmark` (51820 or the next free one), except what carries the mark: the
    /// tunnel's own UDP, which must keep using the main table.
    func addDefault(_ prefix: String) throws {
        var table = fwmark() ?? 0
        if table == 0 {
            table = 51820
            while !runner.query(["ip", "-4", "route", "show", "table", String(table)]).output.isEmpty
                || !runner.query(["ip", "-6", "route", "show", "table", String(table)]).output.isEmpty {
                table += 1
            }
            try command(["wg", "set", interface, "fwmark", String(table)])
        }
        let v6 = prefix.contains(":")
        let proto = v6 ? "-6" : "-4", family = v6 ? "ip6" : "ip"
        try command(["ip", proto, "route", "add", prefix, "dev", interface, "table", String(table)])
        try command(["ip", proto, "rule", "add", "not", "fwmark", String(table), "table", String(table)])
        try command(["ip", proto, "rule", "add", "table", "main", "suppress_prefixlength", "0"])

        let marker = "-m comment --comment \"wg-quick(8) rule for \(interface)\""
        let nftable = "wg-quick-\(interface)"
        var restore = "*raw\n"
        var nft = "add table \(family) \(nftable)\n"
        nft += "add chain \(family) \(nftable) preraw { type filter hook prerouting priority -300; }\n"
        nft += "add chain \(family) \(nftable) premangle { type filter hook prerouting priority -150; }\n"
        nft += "add chain \(family) \(nftable) postmangle { type filter hook postrouting priority -150; }\n"
        // Packets to our tunnel addresses arriving on another interface are spoofed: drop them early.
        for address in interfaceAddresses(proto) {
            restore += "-I PREROUTING ! -i \(interface) -d \(address) -m addrtype ! --src-type LOCAL -j DROP \(marker)\n"
            nft += "add rule \(family) \(nftable) preraw iifname != \"\(interface)\" \(family) daddr \(address) fib saddr type != local drop\n"
        }
        restore += "COMMIT\n*mangle\n-I POSTROUTING -m mark --mark \(table) -p udp -j CONNMARK --save-mark \(marker)\n"
        restore += "-I PREROUTING -p udp -j CONNMARK --restore-mark \(marker)\nCOMMIT\n"
        nft += "add rule \(family) \(nftable) postmangle meta l4proto udp mark \(table) ct mark set mark \n"
        nft += "add rule \(family) \(nftable) premangle meta l4proto udp meta mark set ct mark \n"
        // Upstream's rule (Debian's wg-quick sets it unconditionally): only when not already on.
        if !v6 && runner.query(["sysctl", "-n", "net.ipv4.conf.all.src_valid_mark"]).output.trimmingNewline != "1" {
            try command(["sysctl", "-q", "net.ipv4.conf.all.src_valid_mark=1"])
        }
        if runner.hasProgram("nft") {
            try command(["nft", "-f", runner.filePath], file: nft)
        } else {
            try command([v6 ? "ip6tables-restore" : "iptables-restore", "-n"], input: restore)
        }
        haveSetFirewall = true
    }

    /// The interface's addresses of one family (`ip -o addr show`).
    private func interfaceAddresses(_ proto: String) -> [String] {
        runner.query(["ip", "-o", proto, "addr", "show", "dev", interface]).output.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(where: { $0 == "inet" || $0 == "inet6" }), i + 1 < words.count,
                  let slash = words[i + 1].firstIndex(of: "/") else { return nil }
            return String(words[i + 1][..<slash])
        }
    }

    func removeFirewall() throws {
        if runner.hasProgram("nft") {
            let tables = runner.query(["nft", "list", "tables"]).output.split(separator: "\n")
            let deletions = tables.filter { $0.hasSuffix(" wg-quick-\(interface)") }.map { "delete \($0)\n" }.joined()
            if !deletions.isEmpty { try command(["nft", "-f", runner.filePath], file: deletions) }
        }
        if runner.hasProgram("iptables") {
            for tool in ["iptables", "ip6tables"] {
                var restore = ""
                var found = false
                let marker = "-m comment --comment \"wg-quick(8) rule for \(interface)\""
                for line in runner.query(["\(tool)-save"]).output.split(separator: "\n") {
                    guard line.hasPrefix("*") || line == "COMMIT" || (line.hasPrefix("-A ") && line.contains(marker)) else { continue }
                    if line.hasPrefix("-A") {
                        found = true
                        restore += "-D" + line.dropFirst(2) + "\n"
                    } else {
                        restore += line + "\n"
                    }
                }
                if found { try command(["\(tool)-restore", "-n"], input: restore) }
            }
        }
    }

    /// The name given to resolvconf: the interface, prefixed as /etc/resolvconf/interface-order wants it
    /// (`tun.wg0`), except with systemd-resolved's resolvectl shim (a symlink), which takes the bare name.
    var resolvconfName: String {
        guard let order = Self.readFile("\(root)/etc/resolvconf/interface-order"), !resolvconfIsSymlink else { return interface }
        for line in order.split(separator: "\n") {
            let entry = QuickConfiguration.trimmed(line)
            guard entry.hasSuffix("*") else { continue }
            let name = entry.dropLast()
            if !name.isEmpty && name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                return "\(name).\(interface)"
            }
        }
        return interface
    }

    private var resolvconfIsSymlink: Bool {
        var st = stat()
        guard let path = SearchPath.executable("resolvconf"), lstat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFLNK
    }

    func setDNS() throws {
        guard !config.dnsServers.isEmpty else { return }
        var input = config.dnsServers.map { "nameserver \($0)\n" }.joined()
        if !config.dnsSearch.isEmpty { input += "search \(config.dnsSearch.joined(separator: " "))\n" }
        try command(["resolvconf", "-a", resolvconfName, "-m", "0", "-x"], input: input)
        haveSetDNS = true
    }

    func unsetDNS() throws {
        guard !config.dnsServers.isEmpty else { return }
        try command(["resolvconf", "-d", resolvconfName, "-f"])
    }
}
