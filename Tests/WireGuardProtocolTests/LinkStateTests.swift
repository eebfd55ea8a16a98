// SPDX-License-Identifier: MIT
// Engine.down / Engine.up: the kernel's wg_stop / wg_open. Down clears every session, handshake, staged
// packet and timer and sends nothing whatever configuration says; up sends a keepalive (hence a handshake)
// to each peer with a persistent keepalive.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct LinkStateTests {
    @Test func downClearsSessionsStagedPacketsAndTimers() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let peer = try #require(a.peerState)
        #expect(peer.keypairs.current != nil && a.engine.nextDeadline != nil)
        // A handshake in flight as well (a rekey on send, its initiation lost).
        net.intercept = { _ in false }
        net.run(for: .seconds(5))  // past the initiation rate limit
        a.engine.rekeyAfterTime = .seconds(0)
        net.sendFromTun(a, ping(ipA, ipB, 2))
        let handshakeIndex = peer.handshake.localIndex, sessionIndex = try #require(peer.keypairs.current).localIndex
        #expect(a.engine.indexTable[handshakeIndex] != nil)
        a.engine.down(now: net.now)
        #expect(!a.engine.isUp)
        #expect(peer.keypairs.current == nil && peer.keypairs.previous == nil && peer.keypairs.next == nil)
        #expect(peer.staged.isEmpty)
        #expect(a.engine.nextDeadline == nil, "no timer runs while down")
        #expect(a.engine.indexTable[handshakeIndex] == nil && a.engine.indexTable[sessionIndex] == nil,
                "neither the handshake's index nor the session's resolves")
        #expect(a.engine.status().peers.first?.endpoint == b.endpoint, "configuration stays")
    }

    @Test func downDropsWhatWasStaged() throws {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }
        for i in 0..<5 { net.sendFromTun(a, ping(ipA, ipB, UInt16(i))) }
        let peer = try #require(a.peerState)
        #expect(peer.staged.count == 5)
        a.engine.down(now: net.now)
        #expect(peer.staged.isEmpty)
        net.intercept = nil
        var effects: [Effect] = []
        a.engine.up(now: net.now, effects: &effects)
        #expect(effects.isEmpty && a.engine.nextDeadline == nil, "nothing left to send, no timer from before")
    }

    @Test func theDownFlagAloneStopsTimersAndSending() throws {
        // Whatever arms a deadline or stages a packet while down (a hook, a configuration path), nothing runs.
        let (net, a, b) = makePair()
        a.engine.down(now: net.now)
        let peer = try #require(a.peerState)
        peer.retransmitHandshakeDeadline = net.now.monotonic
        #expect(a.engine.nextDeadline == nil)
        var effects: [Effect] = []
        a.engine.handleTimers(now: net.now, effects: &effects)
        #expect(peer.retransmitHandshakeDeadline != nil && peer.handshakeAttempts == 0, "the timer did not run")
        peer.stage(ping(ipA, ipB))
        net.configure(a, PeerUpdate(publicKey: b.publicKey, endpoint: b.endpoint))
        #expect(net.wire.isEmpty && peer.staged.count == 1, "configuration does not send what is staged")
    }

    @Test func nothingLeavesWhileDown() throws {
        let (net, a, b) = makePair()
        a.engine.down(now: net.now)
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB))
        // Persistent keepalive turned on over UAPI: the kernel sends its keepalive only when running.
        net.configure(a, PeerUpdate(publicKey: b.publicKey, persistentKeepalive: 25))
        net.run(for: .seconds(200))
        #expect(net.wire.count == before, "no datagram while down")
        #expect(a.engine.status().peers.first?.txBytes == 0 && a.engine.status().peers.first?.persistentKeepalive == 25)
        #expect(try #require(a.peerState).staged.isEmpty, "nothing is staged for later either")
        // Datagrams that reach it anyway are ignored.
        let initiation = net.wire.count
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        #expect(net.datagrams(from: a, since: initiation).isEmpty && a.tunOutput.isEmpty)
        #expect(a.peerState?.endpoint == b.endpoint)
    }

    @Test func upSendsTheHandshakeOfAPersistentKeepalive() throws {
        let (net, a, b) = makePair()
        a.engine.down(now: net.now)
        net.configure(a, PeerUpdate(publicKey: b.publicKey, persistentKeepalive: 25))
        let before = net.wire.count
        var effects: [Effect] = []
        a.engine.up(now: net.now, effects: &effects)
        net.process(effects, from: a)
        let sent = net.datagrams(from: a, since: before)
        #expect(sent.count == 1 && sent[0].bytes.count == 148, "an initiation at once")
        net.run(for: .seconds(1))
        #expect(a.count { if case .handshakeCompleted = $0 { true } else { false } } == 1)
        #expect(net.datagrams(from: a, type: 4, since: before).first?.bytes.count == 32, "then the keepalive itself")
        // And the keepalives keep coming, every 25 s.
        let afterHandshake = net.wire.count
        net.run(for: .seconds(51))
        #expect(net.datagrams(from: a, type: 4, since: afterHandshake).count == 2)
    }

    @Test func upWithoutPersistentKeepaliveSendsNothingAndTrafficResumes() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        a.engine.down(now: net.now)
        var effects: [Effect] = []
        a.engine.up(now: net.now, effects: &effects)
        #expect(effects.isEmpty && a.engine.nextDeadline == nil, "no timer survives down")
        // The session is gone on A's side: the next packet starts a handshake at once (reset rate limit).
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB, 2))
        #expect(net.datagrams(from: a, type: 1, since: before).count == 1)
        net.run(for: .seconds(1))
        #expect(b.tunOutput.count == 2)
        #expect(a.engine.isUp)
    }

    @Test func downAndUpAreIdempotent() {
        let (net, a, _) = makePair(aKeepalive: 25)
        var effects: [Effect] = []
        a.engine.up(now: net.now, effects: &effects)
        #expect(effects.isEmpty, "already up: no second keepalive")
        a.engine.down(now: net.now)
        a.engine.down(now: net.now)
        a.engine.up(now: net.now, effects: &effects)
        a.engine.up(now: net.now, effects: &effects)
        #expect(effects.filter { if case .sendDatagram = $0 { true } else { false } }.count == 1)
    }

    @Test func timersArmedBeforeDownDoNotFire() {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }
        net.sendFromTun(a, ping(ipA, ipB))
        #expect(a.engine.nextDeadline != nil, "retransmission armed")
        a.engine.down(now: net.now)
        var effects: [Effect] = []
        net.clock.advance(by: .seconds(30))
        a.engine.handleTimers(now: net.now, effects: &effects)
        #expect(effects.isEmpty)
    }
}
