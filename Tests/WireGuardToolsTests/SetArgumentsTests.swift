// SPDX-License-Identifier: MIT
// `wg set`'s grammar, key files, endpoint resolution retries, syncconf's diff, the UAPI request written
// for a change, and a robustness sweep of the config reader.

import Foundation
import Testing
import WireGuardModel
import WireGuardTestSupport
@testable import WireGuardTools

@Suite struct SetArgumentsTests {
    private func parse(_ args: [String], _ h: Harness = Harness()) throws(ConfigError) -> DeviceUpdate {
        try SetArguments.parse(ArraySlice(args), values: h.values)
    }

    private func temporaryFile(_ contents: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wgkey-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(contents)))
        return path
    }

    @Test func deviceOptionsThenPeers() throws {
        let key = try temporaryFile(Array("\(keyA)\n".utf8))
        defer { unlink(key) }
        let update = try parse(["listen-port", "51820", "fwmark", "0x20", "private-key", key,
                                "peer", keyB, "endpoint", "10.0.0.1:1", "allowed-ips", "10.1.0.0/16, 10.2.0.0/16",
                                "persistent-keepalive", "off", "preshared-key", "/dev/null",
                                "peer", pskText, "remove"])
        #expect(update.listenPort == 51820 && update.fwmark == 32 && !update.replacePeers)
        #expect(update.privateKey == PrivateKey(base64: keyA))
        #expect(update.peers.count == 2)
        #expect(update.peers[0].endpoint == Endpoint("10.0.0.1:1"))
        #expect(update.peers[0].allowedIPs.count == 2 && update.peers[0].replaceAllowedIPs)
        #expect(update.peers[0].persistentKeepalive == 0)
        #expect(update.peers[0].presharedKey?.isZero == true)
        #expect(update.peers[1].remove)
    }

    @Test(arguments: [
        (["peer", keyB, "listen-port", "1"], "Invalid argument: listen-port"),
        (["endpoint", "1.2.3.4:5"], "Invalid argument: endpoint"),
        (["remove"], "Invalid argument: remove"),
        (["peer"], "Invalid argument: peer"),
        (["listen-port"], "Invalid argument: listen-port"),
        (["peer", keyB, "allowed-ips"], "Invalid argument: allowed-ips"),
        (["bogus"], "Invalid argument: bogus"),
        (["peer", "abc"], "Key is not the correct length or format: `abc'"),
        (["private-key", "/no/such/file"], "fopen: No such file or directory"),
    ])
    func grammarErrors(_ args: [String], _ message: String) {
        #expect(throws: ConfigError(message)) { try parse(args) }
    }

    @Test func keyFiles() throws {
        let cases: [([UInt8], ConfigError?)] = [
            (Array("\(keyA)  \n\t".utf8), nil),
            ([], nil),
            (Array(keyA.utf8.prefix(43)), ConfigError("Invalid length key in key file")),
            (Array("\(keyA) x".utf8), ConfigError("Found trailing character in key file: `x'")),
            (Array("\(keyA.dropLast())!".utf8), ConfigError("Key is not the correct length or format: `\(keyA.dropLast())!'")),
        ]
        for (contents, expected) in cases {
            let path = try temporaryFile(contents)
            defer { unlink(path) }
            let values = Harness().values
            if let expected {
                #expect(throws: expected) { try values.keyFile(path) }
            } else {
                let key = try values.keyFile(path)
                #expect(key == (contents.isEmpty ? [UInt8](repeating: 0, count: 32) : KeyEncoding.key(base64: keyA)))
            }
        }
    }

    @Test func transientResolverFailuresAreRetriedWithGrowingPauses() throws {
        let h = Harness()
        let again = Resolution.failed(message: "Temporary failure in name resolution", permanent: false)
        h.resolver.answers["vpn.example|51820"] = [again, again, again, .resolved(Endpoint("192.0.2.9:51820")!)]
        #expect(try h.values.endpoint("vpn.example:51820") == Endpoint("192.0.2.9:51820"))
        #expect(h.resolver.pauses == [1_000_000, 1_200_000, 1_440_000])
        #expect(h.reports == ["1.00", "1.20", "1.44"].map {
            "Temporary failure in name resolution: `vpn.example:51820'. Trying again in \($0) seconds..."
        })
    }

    @Test func retriesAreBoundedByTheEnvironment() {
        let h = Harness()
        h.environment["WG_ENDPOINT_RESOLUTION_RETRIES"] = "2"
        h.resolver.answers["vpn.example|1"] = Array(repeating: .failed(message: "Try again", permanent: false), count: 9)
        #expect(throws: ConfigError("Try again: `vpn.example:1'")) { try h.values.endpoint("vpn.example:1") }
        #expect(h.resolver.pauses.count == 2)

        let permanent = Harness()
        #expect(throws: ConfigError("Name or service not known: `nowhere:1'")) { try permanent.values.endpoint("nowhere:1") }
        #expect(permanent.resolver.pauses.isEmpty)

        let zero = Harness()
        zero.environment["WG_ENDPOINT_RESOLUTION_RETRIES"] = ""
        zero.resolver.answers["vpn.example|1"] = [.failed(message: "Try again", permanent: false)]
        #expect(throws: ConfigError("Try again: `vpn.example:1'")) { try zero.values.endpoint("vpn.example:1") }

        let bad = Harness()
        bad.environment["WG_ENDPOINT_RESOLUTION_RETRIES"] = "-1"
        #expect(throws: ConfigError("Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `-1'", fatal: true)) {
            try bad.values.endpoint("")
        }
    }

    @Test func endpointForms() throws {
        let h = Harness()
        #expect(try h.values.endpoint("::1:5") == Endpoint("[::1]:5"))
        #expect(try h.values.endpoint("[fd00::2]:7") == Endpoint("[fd00::2]:7"))
        #expect(h.resolver.queries == ["::1|5", "fd00::2|7"])
        #expect(throws: ConfigError("Unable to parse empty endpoint")) { try h.values.endpoint("") }
        #expect(throws: ConfigError("Unable to find port of endpoint: `[::1]x'")) { try h.values.endpoint("[::1]x") }
    }

    @Test func systemResolverReadsNumbersAndReportsFailures() {
        let r = SystemResolver()
        #expect(r.resolve(host: nil, service: "51820") == .resolved(Endpoint(address: .v6(hi: 0, lo: 0), port: 51820))
                || r.resolve(host: nil, service: "51820") == .resolved(Endpoint(address: .v4(0), port: 51820)))
        #expect(r.resolve(host: "192.0.2.1", service: "9") == .resolved(Endpoint("192.0.2.1:9")!))
        #expect(r.resolve(host: "fd00::1", service: "9") == .resolved(Endpoint("[fd00::1]:9")!))
        guard case .failed(let message, _) = r.resolve(host: "192.0.2.1", service: "no-such-service-here") else {
            Issue.record("a bad service resolved")
            return
        }
        #expect(!message.isEmpty)
    }
}

