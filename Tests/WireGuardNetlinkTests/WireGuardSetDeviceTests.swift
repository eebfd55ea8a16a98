// SPDX-License-Identifier: MIT

import Testing
import WireGuardModel
@testable import WireGuardNetlink

@Suite struct WireGuardSetDeviceTests {
    static let family: UInt16 = 0x1c
    static func key(_ n: Int) -> PublicKey { PublicKey(bytes: (0..<32).map { UInt8(truncatingIfNeeded: n &+ $0 &* 7) })! }
    static func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }

    /// One SET message read back: device attributes and peers as (attributes, allowed-IP entries).
    struct Decoded {
        var device: [UInt16: [UInt8]] = [:]
        var peers: [(attrs: [UInt16: [UInt8]], allowed: [[UInt16: [UInt8]]])] = []
    }

    static func decode(_ message: [UInt8]) throws -> Decoded {
        let m = try NetlinkMessage.split(message[...])
        #expect(m.count == 1)
        #expect(m[0].type == family && m[0].flags == Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK)
        #expect(Array(m[0].payload.prefix(2)) == [1, 1])
        var d = Decoded()
        for a in try GenericNetlinkFamily.attributes(of: m[0]) {
            guard a.type == 8 else { d.device[a.type] = Array(a.payload); continue }
            #expect(a.isNested)
            for p in try a.nested() {
                #expect(p.isNested && p.type == 0)
                var attrs: [UInt16: [UInt8]] = [:]
                var allowed: [[UInt16: [UInt8]]] = []
                for pa in try p.nested() {
                    if pa.type == 9 {
                        for e in try pa.nested() {
                            allowed.append(Dictionary(try e.nested().map { ($0.type, Array($0.payload)) }) { a, _ in a })
                        }
                    } else {
                        attrs[pa.type] = Array(pa.payload)
                    }
                }
                d.peers.append((attrs, allowed))
            }
        }
        return d
    }

    @Test func smallUpdateIsOneMessageWithEveryAttributeAndFlag() throws {
        let psk = PresharedKey(bytes: Bytes.key(0x55))!
        let update = DeviceUpdate(
            privateKey: PrivateKey(bytes: Bytes.key(0))!, listenPort: 51820, fwmark: 0, replacePeers: true,
            peers: [PeerUpdate(publicKey: Self.key(1), presharedKey: psk, endpoint: Endpoint("[fd99::2]:51820"),
                               persistentKeepalive: 25, replaceAllowedIPs: true,
                               allowedIPs: [.add(Self.prefix("10.0.0.0/8")), .remove(Self.prefix("fd00::/64"))]),
                    PeerUpdate(publicKey: Self.key(2), remove: true),
                    PeerUpdate(publicKey: Self.key(3), updateOnly: true, endpoint: Endpoint("192.0.2.1:5000"))])
        let messages = WireGuardSetDevice.requests(family: Self.family, name: "wg0", update: update, sequence: 9, limit: 4096)
        #expect(messages.count == 1)
        // Byte for byte against the layout spelled out by hand.
        let peer1 = Bytes.nest(0, Bytes.attr(1, Self.key(1).bytes) + Bytes.attr(2, Bytes.key(0x55))
            + Bytes.attr(4, Bytes.u16(10) + [0xCA, 0x6C] + Bytes.u32(0) + [0xfd, 0x99] + [UInt8](repeating: 0, count: 13) + [2] + Bytes.u32(0))
            + Bytes.attr(5, Bytes.u16(25)) + Bytes.attr(3, Bytes.u32(2))
            + Bytes.nest(9, Bytes.nest(0, Bytes.attr(1, Bytes.u16(2)) + Bytes.attr(2, [10, 0, 0, 0]) + Bytes.attr(3, [8]))
                + Bytes.nest(0, Bytes.attr(1, Bytes.u16(10)) + Bytes.attr(2, [0xfd] + [UInt8](repeating: 0, count: 15))
                    + Bytes.attr(3, [64]) + Bytes.attr(4, Bytes.u32(1)))))
        let peer2 = Bytes.nest(0, Bytes.attr(1, Self.key(2).bytes) + Bytes.attr(3, Bytes.u32(1)))
        let peer3 = Bytes.nest(0, Bytes.attr(1, Self.key(3).bytes)
            + Bytes.attr(4, Bytes.u16(2) + [0x13, 0x88, 192, 0, 2, 1] + [UInt8](repeating: 0, count: 8)) + Bytes.attr(3, Bytes.u32(4)))
        let expected = Bytes.genl(family: Self.family, cmd: 1, flags: 5, seq: 9,
            Bytes.attr(2, Array("wg0".utf8) + [0]) + Bytes.attr(3, Bytes.key(0)) + Bytes.attr(6, Bytes.u16(51820))
            + Bytes.attr(7, Bytes.u32(0)) + Bytes.attr(5, Bytes.u32(1)) + Bytes.nest(8, peer1 + peer2 + peer3))
        #expect(messages[0] == expected)
    }

    @Test func noPeersMeansNoPeersNest() throws {
        let messages = WireGuardSetDevice.requests(family: Self.family, name: "wg0", update: DeviceUpdate(listenPort: 1),
                                                   sequence: 1, limit: 4096)
        #expect(messages == [Bytes.genl(family: Self.family, cmd: 1, flags: 5, seq: 1,
                                        Bytes.attr(2, Array("wg0".utf8) + [0]) + Bytes.attr(6, Bytes.u16(1)))])
    }

    @Test func largeConfigurationSplitsLikeWireguardTools() throws {
        // 300 peers of 4 allowed IPs and one peer of 3,000 (cut inside it), replacing everything.
        var peers = (0..<300).map { i in
            PeerUpdate(publicKey: Self.key(i), endpoint: Endpoint("192.0.2.1:\(1000 + i)"), persistentKeepalive: 5,
                       replaceAllowedIPs: true,
                       allowedIPs: (0..<4).map { .add(Self.prefix("10.\(i / 256).\(i % 256).\($0)/32")) })
        }
        peers.insert(PeerUpdate(publicKey: Self.key(9999), presharedKey: PresharedKey(bytes: Bytes.key(9)), replaceAllowedIPs: true,
                                allowedIPs: (0..<3000).map { .add(Self.prefix("fd00::\(String($0, radix: 16))/128")) }), at: 100)
        let update = DeviceUpdate(privateKey: PrivateKey(bytes: Bytes.key(1)), listenPort: 7, replacePeers: true, peers: peers)
        let messages = WireGuardSetDevice.requests(family: Self.family, name: "wg0", update: update, sequence: 50, limit: 4096)
        #expect(messages.count > 10)
        var rebuilt: [(key: [UInt8], attrs: [UInt16: [UInt8]], allowed: [[UInt16: [UInt8]]])] = []
        for (n, message) in messages.enumerated() {
            #expect(message.count <= 4096)
            let seq = try NetlinkMessage.split(message[...])[0].sequence
            #expect(seq == 50 + UInt32(n))
            let d = try Self.decode(message)
            #expect(d.device[2] == Array("wg0".utf8) + [0])
            // Device attributes and WGDEVICE_F_REPLACE_PEERS only in the first message.
            #expect((d.device[5] != nil) == (n == 0) && (d.device[3] != nil) == (n == 0) && (d.device[6] != nil) == (n == 0))
            for (i, p) in d.peers.enumerated() {
                let key = p.attrs[1]!
                if i == 0, let last = rebuilt.last, last.key == key {
                    // A continued peer: only its key, no replace flag, no PSK/endpoint/keepalive, more IPs.
                    #expect(p.attrs[3] == nil && p.attrs[2] == nil && p.attrs[4] == nil && p.attrs[5] == nil)
                    rebuilt[rebuilt.count - 1].allowed += p.allowed
                } else {
                    #expect(p.attrs[3] == Bytes.u32(2))
                    rebuilt.append((key, p.attrs, p.allowed))
                }
            }
        }
        #expect(rebuilt.map(\.key) == peers.map(\.publicKey.bytes))
        for (r, p) in zip(rebuilt, peers) {
            #expect(r.allowed.count == p.allowedIPs.count)
            #expect(r.allowed.map { $0[2]! } == p.allowedIPs.map { if case .add(let x) = $0 { x.address.bytes } else { [] } })
        }
        #expect(rebuilt[100].attrs[2] == Bytes.key(9))
        // The long peer really was cut: its entries come from several messages.
        let carrying = messages.filter { (try? Self.decode($0).peers.contains { $0.attrs[1] == Self.key(9999).bytes }) == true }
        #expect(carrying.count > 3)
    }

    @Test func removeFlagsSurviveTheSplit() throws {
        let peer = PeerUpdate(publicKey: Self.key(1), remove: true, updateOnly: true,
                              allowedIPs: (0..<1000).map { .remove(Self.prefix("10.0.\($0 / 250).\($0 % 250)/32")) })
        let messages = WireGuardSetDevice.requests(family: Self.family, name: "wg0", update: DeviceUpdate(peers: [peer]),
                                                   sequence: 1, limit: 4096)
        #expect(messages.count > 1)
        for message in messages {
            let d = try Self.decode(message)
            #expect(d.peers.count == 1 && d.peers[0].attrs[3] == Bytes.u32(1 | 4))
            #expect(d.peers[0].allowed.allSatisfy { $0[4] == Bytes.u32(1) })
        }
    }
}
