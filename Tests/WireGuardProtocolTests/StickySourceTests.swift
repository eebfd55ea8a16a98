// SPDX-License-Identifier: MIT
// The sticky source (PeerState.endpointSource): the local address a peer's packets reached us on, kept with
// its endpoint, set only by authenticated packets (a handshake message that validated, a transport packet
// that decrypted and passed the replay window), cleared by configuration and by a handshake retry (kernel
// wg_socket_clear_peer_endpoint_src), and the address every datagram to the peer leaves from.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct StickySourceTests {
    let primary = IPAddress("192.0.2.1")!, secondary = IPAddress("192.0.2.11")!

    /// A owns 192.0.2.1 and 192.0.2.11; B knows A only at .11 and initiates.
    func multihomed() -> (SimulatedNetwork, SimulatedNetwork.Node, SimulatedNetwork.Node) {
        let net = SimulatedNetwork(seed: 11)
        let a = net.addNode(endpoint: Endpoint(address: primary, port: 51820))
        let b = net.addNode(endpoint: Endpoint("192.0.2.2:51820")!)
        a.localAddresses = [secondary]
        net.aliases[Endpoint(address: secondary, port: 51820)] = a
        net.connect(a, b, aAllowed: ["10.9.0.1/32"], bAllowed: ["10.9.0.2/32"], aKnowsEndpoint: false)
        net.configure(b, PeerUpdate(publicKey: a.publicKey, endpoint: Endpoint(address: secondary, port: 51820)))
        return (net, a, b)
    }

    func source(_ address: IPAddress) -> EndpointSource { EndpointSource(address: address, interfaceIndex: 0) }

    @Test func repliesLeaveFromTheAddressThePeerSentTo() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        #expect(a.peerState?.endpointSource == source(secondary), "learned from the validated initiation")
        let response = try #require(net.wire.first { $0.bytes[0] == 2 })
        #expect(response.from.address == secondary && response.source == source(secondary))
        net.run(for: .seconds(11))
        let keepalive = try #require(net.wire.last { $0.bytes[0] == 4 && $0.to == b.endpoint })
        #expect(keepalive.bytes.count == 32 && keepalive.from.address == secondary, "the passive keepalive too")
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        #expect(net.wire.filter { $0.bytes[0] == 4 && $0.to == b.endpoint }.allSatisfy { $0.from.address == secondary })
        #expect(b.peerState?.endpoint == Endpoint(address: secondary, port: 51820), "B keeps seeing A where it sent")
        #expect(a.tunOutput.count == 1 && b.tunOutput.count == 1)
        // The send thread's entry point names it too.
        var effects: [Effect] = []
        let reservation = a.engine.reserveSend(to: ipB, count: 1, now: net.now, effects: &effects, length: { _ in 48 })
        #expect(reservation?.endpoint == b.endpoint && reservation?.source == source(secondary))
    }

    @Test func unauthenticatedDatagramsDoNotMoveTheSource() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        let initiation = try #require(net.wire.first { $0.bytes[0] == 1 })
        let transport = try #require(net.wire.last { $0.bytes[0] == 4 && $0.to.address == secondary })
        // Each arrives at A's primary address: a forged initiation (bad MAC1), a replayed initiation, a
        // transport message replayed, one with a flipped byte, one for an unknown index, garbage.
        var badMAC = initiation.bytes
        badMAC[120] ^= 1
        var flipped = transport.bytes
        flipped[20] ^= 1
        var unknownIndex = transport.bytes
        unknownIndex[4] ^= 0xFF
        for bytes in [badMAC, initiation.bytes, transport.bytes, flipped, unknownIndex, [UInt8](repeating: 4, count: 64)] {
            net.inject(bytes, to: a, from: b.endpoint, local: primary)
            #expect(peer.endpointSource == source(secondary))
        }
        // An authenticated transport packet to the primary address moves it (the peer chose to send there).
        let before = net.wire.count
        var effects: [Effect] = []
        b.engine.handleTunPacket(ping(ipB, ipA, 2), now: net.now, effects: &effects)
        let fresh = try #require(effects.compactMap { if case .sendDatagram(let d, _, _) = $0 { d } else { nil } }.first)
        net.inject(fresh, to: a, from: b.endpoint, local: primary)
        #expect(peer.endpointSource == source(primary))
        #expect(net.wire.count == before)
    }

    @Test func aValidatedInitiationToAnotherAddressMovesIt() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        // B is told A's other address and starts a new handshake there (no data with it).
        net.configure(b, PeerUpdate(publicKey: a.publicKey, endpoint: a.endpoint))
        net.run(for: .seconds(6))
        let before = net.wire.count
        var effects: [Effect] = []
        b.engine.sendHandshakeInitiation(try #require(b.peerState), isRetry: false, now: net.now, effects: &effects)
        net.process(effects, from: b)
        net.run(for: .milliseconds(7))  // the initiation has arrived, the response not yet
        #expect(net.wire[before...].map { $0.bytes[0] } == [1, 2])
        #expect(peer.endpointSource == source(primary))
        #expect(net.datagrams(from: a, type: 2).last?.from.address == primary)
    }

    @Test func aHandshakeRetryClearsIt() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        #expect(peer.endpointSource == source(secondary))
        // B disappears; A's next handshake gets no answer, and its retry goes out without the source.
        net.intercept = { d in d.to != b.endpoint }
        net.run(for: .seconds(6))
        var effects: [Effect] = []
        a.engine.sendHandshakeInitiation(peer, isRetry: false, now: net.now, effects: &effects)
        net.process(effects, from: a)
        let first = try #require(net.wire.last { $0.bytes[0] == 1 })
        #expect(first.source == source(secondary), "the first initiation still uses it")
        net.run(for: .seconds(6))
        #expect(peer.endpointSource == nil)
        let retry = try #require(net.wire.last { $0.bytes[0] == 1 })
        #expect(retry.source == nil && retry.from == a.endpoint && retry.sentAt > first.sentAt)
    }

    @Test func configurationClearsIt() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        net.configure(a, PeerUpdate(publicKey: b.publicKey, endpoint: b.endpoint))
        #expect(peer.endpointSource == nil, "a configured endpoint comes without a source")
    }

    @Test func theHostForgetsASourceItCannotUse() throws {
        let (net, a, b) = multihomed()
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        a.engine.endpointSourceFailed(remote: Endpoint("203.0.113.1:1")!, source: source(secondary))
        #expect(peer.endpointSource == source(secondary), "another remote: kept")
        a.engine.endpointSourceFailed(remote: b.endpoint, source: source(primary))
        #expect(peer.endpointSource == source(secondary), "another source: kept")
        // A loses .11: the simulated host refuses to send from it, as sendmsg does with EINVAL.
        a.localAddresses = []
        net.sendFromTun(a, ping(ipA, ipB, 4))
        #expect(peer.endpointSource == nil)
        a.engine.clearEndpointSources()
        #expect(peer.endpointSource == nil)
    }
}
