// SPDX-License-Identifier: MIT
// wg-quick's logic against a recording runner: which commands `up` and `down` run for a configuration and
// the system facts the runner reports (existing routes, tables in use, route MTUs, tools present), how a
// failure is undone, and how the file is read.

import Foundation
import Testing
import WireGuardIPC
@testable import WireGuardTools

/// Records what would run; answers queries from a script keyed by the joined argv.
final class RecordingRunner: CommandRunner {
    var commands: [String] = []
    var answers: [String: String] = [:]
    var programs: Set<String> = ["nft", "resolvconf", "wireguard-swift"]
    /// Commands (by prefix) that fail with status 1.
    var failing: [String] = []
    /// What `wg show IF fwmark` says once `wg set IF fwmark N` has run.
    var fwmarkSet: String?
    var files: [String] = []

    func run(_ argv: [String], input: String?, file: String?) -> Int32 {
        let line = argv.joined(separator: " ")
        commands.append(line)
        if let file { files.append(file) }
        if let input { files.append(input) }
        if line.contains(" fwmark "), argv.count == 5, argv[1] == "set" { fwmarkSet = "0x" + String(Int(argv[4])!, radix: 16) }
        return failing.contains { line.hasPrefix($0) } ? 1 : 0
    }

    func query(_ argv: [String]) -> (status: Int32, output: String) {
        let line = argv.joined(separator: " ")
        if argv.count == 4, argv[0] == "wg", argv[3] == "fwmark", let mark = fwmarkSet { return (0, mark + "\n") }
        return (0, answers[line] ?? "")
    }

    func hook(_ script: String) -> Int32 {
        commands.append("hook: " + script)
        return failing.contains { script.hasPrefix($0) } ? 1 : 0
    }

    func say(_ line: String) { commands.append("say: " + line) }
    func hasProgram(_ name: String) -> Bool { programs.contains(name) }
}

final class CapturedIO: CommandIO {
    var environment: [String: String] = [:]
    var out = "", err = ""
    func write(_ text: String) { out += text }
    func writeError(_ text: String) { err += text }
    func readInput() -> [UInt8] { [] }
    var outputIsTerminal: Bool { false }
    var outputIsWorldAccessibleFile: Bool { false }
}