@Suite struct SyncConfTests {
    private func status(_ peers: [PeerStatus]) -> DeviceStatus {
        DeviceStatus(privateKey: nil, publicKey: nil, listenPort: 1, fwmark: 0, peers: peers)
    }

    private func running(_ key: String, psk: Bool = false, keepalive: UInt16 = 0) -> PeerStatus {
        PeerStatus(publicKey: PublicKey(base64: key)!, presharedKey: psk ? PresharedKey(base64: pskText) : nil, endpoint: nil,
                   lastHandshake: nil, rxBytes: 0, txBytes: 0, persistentKeepalive: keepalive, allowedIPs: [])
    }

    @Test func removesWhatTheFileLacksAndTurnsOffWhatItNoLongerSays() throws {
        let file = try Harness().read("[Peer]\nPublicKey=\(keyB)\nAllowedIPs=10.0.0.0/8")
        let keyC = String(repeating: "A", count: 43) + "="
        let keyD = String(repeating: "/", count: 42) + "8="
        let result = SyncConf.changes(file: file, runtime: status([running(keyC), running(keyB, psk: true, keepalive: 25), running(keyD)]))
        #expect(!result.replacePeers)
        #expect(result.peers.map(\.publicKey.base64) == [keyD, keyC, keyB])
        #expect(result.peers[0].remove && result.peers[1].remove && !result.peers[2].remove)
        #expect(result.peers[2].presharedKey?.isZero == true && result.peers[2].persistentKeepalive == 0)
        #expect(result.privateKey?.isZero == true && result.listenPort == 0)
    }

