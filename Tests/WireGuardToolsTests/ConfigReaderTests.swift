// SPDX-License-Identifier: MIT
// Config files and value parsers with wireguard-tools' rules and messages (config.c), with a scripted
// resolver so that endpoint retries are checked without DNS or waiting.

import Foundation
import Testing
import WireGuardModel
@testable import WireGuardTools

/// Answers from a script; records every pause.
final class ScriptedResolver: NameResolver, @unchecked Sendable {
    var answers: [String: [Resolution]] = [:]
    var pauses: [UInt32] = []
    var queries: [String] = []

    func resolve(host: String?, service: String) -> Resolution {
        let key = "\(host ?? "*")|\(service)"
        queries.append(key)
        guard var queue = answers[key], !queue.isEmpty else {
            if host == nil, let port = UInt16(service) { return .resolved(Endpoint(address: .v4(0), port: port)) }
            if let host, let address = IPAddress(host), let port = UInt16(service) {
                return .resolved(Endpoint(address: address, port: port))
            }
            return .failed(message: "Name or service not known", permanent: true)
        }
        let answer = queue.removeFirst()
        if !queue.isEmpty { answers[key] = queue }
        return answer
    }

    func pause(microseconds: UInt32) { pauses.append(microseconds) }
}

/// The lines of a file as getline returns them to setconf (a last line without its newline counts).
func lines(_ data: [UInt8]) -> [ArraySlice<UInt8>] {
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines
}

/// Parsers over a scripted resolver, collecting what they report.
final class Harness {
    let resolver = ScriptedResolver()
    var reports: [String] = []
    var environment: [String: String] = [:]

    var values: ConfigValues {
        ConfigValues(resolver: resolver, environment: environment, report: { [unowned self] in self.reports.append($0) })
    }

    func read(_ text: String, append: Bool = false) throws(ConfigError) -> DeviceUpdate {
        var reader = ConfigReader(append: append, values: values)
        for line in lines(Array(text.utf8)) { try reader.readLine(line) }
        return try reader.finish()
    }
}

let keyA = "mJXBuCWu4EgZM0ltfyq1vEp1tQ2zeC9sHOQ94Z9wC2I="
let keyB = "e6Y2o0hDb8Tk0x1R5Kd9cJqlwQh3Yp0XkN0i8ZL1c1Q="
let pskText = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

@Suite struct ConfigReaderTests {
    @Test func wholeFileWithCommentsSpacingAndCase() throws {
        let h = Harness()
        let update = try h.read("""
            # comment
            [ interface ]
              PRIVATEKEY = \(keyA)   # trailing
            listenport=51820
            FwMark = 0x10

            [Peer]
            PublicKey = \(keyB)
            PresharedKey = \(pskText)
            Endpoint = [fd00::1]:4000
            AllowedIPs = 10.0.0.0/8, fd00::/64
            AllowedIPs = 192.168.1.1
            PersistentKeepalive = 25
            """)
        #expect(update.privateKey == PrivateKey(base64: keyA))
        #expect(update.listenPort == 51820)
        #expect(update.fwmark == 16)
        #expect(update.replacePeers)
        let peer = try #require(update.peers.first)
        #expect(update.peers.count == 1)
        #expect(peer.publicKey == PublicKey(base64: keyB))
        #expect(peer.presharedKey == PresharedKey(base64: pskText))
        #expect(peer.endpoint == Endpoint("[fd00::1]:4000"))
        #expect(peer.persistentKeepalive == 25)
        #expect(peer.replaceAllowedIPs)
        #expect(peer.allowedIPs == ["10.0.0.0/8", "fd00::/64", "192.168.1.1/32"].map { .add(IPPrefix($0)!) })
        #expect(h.reports.isEmpty)
    }

    @Test func setconfDescribesTheWholeDeviceAddconfOnlyWhatItSays() throws {
        let h = Harness()
        let whole = try h.read("[Interface]\n")
        #expect(whole.privateKey?.isZero == true)
        #expect(whole.listenPort == 0 && whole.fwmark == 0 && whole.replacePeers)
        let appended = try h.read("[Peer]\nPublicKey=\(keyB)\n", append: true)
        #expect(appended.privateKey == nil && appended.listenPort == nil && appended.fwmark == nil && !appended.replacePeers)
        #expect(appended.peers.count == 1)
    }

