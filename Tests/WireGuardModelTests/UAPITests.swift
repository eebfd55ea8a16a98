// SPDX-License-Identifier: MIT
import Testing
import WireGuardModel

@Suite struct UAPIParserTests {
    let keyA = String(repeating: "a1", count: 32)
    let keyB = String(repeating: "0B", count: 32)

    private func parse(_ text: String) throws(UAPIError) -> DeviceUpdate {
        try UAPIParser.parseSet(text.split(separator: "\n", omittingEmptySubsequences: false))
    }

    private func code(_ text: String) -> Int32? {
        do { _ = try parse(text) } catch { return error.code }
        return nil
    }

    @Test func fullRequest() throws {
        let update = try parse("""
            private_key=\(keyA)
            listen_port=51820
            fwmark=4294967295
            replace_peers=true
            public_key=\(keyB)
            preshared_key=\(keyA)
            endpoint=[fd00::1]:443
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=10.0.0.1/24
            allowed_ip=-fd00::/64
            protocol_version=1
            public_key=\(keyA)
            remove=true
            """)
        #expect(update.privateKey != nil)
        #expect(update.listenPort == 51820)
        #expect(update.fwmark == UInt32.max)
        #expect(update.replacePeers)
        #expect(update.peers.count == 2)
        let p = update.peers[0]
        #expect(p.publicKey.hex == keyB.lowercased())
        #expect(p.endpoint == Endpoint("[fd00::1]:443"))
        #expect(p.persistentKeepalive == 25)
        #expect(p.replaceAllowedIPs)
        #expect(p.allowedIPs == [.add(IPPrefix("10.0.0.0/24")!), .remove(IPPrefix("fd00::/64")!)])
        #expect(update.peers[1].remove)
    }

    static let deviceCases: [(String, Int32)] = [
        ("bogus=1", 22),
        ("listen_port=65536", 22),
        ("listen_port=-1", 22),
        ("listen_port=+5", 22),
        ("fwmark=0x10", 22),
        ("private_key=abc", 22),
        ("private_key=" + String(repeating: "zz", count: 32), 22),
        ("replace_peers=1", 22),
        ("endpoint=1.2.3.4:5", 22),  // peer key before any public_key
        ("no equals sign", 71),
    ]

    @Test(arguments: deviceCases)
    func deviceLevelErrors(line: String, expected: Int32) {
        #expect(code(line) == expected)
    }

    @Test(arguments: [
        "endpoint=1.2.3.4",
        "endpoint=[fd00::1:443",
        "endpoint=host.example:51820",
        "allowed_ip=10.0.0.0/33",
        "allowed_ip=10.0.0.0",
        "allowed_ip=--10.0.0.0/8",
        "persistent_keepalive_interval=70000",
        "protocol_version=2",
        "listen_port=1",  // device key after a peer
        "remove=yes",
    ])
    func peerLevelErrors(line: String) {
        #expect(code("public_key=\(keyA)\n\(line)") == 22)
    }
}

@Suite struct UAPIWriterTests {
    @Test func getReplyInWireGuardGoOrder() {
        let key = PrivateKey(bytes: [UInt8](repeating: 0x11, count: 32))!
        let peerKey = PublicKey(bytes: [UInt8](repeating: 0x22, count: 32))!
        let status = DeviceStatus(
            privateKey: key, publicKey: key.publicKey, listenPort: 51820, fwmark: 0,
            peers: [PeerStatus(publicKey: peerKey, presharedKey: nil, endpoint: Endpoint("192.0.2.1:7"),
                               lastHandshake: WallTime(seconds: 1700000000, nanoseconds: 5), rxBytes: 10, txBytes: 20,
                               persistentKeepalive: 0, allowedIPs: [IPPrefix("10.0.0.0/8")!, IPPrefix("::/0")!])])
        let expected = """
            private_key=10\(String(repeating: "11", count: 30))51
            listen_port=51820
            public_key=\(String(repeating: "22", count: 32))
            preshared_key=\(String(repeating: "00", count: 32))
            protocol_version=1
            endpoint=192.0.2.1:7
            last_handshake_time_sec=1700000000
            last_handshake_time_nsec=5
            tx_bytes=20
            rx_bytes=10
            persistent_keepalive_interval=0
            allowed_ip=10.0.0.0/8
            allowed_ip=::/0
            errno=0


            """
        #expect(UAPIWriter.getReply(status) == expected)
    }

    @Test func roundTripThroughTheParser() throws {
        let peerKey = PublicKey(bytes: [UInt8](repeating: 0x33, count: 32))!
        let status = DeviceStatus(privateKey: nil, publicKey: nil, listenPort: 0, fwmark: 7, peers: [
            PeerStatus(publicKey: peerKey, presharedKey: nil, endpoint: Endpoint("[2001:db8::1]:51820"), lastHandshake: nil,
                       rxBytes: 0, txBytes: 0, persistentKeepalive: 25, allowedIPs: [IPPrefix("fd00::/64")!])])
        let reply = UAPIWriter.getReply(status)
        // The get keys that set also accepts parse back to the same configuration.
        let settable = reply.split(separator: "\n").filter {
            !$0.hasPrefix("last_handshake") && !$0.hasPrefix("tx_bytes") && !$0.hasPrefix("rx_bytes") && !$0.hasPrefix("errno")
        }
        let update = try UAPIParser.parseSet(settable)
        #expect(update.fwmark == 7)
        #expect(update.peers.first?.endpoint == Endpoint("[2001:db8::1]:51820"))
        #expect(update.peers.first?.persistentKeepalive == 25)
        #expect(update.peers.first?.allowedIPs == [.add(IPPrefix("fd00::/64")!)])
    }
}
