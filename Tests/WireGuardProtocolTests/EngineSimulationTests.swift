// SPDX-License-Identifier: MIT
// Whole-engine scenarios on a simulated network with a manual clock and seeded randomness.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

let ipA = IPAddress("10.9.0.1")!, ipB = IPAddress("10.9.0.2")!

/// Two peers: A (10.9.0.1) at 192.0.2.1:51820 and B (10.9.0.2) at 192.0.2.2:51820.
func makePair(seed: UInt64 = 42, aKeepalive: UInt16? = nil, bKnowsEndpoint: Bool = true)
    -> (SimulatedNetwork, SimulatedNetwork.Node, SimulatedNetwork.Node) {
    let net = SimulatedNetwork(seed: seed)
    let a = net.addNode(endpoint: Endpoint("192.0.2.1:51820")!)
    let b = net.addNode(endpoint: Endpoint("192.0.2.2:51820")!)
    net.connect(a, b, aAllowed: ["10.9.0.1/32"], bAllowed: ["10.9.0.2/32"], aKeepalive: aKeepalive, bKnowsEndpoint: bKnowsEndpoint)
    return (net, a, b)
}

func ping(_ from: IPAddress, _ to: IPAddress, _ seq: UInt16 = 1) -> [UInt8] {
    PacketBuilder.ping(from: from, to: to, sequence: seq, payload: [UInt8](repeating: UInt8(seq & 0xFF), count: 20))
}

extension SimulatedNetwork.Node {
    var peerState: PeerState? { engine.peers.first }
    func count(_ predicate: (Event) -> Bool) -> Int { events.filter(predicate).count }
}

@Suite struct EngineSimulationTests {
    @Test func handshakeAndFirstData() throws {
        let (net, a, b) = makePair()
        let packet = ping(ipA, ipB)
        net.sendFromTun(a, packet)
        #expect(net.wire.count == 1 && net.wire[0].bytes.count == 148, "the first packet triggers an initiation")
        net.run(for: .seconds(1))
        #expect(b.tunOutput == [packet], "the staged packet comes out of the other TUN")
        #expect(a.count { if case .handshakeCompleted = $0 { true } else { false } } == 1)
        #expect(b.count { if case .handshakeCompleted = $0 { true } else { false } } == 1, "data confirms the responder")
        let reply = ping(ipB, ipA)
        net.sendFromTun(b, reply)
        net.run(for: .seconds(1))
        #expect(a.tunOutput == [reply])
        // Wire sizes: 148 + 92 + data both ways; counters count every byte, handshakes included.
        let aSent = net.datagrams(from: a).reduce(0) { $0 + $1.bytes.count }
        let bSent = net.datagrams(from: b).reduce(0) { $0 + $1.bytes.count }
        let sa = try #require(a.engine.status().peers.first), sb = try #require(b.engine.status().peers.first)
        #expect(sa.txBytes == UInt64(aSent) && sb.rxBytes == UInt64(aSent))
        #expect(sb.txBytes == UInt64(bSent) && sa.rxBytes == UInt64(bSent))
        #expect(sa.lastHandshake == WallTime(seconds: 1_700_000_000, nanoseconds: 10_000_000), "wall-clock time")
        #expect(sb.endpoint == a.endpoint, "the responder learned the endpoint from the initiation")
        // Outgoing data is padded to a multiple of 16: 48-byte ping -> 48, plus 32 overhead.
        #expect(net.datagrams(from: b, type: 4).last?.bytes.count == 80)
    }