@Suite struct WGQuickTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wgquick-\(UUID().uuidString)").path

    private func quick(_ text: String, name: String = "wgt0", runner: RecordingRunner) throws -> (WGQuick, CapturedIO, String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = "\(directory)/\(name).conf"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        let io = CapturedIO()
        let q = WGQuick(programName: "wg-quick", io: io, runner: runner, daemon: "wireguard-swift",
                        sockets: SocketDirectory(path: directory), socketTimeout: 0, root: directory)
        return (q, io, path)
    }

    private let peer = "[Peer]\nPublicKey = e6Y2o0hDb8Tk0x1R5Kd9cJqlwQh3Yp0XkN0i8ZL1c1Q=\n"

    @Test func upRunsDebiansSequenceAndSkipsCoveredRoutes() throws {
        let runner = RecordingRunner()
        runner.failing = ["ip link add"]
        runner.answers["wg show wgt0 allowed-ips"] = "KEY\t10.0.0.0/8 10.1.0.0/16 fd00::/64 10.1.2.3/32\n"
        runner.answers["ip -4 route show dev wgt0 match 10.0.0.0/8"] = "10.0.0.0/8 dev wgt0 proto kernel\n"
        let (q, io, path) = try quick("[Interface]\nAddress = 10.0.0.1/8\nMTU = 1380\nPreUp = echo %i\n" + peer, runner: runner)
        #expect(q.run(["up", path]) == 0, "\(io.err)")
        #expect(runner.commands == [
            "hook: echo wgt0",
            "ip link add wgt0 type wireguard",
            "say: [!] Missing WireGuard kernel module. Falling back to slow userspace implementation.",
            "wireguard-swift wgt0",
            "wg setconf wgt0 /dev/fd/63",
            "ip -4 address add 10.0.0.1/8 dev wgt0",
            "ip link set mtu 1380 up dev wgt0",
            // `sort -nr -k 2 -t /`: by prefix length, whatever the family.
            "ip -6 route add fd00::/64 dev wgt0",
            "ip -4 route add 10.1.2.3/32 dev wgt0",
            "ip -4 route add 10.1.0.0/16 dev wgt0",
        ])
        #expect(runner.files.first == "[Interface]\n[Peer]\nPublicKey = e6Y2o0hDb8Tk0x1R5Kd9cJqlwQh3Yp0XkN0i8ZL1c1Q=\n\n")
    }

    @Test(arguments: [("off", [String]()), ("1234", ["ip -4 route add 10.0.0.0/8 dev wgt0 table 1234", "ip -4 route add 0.0.0.0/0 dev wgt0 table 1234"])])
    func tableOffOrNamed(_ table: String, _ routes: [String]) throws {
        let runner = RecordingRunner()
        runner.answers["wg show wgt0 allowed-ips"] = "KEY\t10.0.0.0/8 0.0.0.0/0\n"
        let (q, _, path) = try quick("[Interface]\nTable = \(table)\nMTU = 1400\n" + peer, runner: runner)
        #expect(q.run(["up", path]) == 0)
        #expect(Array(runner.commands.drop { !$0.hasPrefix("ip link set mtu") }.dropFirst()) == routes)
    }

    @Test func defaultRouteTakesTheNextFreeTableAndSetsTheFirewall() throws {
        let runner = RecordingRunner()
        runner.answers["wg show wgt0 allowed-ips"] = "KEY\t0.0.0.0/0\n"
        runner.answers["ip -6 route show table 51820"] = "default dev other\n"
        runner.answers["ip -o -4 addr show dev wgt0"] = "7: wgt0    inet 10.0.0.2/32 scope global wgt0\\       valid_lft forever\n"
        runner.answers["sysctl -n net.ipv4.conf.all.src_valid_mark"] = "1\n"
        runner.programs.remove("nft")
        let (q, _, path) = try quick("[Interface]\nMTU = 1400\n" + peer, runner: runner)
        #expect(q.run(["up", path]) == 0)
        #expect(Array(runner.commands.suffix(5)) == [
            "wg set wgt0 fwmark 51821",
            "ip -4 route add 0.0.0.0/0 dev wgt0 table 51821",
            "ip -4 rule add not fwmark 51821 table 51821",
            "ip -4 rule add table main suppress_prefixlength 0",
            "iptables-restore -n",
        ])
        let restore = try #require(runner.files.last)
        #expect(restore.contains("-I PREROUTING ! -i wgt0 -d 10.0.0.2 -m addrtype ! --src-type LOCAL -j DROP -m comment --comment \"wg-quick(8) rule for wgt0\""))
        #expect(restore.contains("-I POSTROUTING -m mark --mark 51821 -p udp -j CONNMARK --save-mark"))
    }

    @Test func mtuIsTheSmallestEndpointRouteMinus80() throws {
        let runner = RecordingRunner()
        runner.answers["wg show wgt0 endpoints"] = "A\t192.0.2.1:1\nB\t[2001:db8::1]:2\nC\t(none)\n"
        runner.answers["ip route get 192.0.2.1"] = "192.0.2.1 via 10.0.0.1 dev eth0 src 10.0.0.2\n"
        runner.answers["ip link show dev eth0"] = "2: eth0: <UP> mtu 1500 qdisc noqueue\n"
        runner.answers["ip route get 2001:db8::1"] = "2001:db8::1 dev ppp0 mtu 1492\n"
        let (q, _, path) = try quick("[Interface]\n" + peer, runner: runner)
        #expect(q.run(["up", path]) == 0)
        #expect(runner.commands.contains("ip link set mtu 1412 up dev wgt0"))

        let empty = RecordingRunner()
        let (q2, _, path2) = try quick("[Interface]\n", name: "wgt1", runner: empty)
        #expect(q2.run(["up", path2]) == 0)
        #expect(empty.commands.contains("ip link set mtu 1420 up dev wgt1"))
    }

    @Test func failureUndoesWhatWasDone() throws {
        let runner = RecordingRunner()
        runner.failing = ["ip link add", "false"]
        runner.answers["ip link show dev wgt0"] = ""
        let (q, _, path) = try quick("[Interface]\nDNS = 10.0.0.53\nMTU = 1400\nPostUp = false\n" + peer, runner: runner)
        // The daemon "creates" the link: from then on `ip link show` finds it.
        runner.answers["ip link show dev wgt0"] = ""
        let status = q.run(["up", path])
        #expect(status == 1)
        #expect(runner.commands.contains("say: wg-quick: hook `false' failed with exit status 1"))
        // DNS was set, so it is unset; the interface did not appear (fake), so no delete is attempted.
        #expect(runner.commands.contains("resolvconf -d wgt0 -f"))
        #expect(!runner.commands.contains("ip link delete dev wgt0"))

        let early = RecordingRunner()
        early.failing = ["echo"]
        let (q2, _, path2) = try quick("[Interface]\nPreUp = echo nope\n", name: "wgt2", runner: early)
        #expect(q2.run(["up", path2]) == 1)
        #expect(early.commands == ["hook: echo nope", "say: wg-quick: hook `echo nope' failed with exit status 1"])
    }

    @Test func downRemovesPolicyRulesThenTheLinkThenDNSAndFirewall() throws {
        let runner = RecordingRunner()
        runner.answers["wg show interfaces"] = "other wgt0\n"
        runner.fwmarkSet = "0xca6c"
        runner.answers["wg show wgt0 allowed-ips"] = "KEY\t0.0.0.0/0\n"
        runner.answers["nft list tables"] = "table ip wg-quick-wgt0\ntable ip6 wg-quick-wgt0\ntable ip wg-quick-wgt00\n"
        let (q, _, path) = try quick("[Interface]\nDNS = 1.1.1.1\nPostDown = echo bye\n" + peer, runner: runner)
        #expect(q.run(["down", path]) == 0)
        #expect(runner.commands == ["ip link delete dev wgt0", "resolvconf -d wgt0 -f", "nft -f /dev/fd/63", "hook: echo bye"])
        #expect(runner.files == ["delete table ip wg-quick-wgt0\ndelete table ip6 wg-quick-wgt0\n"])

        let notOurs = RecordingRunner()
        let (q2, io2, path2) = try quick("[Interface]\n", runner: notOurs)
        #expect(q2.run(["down", path2]) == 1)
        #expect(io2.err == "wg-quick: `wgt0' is not a WireGuard interface\n")
    }

    @Test func resolvconfNameFollowsInterfaceOrder() throws {
        let runner = RecordingRunner()
        let (q, _, path) = try quick("[Interface]\nDNS = 10.0.0.53, corp.example\nMTU = 1400\n", runner: runner)
        try FileManager.default.createDirectory(atPath: "\(directory)/etc/resolvconf", withIntermediateDirectories: true)
        try "lo.inet\nlo\ntun*\ntap*\n".write(toFile: "\(directory)/etc/resolvconf/interface-order", atomically: true, encoding: .utf8)
        #expect(q.run(["up", path]) == 0)
        #expect(runner.commands.contains("resolvconf -a tun.wgt0 -m 0 -x"))
        #expect(runner.files.last == "nameserver 10.0.0.53\nsearch corp.example\n")
    }

    @Test func namesAndFiles() throws {
        let runner = RecordingRunner()
        let (q, io, _) = try quick("[Interface]\n", runner: runner)
        #expect(q.run(["up", "\(directory)/missing.conf"]) == 1)
        #expect(io.err == "wg-quick: `\(directory)/missing.conf' does not exist\n")
        let (q2, io2, _) = try quick("[Interface]\n", name: "much-too-long-name", runner: runner)
        #expect(q2.run(["strip", "\(directory)/much-too-long-name.conf"]) == 1)
        #expect(io2.err == "wg-quick: The config file must be a valid interface name, followed by .conf\n")
        let (q3, io3, _) = try quick("", runner: runner)
        #expect(q3.run(["sideways", "x"]) == 1 && io3.err.hasPrefix("Usage: wg-quick [ up | down | save | strip ]"))
        #expect(WGQuick.isInterfaceName("wg0") && WGQuick.isInterfaceName("a_b=c+d.e-f") && !WGQuick.isInterfaceName("wg 0"))
    }
}