    @Test(arguments: [
        ("Bogus = 1", "Line unrecognized: `Bogus=1'"),
        ("[Interface]\nListenPort =", "Line unrecognized: `ListenPort='"),
        ("PrivateKey = \(keyA)", "Line unrecognized: `PrivateKey=\(keyA)'"),
        ("[Peer]\nListenPort = 1", "Line unrecognized: `ListenPort=1'"),
        ("[Peer]\nPublicKey = abc", "Key is not the correct length or format: `abc'"),
        ("[Peer]\nAllowedIPs = 10.0.0.0/33", "AllowedIP is not in the correct format: `10.0.0.0/33'"),
        ("[Peer]\nAllowedIPs = fd00::/129", "AllowedIP is not in the correct format: `fd00::/129'"),
        ("[Peer]\nAllowedIPs = 10.0.0.0/8/9", "AllowedIP is not in the correct format: `10.0.0.0/8/9'"),
        ("[Peer]\nAllowedIPs = 10.0.0.0/+8", "AllowedIP is not in the correct format: `10.0.0.0/+8'"),
        ("[Peer]\nAllowedIPs = 10.0.0.0/8,", "Unable to parse IP address: `'"),
        ("[Peer]\nAllowedIPs = 300.0.0.0/8", "Unable to parse IP address: `300.0.0.0'"),
        ("[Peer]\nEndpoint = 1.2.3.4", "Unable to find port of endpoint: `1.2.3.4'"),
        ("[Peer]\nEndpoint = [::1", "Unable to find matching brace of endpoint: `[::1'"),
        ("[Peer]\nEndpoint = [::1]:", "Unable to find port of endpoint: `[::1]:'"),
        ("[Peer]\nPersistentKeepalive = 65536", "Persistent keepalive interval is neither 0/off nor 1-65535: `65536'"),
        ("[Interface]\nFwMark = 0X10", "Fwmark is neither 0/off nor 0-0xffffffff: `0X10'"),
        ("[Interface]\nFwMark = 0x100000000", "Fwmark is neither 0/off nor 0-0xffffffff: `0x100000000'"),
        ("[Peer]\nAllowedIPs = 10.0.0.0/8", "A peer is missing a public key"),
    ])
    func errorsNameTheLine(_ text: String, _ message: String) {
        #expect(throws: ConfigError(message)) { try Harness().read(text) }
    }

    @Test func wgQuickKeysGetAHint() {
        let hint = "`Address' is a wg-quick(8) key, not a wg(8) one: `wg-quick strip' prints the file without such keys"
        #expect(throws: ConfigError("Line unrecognized: `Address=10.0.0.1/24'\n" + hint)) {
            try Harness().read("[Interface]\nAddress = 10.0.0.1/24")
        }
        for key in ["DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"] {
            #expect(throws: ConfigError("Line unrecognized: `\(key)=x'\n`\(key)' is a wg-quick(8) key, not a wg(8) one: `wg-quick strip' prints the file without such keys")) {
                try Harness().read("[Interface]\n\(key) = x")
            }
        }
        // Only where wg-quick reads them.
        #expect(throws: ConfigError("Line unrecognized: `Address=10.0.0.1'")) { try Harness().read("[Peer]\nAddress = 10.0.0.1") }
    }

    @Test func hostBitsWarnAndAreMasked() throws {
        let h = Harness()
        let update = try h.read("[Peer]\nPublicKey=\(keyB)\nAllowedIPs = 10.1.2.3/16, fd00::1/64")
        #expect(h.reports == ["Warning: AllowedIP has nonzero host part: 10.1.2.3/16",
                              "Warning: AllowedIP has nonzero host part: fd00::1/64"])
        #expect(update.peers[0].allowedIPs == [.add(IPPrefix("10.1.0.0/16")!), .add(IPPrefix("fd00::/64")!)])
    }

    @Test func plusAndMinusMakeTheChangeIncremental() throws {
        var peer = PeerUpdate(publicKey: PublicKey(base64: keyB)!)
        let values = Harness().values
        try values.allowedIPs("10.0.0.0/8,+10.1.0.0/16,-fd00::/64", into: &peer)
        #expect(!peer.replaceAllowedIPs)
        #expect(peer.allowedIPs == [.add(IPPrefix("10.0.0.0/8")!), .add(IPPrefix("10.1.0.0/16")!), .remove(IPPrefix("fd00::/64")!)])
        var cleared = PeerUpdate(publicKey: PublicKey(base64: keyB)!)
        try values.allowedIPs("", into: &cleared)
        #expect(cleared.replaceAllowedIPs && cleared.allowedIPs.isEmpty)
    }

    @Test func linesEndAtNulAndKeepALastLineWithoutNewline() throws {
        let h = Harness()
        var bytes = Array("[Peer]\nPublicKey=\(keyB)\u{0}garbage\nAllowedIPs=10.0.0.0/8".utf8)
        bytes.append(0x0A)
        var reader = ConfigReader(append: true, values: h.values)
        let lines = lines(bytes)
        #expect(lines.count == 3)
        for line in lines { try reader.readLine(line) }
        #expect(try reader.finish().peers[0].allowedIPs.count == 1)
    }

    @Test func numbersFollowStrtoul() throws {
        let v = Harness().values
        #expect(try v.fwmark("off") == 0 && v.fwmark("OFF") == 0 && v.fwmark("0x1f") == 31 && v.fwmark("4294967295") == .max)
        #expect(try v.fwmark("007") == 7)
        #expect(try v.keepalive("Off") == 0 && v.keepalive("65535") == 65535)
        for bad in ["", " 1", "1 ", "+1", "-1", "0x", "x1", "0x1g"] {
            #expect(throws: ConfigError.self) { try v.fwmark(bad) }
        }
        for bad in ["", "0x10", "1.5", "-0"] {
            #expect(throws: ConfigError.self) { try v.keepalive(bad) }
        }
        #expect(throws: ConfigError("Unable to parse empty port")) { try v.port("") }
    }
}