    @Test func stagedQueueIsBoundedAndDropsTheOldest() throws {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }
        for i in 0..<200 { net.sendFromTun(a, ping(ipA, ipB, UInt16(i))) }
        let peer = try #require(a.peerState)
        #expect(peer.staged.count == Constants.maxStagedPackets)
        #expect(peer.staged.first == ping(ipA, ipB, 72) && peer.staged.last == ping(ipA, ipB, 199))
        #expect(net.datagrams(from: a, type: 1).count == 1, "one initiation, not one per packet")
        net.intercept = nil
        net.run(for: .seconds(6))
        #expect(b.tunOutput.count == Constants.maxStagedPackets && b.tunOutput.first == ping(ipA, ipB, 72))
    }

    @Test func responderWaitsForConfirmation() throws {
        let (net, a, b) = makePair()
        // Lose everything A sends after its initiation: B has keys in `next` but no proof A has them.
        net.intercept = { d in !(d.from == a.endpoint && d.bytes[0] == 4) }
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .milliseconds(50))
        let peer = try #require(b.peerState)
        #expect(peer.keypairs.next != nil && peer.keypairs.current == nil)
        let before = net.wire.count
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .milliseconds(50))
        #expect(net.datagrams(from: b, type: 4, since: before).isEmpty, "never sends on unconfirmed keys")
        net.intercept = nil
        // The next confirmed packet rotates `next` into `current`.
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .milliseconds(50))
        #expect(peer.keypairs.current != nil && peer.keypairs.next == nil)
    }

    @Test func retransmitThenGiveUpThenZeroKeys() throws {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }  // B unreachable
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(200))
        let initiations = net.datagrams(from: a, type: 1)
        #expect(initiations.count == 20, "1 initiation and 19 retries (maxTimerHandshakes + 2 attempts in all)")
        for (x, y) in zip(initiations, initiations.dropFirst()) {
            let gap = y.sentAt - x.sentAt
            #expect(gap >= .seconds(5) && gap < .milliseconds(5334), "rekeyTimeout plus 0..<334 ms jitter: \(gap)")
        }
        #expect(a.count { if case .handshakeGaveUp = $0 { true } else { false } } == 1)
        let peer = try #require(a.peerState)
        #expect(peer.staged.isEmpty, "giving up drops staged packets")
        net.run(for: .seconds(600))
        #expect(a.count { if case .keyMaterialZeroed = $0 { true } else { false } } == 1)
        #expect(net.datagrams(from: a, type: 1).count == 20, "no more traffic after giving up")
        #expect(a.engine.nextDeadline == nil)
    }

    @Test func rekeyAfterTimeOnlyByInitiator() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB, 100))
        net.run(for: .seconds(1))
        for i in 0..<14 {
            net.sendFromTun(a, ping(ipA, ipB, UInt16(i)))
            net.sendFromTun(b, ping(ipB, ipA, UInt16(i)))
            net.run(for: .seconds(10))
        }
        #expect(net.datagrams(from: a, type: 1).count == 2, "A, the initiator, rekeys after 120 s")
        #expect(net.datagrams(from: b, type: 1).isEmpty, "the responder never rekeys on time")
        #expect(b.tunOutput.count == 15 && a.tunOutput.count == 14, "no packet lost across the rekey")
    }

    @Test func initiatorRekeysBeforeRejectWhenOnlyReceiving() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        // Only B sends from now on; A answers with keepalives. A must rekey at 165 s.
        for i in 0..<20 {
            net.sendFromTun(b, ping(ipB, ipA, UInt16(i)))
            net.run(for: .seconds(9))
        }
        let second = net.datagrams(from: a, type: 1).dropFirst().first
        #expect(second != nil)
        #expect(a.tunOutput.count == 20)
    }

    @Test func rekeyAfterMessages() throws {
        let (net, a, _) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let keypair = try #require(a.peerState?.keypairs.current)
        keypair.sendCounter = Constants.rekeyAfterMessages + 1
        net.run(for: .seconds(6))
        net.sendFromTun(a, ping(ipA, ipB, 2))
        #expect(net.datagrams(from: a, type: 1).count == 2)
        keypair.sendCounter = Constants.rejectAfterMessages
        #expect(!keypair.isUsableForSending(now: net.now.monotonic))
    }

    @Test func passiveKeepalive() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(9))
        #expect(net.datagrams(from: b, since: before).isEmpty)
        net.run(for: .seconds(2))
        let keepalives = net.datagrams(from: b, type: 4, since: before)
        #expect(keepalives.count == 1 && keepalives[0].bytes.count == 32, "one keepalive 10 s after data")
    }

    @Test func persistentKeepalive() {
        let (net, a, _) = makePair(aKeepalive: 25)
        // Turning it on sends a keepalive at once, which needs a session: a handshake happens.
        #expect(net.datagrams(from: a, type: 1).count == 1)
        net.run(for: .seconds(100))
        let keepalives = net.datagrams(from: a, type: 4).filter { $0.bytes.count == 32 }
        #expect((4...5).contains(keepalives.count), "about every 25 s: \(keepalives.count)")
        for (x, y) in zip(keepalives, keepalives.dropFirst()) { #expect(y.sentAt - x.sentAt == .seconds(25)) }
    }

    @Test func newHandshakeWhenDataGetsNoReply() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        // B's passive keepalive at 10 s cancels the timer the first data packet armed.
        net.run(for: .seconds(12))
        #expect(net.datagrams(from: a, type: 1).count == 1)
        net.intercept = { d in d.from != b.endpoint }  // B goes silent
        let t0 = net.now.monotonic
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(16))
        let initiation = net.datagrams(from: a, type: 1).dropFirst().first
        #expect(initiation != nil)
        if let initiation {
            #expect(initiation.sentAt - t0 >= .seconds(15) && initiation.sentAt - t0 < .milliseconds(15334))
        }
    }

    @Test func replayedAndFloodedInitiationsAreIgnored() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let first = try #require(net.datagrams(from: a, type: 1).first)
        let before = net.wire.count
        net.inject(first.bytes, to: b, from: a.endpoint)
        #expect(b.events.last == .rejected(.staleTimestamp, from: a.endpoint, peer: a.publicKey))
        #expect(net.wire.count == before, "no response to a replay")

        // Two fresh initiations 17 ms apart (newer timestamps): the second is a flood.
        let peer = try #require(a.peerState)
        var effects: [Effect] = []
        net.run(for: .seconds(6))
        peer.lastSentHandshake = Instant(nanoseconds: 0)
        a.engine.sendHandshakeInitiation(peer, isRetry: false, now: net.now, effects: &effects)
        net.clock.advance(by: .milliseconds(17))
        peer.lastSentHandshake = Instant(nanoseconds: 0)
        a.engine.sendHandshakeInitiation(peer, isRetry: false, now: net.now, effects: &effects)
        let msgs = effects.compactMap { if case .sendDatagram(let d, _, _) = $0 { d } else { nil } }
        #expect(msgs.count == 2)
        net.inject(msgs[0], to: b, from: a.endpoint)
        #expect(net.datagrams(from: b, type: 2, since: before).count == 1)
        net.inject(msgs[1], to: b, from: a.endpoint)
        #expect(b.events.last == .rejected(.initiationFlood, from: a.endpoint, peer: a.publicKey))
        #expect(net.datagrams(from: b, type: 2, since: before).count == 1)
    }

    @Test func cookieRoundTripUnderLoad() throws {
        let (net, a, b) = makePair()
        func load() { b.engine.reportHandshakeBacklog(Constants.underLoadQueueThreshold, now: net.now.monotonic) }
        load()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .milliseconds(20))
        #expect(net.datagrams(from: b, type: 3).count == 1, "under load, no MAC2: a cookie reply")
        #expect(net.datagrams(from: b, type: 2).isEmpty)
        #expect(a.count { if case .cookieReplyConsumed = $0 { true } else { false } } == 1)
        #expect(a.peerState?.endpoint == b.endpoint)
        // Keep B under load; the retransmission after 5 s carries MAC2 and is answered.
        for _ in 0..<6 {
            load()
            net.run(for: .seconds(1))
        }
        let retry = try #require(net.datagrams(from: a, type: 1).last)
        #expect(retry.bytes.suffix(16) != [UInt8](repeating: 0, count: 16), "MAC2 present")
        #expect(net.datagrams(from: b, type: 2).count == 1)
        #expect(b.tunOutput.count == 1, "the staged packet survived the detour")
        // A forged cookie reply (random bytes) is refused and moves nothing.
        var forged = try #require(net.datagrams(from: b, type: 3).first).bytes
        forged[40] ^= 1
        net.inject(forged, to: a, from: Endpoint("203.0.113.9:9")!)
        #expect(a.peerState?.endpoint == b.endpoint)
    }

    @Test func roamingFollowsAuthenticatedPackets() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        let moved = Endpoint("198.51.100.7:40000")!
        net.aliases[moved] = a
        a.endpoint = moved
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(1))
        #expect(b.peerState?.endpoint == moved, "endpoint follows the latest authenticated packet")
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        #expect(net.datagrams(from: b, type: 4).last?.to == moved)
        #expect(a.tunOutput.count == 1)
        // A replayed transport packet from elsewhere does not move it.
        let old = try #require(net.datagrams(from: a, type: 4).last)
        net.inject(old.bytes, to: b, from: Endpoint("203.0.113.1:1")!)
        #expect(b.peerState?.endpoint == moved)
        #expect(b.tunOutput.count == 2)
    }

    @Test func innerSourceMustBeAnAllowedIPOfThePeer() {
        let (net, a, b) = makePair()
        let spoofed = ping(IPAddress("10.9.0.99")!, ipB)
        net.sendFromTun(a, spoofed)
        net.run(for: .seconds(1))
        #expect(b.tunOutput.isEmpty)
        #expect(b.events.contains(.rejected(.disallowedSource(IPAddress("10.9.0.99")!), from: a.endpoint, peer: a.publicKey)))
        // A packet to nowhere produces nothing at all.
        let before = net.wire.count
        net.sendFromTun(a, ping(ipA, IPAddress("10.77.0.1")!))
        #expect(net.wire.count == before)
    }

    @Test func ipv6InsideTheTunnel() {
        let net = SimulatedNetwork(seed: 9)
        let a = net.addNode(endpoint: Endpoint("[2001:db8::1]:51820")!)
        let b = net.addNode(endpoint: Endpoint("[2001:db8::2]:51820")!)
        net.connect(a, b, aAllowed: ["fd00::1/128"], bAllowed: ["fd00::/64"])
        let packet = PacketBuilder.ping(from: IPAddress("fd00::1")!, to: IPAddress("fd00::2")!)
        net.sendFromTun(a, packet)
        net.run(for: .seconds(1))
        #expect(b.tunOutput == [packet])
    }

    @Test(arguments: [1, 2, 3])
    func lossyNetworkStillDeliversWithoutDuplicates(seed: UInt64) {
        let (net, a, b) = makePair(seed: seed)
        net.faults = LinkFaults(dropRate: 0.1, duplicateRate: 0.2, reorderRate: 0.2)
        var sent = Set<[UInt8]>()
        for i in 0..<200 {
            let p = ping(ipA, ipB, UInt16(i))
            sent.insert(p)
            net.sendFromTun(a, p)
            net.run(for: .milliseconds(500))
        }
        net.run(for: .seconds(30))
        #expect(Set(b.tunOutput).isSubset(of: sent))
        #expect(b.tunOutput.count == Set(b.tunOutput).count, "duplicates are filtered by the replay window")
        #expect(b.tunOutput.count > 120, "most packets arrive: \(b.tunOutput.count)")
    }
}