@Suite struct QuickConfigurationTests {
    @Test func wgQuickKeysAndTheRest() throws {
        let config = try QuickConfiguration(parsing: """
              [Interface]  \r
            address = 10.0.0.1/24,fd00::1/64\r
            Address = 10.0.1.1/24
            DNS = 1.1.1.1, 2606:4700::1111 example.com,corp
            mtu = 1380
            Table = off
            PostUp = iptables -A FORWARD -i %i -j ACCEPT # keep this comment
            SaveConfig = TRUE
            PrivateKey = x # a comment
            [ Interface ]
            Address = 192.0.2.1
            [Peer]
            Address = 192.0.2.2
            """)
        #expect(config.addresses == ["10.0.0.1/24", "fd00::1/64", "10.0.1.1/24"])
        #expect(config.dnsServers == ["1.1.1.1", "2606:4700::1111"] && config.dnsSearch == ["example.com", "corp"])
        #expect(config.mtu == "1380" && config.table == "off" && config.saveConfig)
        #expect(config.postUp == ["iptables -A FORWARD -i %i -j ACCEPT # keep this comment"])
        // "[ Interface ]" is not wg-quick's section name (wg accepts it); lines keep their "\r".
        #expect(config.wgConfig == "[Interface]  \r\nPrivateKey = x # a comment\n[ Interface ]\nAddress = 192.0.2.1\n[Peer]\nAddress = 192.0.2.2\n")
        #expect(config.stripped == config.wgConfig + "\n")
    }

    @Test func saveConfigMustBeABoolean() {
        #expect(throws: QuickError("`yes' is neither true nor false")) {
            try QuickConfiguration(parsing: "[Interface]\nSaveConfig = yes\n")
        }
    }
}
