// SPDX-License-Identifier: MIT
// The kernel's configuration semantics, applied to a live engine.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct ConfigurationTests {
    let random = SeededRandom(seed: 77)
    func key() -> PublicKey { PrivateKey.generate(using: random).publicKey! }
    func prefixes(_ e: Engine, _ k: PublicKey) -> [String] {
        e.status().peers.first { $0.publicKey == k }?.allowedIPs.map(\.description) ?? []
    }

    @Test func peersAndAllowedIPs() {
        let (net, a, _) = makePair()
        let e = a.engine
        let p1 = key(), p2 = key()
        net.apply(a, DeviceUpdate(peers: [
            PeerUpdate(publicKey: p1, allowedIPs: [.add(IPPrefix("10.1.0.0/16")!), .add(IPPrefix("fd01::/64")!)]),
            PeerUpdate(publicKey: p2, allowedIPs: [.add(IPPrefix("10.2.0.0/16")!)]),
        ]))
        #expect(e.status().peers.count == 3)
        #expect(prefixes(e, p1) == ["10.1.0.0/16", "fd01::/64"])
        // update_only does not create; it does change an existing peer.
        let ghost = key()
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: ghost, updateOnly: true, allowedIPs: [.add(IPPrefix("10.3.0.0/16")!)])]))
        #expect(e.peer(ghost) == nil && e.route(to: IPAddress("10.3.0.1")!) == nil)
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: p1, updateOnly: true, persistentKeepalive: 0, allowedIPs: [.add(IPPrefix("10.4.0.0/16")!)])]))
        #expect(prefixes(e, p1) == ["10.1.0.0/16", "fd01::/64", "10.4.0.0/16"])
        // Removing one prefix; removing a prefix the peer does not own changes nothing.
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: p1, allowedIPs: [.remove(IPPrefix("10.1.0.0/16")!), .remove(IPPrefix("10.2.0.0/16")!)])]))
        #expect(prefixes(e, p1) == ["fd01::/64", "10.4.0.0/16"])
        #expect(prefixes(e, p2) == ["10.2.0.0/16"])
        // A prefix moving to another peer.
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: p2, allowedIPs: [.add(IPPrefix("10.4.0.0/16")!)])]))
        #expect(prefixes(e, p1) == ["fd01::/64"] && e.route(to: IPAddress("10.4.1.1")!)?.publicKey == p2)
        // replace_allowed_ips.
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: p2, replaceAllowedIPs: true, allowedIPs: [.add(IPPrefix("10.5.0.0/16")!)])]))
        #expect(prefixes(e, p2) == ["10.5.0.0/16"])
        // remove.
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: p2, remove: true)]))
        #expect(e.peer(p2) == nil && e.route(to: IPAddress("10.5.0.1")!) == nil)
        // replace_peers.
        let p3 = key()
        net.apply(a, DeviceUpdate(replacePeers: true, peers: [PeerUpdate(publicKey: p3)]))
        #expect(e.status().peers.map(\.publicKey) == [p3])
        #expect(e.route(to: IPAddress("10.9.0.2")!) == nil)
    }

    @Test func presharedKeyListenPortFwmark() throws {
        let (net, a, b) = makePair()
        let psk = try #require(PresharedKey(bytes: [UInt8](repeating: 9, count: 32)))
        net.apply(a, DeviceUpdate(listenPort: 51999, fwmark: 0x1234, peers: [PeerUpdate(publicKey: b.publicKey, presharedKey: psk)]))
        let s = a.engine.status()
        #expect(s.listenPort == 51999 && s.fwmark == 0x1234 && s.peers[0].presharedKey == psk)
        // Mismatched PSKs: the handshake fails (the response does not authenticate).
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        #expect(b.tunOutput.isEmpty)
        #expect(a.events.contains(.rejected(.decryptionFailed, from: b.endpoint, peer: b.publicKey)))
        // Same PSK on both sides: works. The all-zero PSK means none.
        net.apply(b, DeviceUpdate(peers: [PeerUpdate(publicKey: a.publicKey, presharedKey: psk)]))
        net.run(for: .seconds(6))
        #expect(b.tunOutput.count == 1)
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: b.publicKey, presharedKey: .zero)]))
        #expect(a.engine.status().peers[0].presharedKey == nil)
    }

    @Test func ourOwnPublicKeyAsPeerIsIgnored() {
        let (net, a, _) = makePair()
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: a.publicKey, allowedIPs: [.add(IPPrefix("10.66.0.0/16")!)])]))
        #expect(a.engine.peer(a.publicKey) == nil && a.engine.route(to: IPAddress("10.66.0.1")!) == nil)
    }

    @Test func privateKeyChangeDropsClashingPeerAndExpiresSessions() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let session = try #require(a.peerState?.keypairs.current)
        #expect(session.canSend)
        // A peer that will clash with the new key.
        let newKey = PrivateKey.generate(using: random)
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: newKey.publicKey!)]))
        #expect(a.engine.status().peers.count == 2)
        net.apply(a, DeviceUpdate(privateKey: newKey))
        #expect(a.engine.publicKey == newKey.publicKey)
        #expect(a.engine.status().peers.map(\.publicKey) == [b.publicKey], "the clashing peer is gone")
        #expect(!session.canSend, "old sessions no longer send")
        // Sending now needs a handshake with the new identity; B does not know it, so nothing completes.
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB, 2))
        #expect(net.datagrams(from: a, type: 1, since: before).count == 1, "a new handshake starts at once")
        net.run(for: .seconds(1))
        #expect(b.events.contains(.rejected(.unknownPeer, from: a.endpoint, peer: nil)))
    }

    @Test func zeroPrivateKeyMeansNone() {
        let (net, a, _) = makePair()
        net.apply(a, DeviceUpdate(privateKey: PrivateKey(bytes: [UInt8](repeating: 0, count: 32))!))
        #expect(a.engine.publicKey == nil && a.engine.status().privateKey == nil)
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(30))
        #expect(net.wire.count == before, "no key, no handshake")
    }

    /// Low-order public keys make the static-static DH zero: such peers never produce a datagram.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ])
    func lowOrderPeerKeysNeverProduceTraffic(hex: String) throws {
        let net = SimulatedNetwork(seed: 5)
        let a = net.addNode(endpoint: Endpoint("192.0.2.1:51820")!)
        let bad = try #require(PublicKey(hex: hex))
        net.apply(a, DeviceUpdate(peers: [PeerUpdate(publicKey: bad, endpoint: Endpoint("192.0.2.9:1")!, persistentKeepalive: 1,
                                                     allowedIPs: [.add(IPPrefix("0.0.0.0/0")!)])]))
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(120))
        #expect(net.wire.isEmpty)
    }

    @Test func persistentKeepaliveSwitchedOnSendsAtOnce() {
        let (net, a, _) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let before = net.wire.count
        net.configure(a, PeerUpdate(publicKey: a.engine.peers[0].publicKey, persistentKeepalive: 15))
        #expect(net.datagrams(from: a, type: 4, since: before).count == 1)
        net.configure(a, PeerUpdate(publicKey: a.engine.peers[0].publicKey, persistentKeepalive: 0))
        net.run(for: .seconds(60))
        #expect(net.datagrams(from: a, type: 4, since: before).count == 1, "switched off: no more")
    }

    @Test func removedAndReAddedPeerHandshakesAgain() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        net.apply(b, DeviceUpdate(peers: [PeerUpdate(publicKey: a.publicKey, remove: true)]))
        #expect(b.engine.status().peers.isEmpty)
        net.apply(b, DeviceUpdate(peers: [PeerUpdate(publicKey: a.publicKey, allowedIPs: [.add(IPPrefix("10.9.0.1/32")!)])]))
        net.run(for: .seconds(200))  // A's old session expires; its next packet starts a handshake
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(2))
        #expect(b.tunOutput.count == 2)
    }
}
