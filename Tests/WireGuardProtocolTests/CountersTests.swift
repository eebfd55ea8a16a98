// SPDX-License-Identifier: MIT
// Metrics counters: every drop reason and handshake outcome counted once, on the peer when one is known,
// else on the interface; totals include removed peers.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

extension SimulatedNetwork.Node {
    /// The counters of this node's only peer.
    var peerCounters: TrafficCounters { engine.metrics().peers.first?.counters ?? TrafficCounters() }
    var totals: TrafficCounters { engine.metrics().totals }
}

/// A pair with a session both ways, and the wire index after it.
private func establishedPair() -> (SimulatedNetwork, SimulatedNetwork.Node, SimulatedNetwork.Node) {
    let (net, a, b) = makePair()
    net.sendFromTun(a, ping(ipA, ipB))
    net.run(for: .seconds(1))
    net.sendFromTun(b, ping(ipB, ipA))
    net.run(for: .seconds(1))
    return (net, a, b)
}

/// The only counters that are non-zero, by label, for a compact comparison.
private func nonZero(_ c: TrafficCounters) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for r in DropReason.allCases where c[r] > 0 { out["drop." + r.label] = c[r] }
    for r in HandshakeFailure.allCases where c[r] > 0 { out["handshake." + r.label] = c[r] }
    if c.handshakesCompleted > 0 { out["handshakes"] = c.handshakesCompleted }
    if c.cookieRepliesSent > 0 { out["cookiesSent"] = c.cookieRepliesSent }
    if c.cookieRepliesReceived > 0 { out["cookiesReceived"] = c.cookieRepliesReceived }
    return out
}

@Suite struct CountersTests {
    @Test func handshakesCompletedOnBothSides() {
        let (_, a, b) = establishedPair()
        #expect(nonZero(a.peerCounters) == ["handshakes": 1])
        #expect(nonZero(b.peerCounters) == ["handshakes": 1])
        #expect(nonZero(a.totals) == ["handshakes": 1], "totals include the peers")
    }

    @Test func sendDropsByReason() {
        let (net, a, _) = establishedPair()
        net.sendFromTun(a, ping(ipA, IPAddress("10.9.9.9")!))
        #expect(nonZero(a.totals)["drop.no_peer"] == 1)
        #expect(nonZero(a.peerCounters)["drop.no_peer"] == nil, "no peer to count it on")
        net.sendFromTun(a, [0x45, 0, 0])
        #expect(nonZero(a.totals)["drop.invalid_tun_packet"] == 1)

        let (net2, _, b2) = makePair(bKnowsEndpoint: false)
        net2.sendFromTun(b2, ping(ipB, ipA))
        #expect(nonZero(b2.peerCounters) == ["drop.no_endpoint": 1])
    }