    @Test func peersLeftAsTheyRunAreNotResent() throws {
        let keyC = String(repeating: "A", count: 43) + "="
        let keyD = String(repeating: "/", count: 42) + "8="
        let file = try Harness().read("""
            [Peer]
            PublicKey=\(keyB)
            Endpoint=192.0.2.1:51820
            AllowedIPs=10.0.0.0/8, fd00::/64
            [Peer]
            PublicKey=\(keyC)
            AllowedIPs=10.1.0.0/16
            [Peer]
            PublicKey=\(keyD)
            Endpoint=192.0.2.4:51820
            AllowedIPs=10.4.0.0/16
            """)
        func peer(_ key: String, _ endpoint: String?, _ ips: [String], keepalive: UInt16 = 0, psk: Bool = false) -> PeerStatus {
            PeerStatus(publicKey: PublicKey(base64: key)!, presharedKey: psk ? PresharedKey(base64: pskText) : nil,
                       endpoint: endpoint.flatMap { Endpoint($0) }, lastHandshake: nil, rxBytes: 5, txBytes: 6,
                       persistentKeepalive: keepalive, allowedIPs: ips.map { IPPrefix($0)! })
        }
        // B runs exactly as the file says (its counters do not matter): not sent. C has its prefixes in another
        // order; D another endpoint: both sent.
        var result = SyncConf.changes(file: file, runtime: status([
            peer(keyB, "192.0.2.1:51820", ["10.0.0.0/8", "fd00::/64"]),
            peer(keyC, nil, ["10.1.0.0/16", "10.9.0.0/16"]),
            peer(keyD, "192.0.2.9:51820", ["10.4.0.0/16"]),
        ]))
        #expect(result.peers.map(\.publicKey.base64) == [keyC, keyD])
        // A keepalive or a preshared key the file does not have (they are turned off): sent.
        result = SyncConf.changes(file: file, runtime: status([
            peer(keyB, "192.0.2.1:51820", ["10.0.0.0/8", "fd00::/64"], keepalive: 25),
            peer(keyC, nil, ["10.1.0.0/16"], psk: true),
            peer(keyD, "192.0.2.4:51820", ["10.4.0.0/16"]),
        ]))
        #expect(result.peers.map(\.publicKey.base64) == [keyB, keyC])
        // A peer named twice in the file is always sent.
        let twice = try Harness().read("[Peer]\nPublicKey=\(keyB)\nAllowedIPs=10.0.0.0/8\n[Peer]\nPublicKey=\(keyB)\nAllowedIPs=10.0.0.0/8")
        result = SyncConf.changes(file: twice, runtime: status([peer(keyB, nil, ["10.0.0.0/8"])]))
        #expect(result.peers.count == 2)
    }

    @Test func noPeersOnEitherSideMeansReplace() throws {
        let empty = try Harness().read("[Interface]\nPrivateKey=\(keyA)")
        #expect(!SyncConf.needsRuntime(empty))
        #expect(SyncConf.changes(file: empty, runtime: status([running(keyB)])) == empty)
        let file = try Harness().read("[Peer]\nPublicKey=\(keyB)")
        #expect(SyncConf.changes(file: file, runtime: status([])).replacePeers)
    }
}

@Suite struct SetRequestTests {
    @Test func requestIsInWireguardToolsOrderAndParsesBack() throws {
        let update = try Harness().read("""
            [Interface]
            PrivateKey = \(keyA)
            ListenPort = 51820
            [Peer]
            PublicKey = \(keyB)
            PresharedKey = \(pskText)
            Endpoint = [fd00::1]:4000
            PersistentKeepalive = 25
            AllowedIPs = 10.0.0.0/8, +10.1.0.0/16, -fd00::/64
            """)
        var removal = update
        removal.peers.insert(PeerUpdate(publicKey: PublicKey(base64: pskText)!, remove: true), at: 0)
        let request = UAPIWriter.setRequest(removal)
        let a = PrivateKey(base64: keyA)!.hex, b = PublicKey(base64: keyB)!.hex, p = PresharedKey(base64: pskText)!.hex
        #expect(request == """
            set=1
            private_key=\(a)
            listen_port=51820
            fwmark=0
            replace_peers=true
            public_key=\(p)
            remove=true
            public_key=\(b)
            preshared_key=\(p)
            endpoint=[fd00::1]:4000
            persistent_keepalive_interval=25
            allowed_ip=10.0.0.0/8
            allowed_ip=10.1.0.0/16
            allowed_ip=-fd00::/64


            """)
        let body = request.split(separator: "\n").dropFirst()
        #expect(try UAPIParser.parseSet(body) == removal)
    }

    /// Random bytes, truncations and single-byte corruptions of a valid file: an error or a result, never a
    /// crash, and nothing ever waits on the resolver.
    @Test func configReaderSurvivesGarbage() {
        let valid = Array("""
            [Interface]
            PrivateKey = \(keyA)
            ListenPort = 51820
            FwMark = 0x10
            [Peer]
            PublicKey = \(keyB)
            PresharedKey = \(pskText)
            Endpoint = [fd00::1]:4000
            AllowedIPs = 10.0.0.0/8, fd00::/64
            PersistentKeepalive = 25

            """.utf8)
        var generator = SeededRandom(seed: 7)
        var inputs: [[UInt8]] = (0...valid.count).map { Array(valid.prefix($0)) }
        for _ in 0..<2000 {
            var corrupt = valid
            corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            inputs.append(corrupt)
        }
        for _ in 0..<500 {
            inputs.append((0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        var accepted = 0
        for input in inputs {
            let h = Harness()
            var reader = ConfigReader(append: false, values: h.values)
            do {
                for line in lines(input) { try reader.readLine(line) }
                _ = try reader.finish()
                accepted += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
            #expect(h.resolver.pauses.isEmpty)
        }
        #expect(accepted > 0 && accepted < inputs.count)
    }
}