    @Test func stagedQueueOverflow() {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }
        for i in 0..<200 { net.sendFromTun(a, ping(ipA, ipB, UInt16(i))) }
        #expect(a.peerCounters[DropReason.stagedQueueFull] == UInt64(200 - Constants.maxStagedPackets))
    }

    @Test func receiveDropsByReason() throws {
        let (net, a, b) = establishedPair()
        let data = try #require(net.datagrams(from: a, type: 4).last)
        // Replayed: the same transport message again.
        net.inject(data.bytes, to: b, from: a.endpoint)
        #expect(nonZero(b.peerCounters) == ["handshakes": 1, "drop.replay": 1])
        // Tampered: it does not authenticate.
        var tampered = data.bytes
        tampered[tampered.count - 1] ^= 1
        net.inject(tampered, to: b, from: a.endpoint)
        #expect(b.peerCounters[DropReason.badAuthentication] == 1)
        // An unknown receiver index; not a WireGuard message at all.
        var unknown = data.bytes
        unknown[4] ^= 0xFF
        net.inject(unknown, to: b, from: a.endpoint)
        net.inject([1, 2, 3], to: b, from: a.endpoint)
        #expect(nonZero(b.totals) == ["handshakes": 1, "drop.replay": 1, "drop.bad_authentication": 1,
                                      "drop.unknown_session": 1, "drop.malformed": 1])
        // Authenticated, but its inner source is not B's to use, or its header is broken.
        net.sendFromTun(b, ping(IPAddress("10.9.0.77")!, ipA))
        var broken = ping(ipB, ipA)
        broken[2] = 0x7F  // total length beyond the packet
        net.sendFromTun(b, broken)
        net.run(for: .milliseconds(100))
        #expect(nonZero(a.peerCounters) == ["handshakes": 1, "drop.source_not_allowed": 1, "drop.invalid_inner_packet": 1])
    }

    @Test func handshakeTimeouts() {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(120))
        let retries = a.count { if case .handshakeInitiationSent(_, isRetry: true) = $0 { true } else { false } }
        #expect(retries == Constants.maxTimerHandshakes + 1, "retries until attempts exceed the limit")
        // Every retry and the final give-up each follow an attempt that got no response.
        #expect(nonZero(a.peerCounters) == ["handshake.timeout": UInt64(retries + 1)])
    }

    @Test func refusedHandshakeMessages() throws {
        let (net, a, b) = makePair()
        net.intercept = { _ in false }
        net.sendFromTun(a, ping(ipA, ipB))
        let initiation = try #require(net.datagrams(from: a, type: 1).first).bytes
        net.intercept = nil
        var badMAC = initiation
        badMAC[initiation.count - 20] ^= 1
        net.inject(badMAC, to: b, from: a.endpoint)
        #expect(nonZero(b.totals) == ["handshake.invalid_mac": 1])
        net.inject(initiation, to: b, from: a.endpoint)
        net.inject(initiation, to: b, from: a.endpoint)
        #expect(nonZero(b.peerCounters) == ["handshake.replayed_timestamp": 1], "the same initiation twice")

        // An initiator B does not know.
        let c = net.addNode(endpoint: Endpoint("192.0.2.3:51820")!)
        net.configure(c, PeerUpdate(publicKey: b.publicKey, endpoint: b.endpoint, allowedIPs: [.add(IPPrefix("10.9.0.2/32")!)]))
        net.sendFromTun(c, ping(IPAddress("10.9.0.3")!, ipB))
        net.run(for: .milliseconds(100))
        #expect(nonZero(b.totals)["handshake.unknown_peer"] == 1)
        #expect(nonZero(b.peerCounters)["handshake.unknown_peer"] == nil)
    }

    @Test func cookieRepliesUnderLoad() {
        let (net, a, b) = makePair()
        b.engine.reportHandshakeBacklog(Constants.underLoadQueueThreshold, now: net.now.monotonic)
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .milliseconds(100))
        #expect(nonZero(b.totals) == ["cookiesSent": 1, "handshake.cookie_required": 1])
        #expect(nonZero(a.peerCounters) == ["cookiesReceived": 1])
    }

    @Test func cookieRepliesBeyondTheSourceBudgetCountAsRateLimited() throws {
        let (net, a, b) = makePair()
        net.intercept = { _ in false }
        net.sendFromTun(a, ping(ipA, ipB))
        let initiation = try #require(net.datagrams(from: a, type: 1).first).bytes
        b.engine.reportHandshakeBacklog(Constants.underLoadQueueThreshold, now: net.now.monotonic)
        for _ in 0..<50 { net.inject(initiation, to: b, from: a.endpoint) }
        let t = b.totals
        #expect(t.cookieRepliesSent > 0 && t.cookieRepliesSent < 50)
        #expect(t[HandshakeFailure.rateLimited] == 50 - t.cookieRepliesSent, "every message beyond the budget")
        #expect(t[HandshakeFailure.cookieRequired] == t.cookieRepliesSent)
    }

    @Test func removedPeersStayInTheTotals() {
        let (net, a, b) = establishedPair()
        net.configure(a, PeerUpdate(publicKey: b.publicKey, remove: true))
        #expect(a.engine.metrics().peers.isEmpty)
        #expect(nonZero(a.totals) == ["handshakes": 1])
    }

    @Test func dataPlaneRunsCountReplaysSourcesAndAuthenticationFailures() throws {
        let plane = DataPlaneTests()
        let (net, a, b) = plane.establishedPair()
        let packets = [ping(ipA, ipB, 7), ping(ipA, ipB, 8), ping(IPAddress("10.9.9.9")!, ipB, 9)]
        var sealed = try plane.sealRun(a.engine, packets, now: net.clock.now)
        sealed.insert(sealed[0], at: 2)  // a replay of the first
        let now = net.clock.now
        let session = try #require(b.engine.lookupTransport(sealed[0], count: sealed[0].count, now: now))
        let (messages, opened) = try plane.open(sealed, with: session)
        defer { messages.forEach { $0.deallocate() } }
        var results = [Range<Int>?](repeating: nil, count: sealed.count)
        var effects: [Effect] = []
        b.engine.acceptTransports(session, count: sealed.count, messages: messages, opened: opened,
                                  wireLengths: sealed.map(\.count), results: &results, from: a.endpoint, now: now,
                                  effects: &effects)
        let failed: [TransportSession?] = [session, session]
        b.engine.countAuthenticationFailures(failed, count: 2)
        b.engine.countDrop(.unknownSession, count: 3)
        #expect(nonZero(b.peerCounters) == ["handshakes": 1, "drop.replay": 1, "drop.source_not_allowed": 1,
                                            "drop.bad_authentication": 2])
        #expect(nonZero(b.totals)["drop.unknown_session"] == 3)
    }
}

@Suite struct CounterSlotTests {
    @Test func everyReasonHasASlot() {
        #expect(HandshakeFailure.allCases.count == TrafficCounters.handshakeFailureSlots)
        #expect(DropReason.allCases.count == TrafficCounters.dropSlots)
        var c = TrafficCounters()
        for r in DropReason.allCases { c[r] = UInt64(r.rawValue + 1) }
        for r in HandshakeFailure.allCases { c[r] = UInt64(r.rawValue + 100) }
        #expect(DropReason.allCases.allSatisfy { c[$0] == UInt64($0.rawValue + 1) }, "slots are distinct")
        #expect(HandshakeFailure.allCases.allSatisfy { c[$0] == UInt64($0.rawValue + 100) })
        #expect(c != TrafficCounters())
    }
}
