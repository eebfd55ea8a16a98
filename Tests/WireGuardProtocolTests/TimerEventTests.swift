// SPDX-License-Identifier: MIT
// Timer and key-freshness behaviours that other traffic can hide, each in a scenario where nothing else
// produces the same datagrams: a second passive keepalive (needAnotherKeepalive), the endpoint a consumed
// handshake response moves, and the initiator's last-minute rekey while it only receives.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct TimerEventTests {
    /// Empty transport messages (keepalives) `node` put on the wire since `index`.
    func keepalives(_ net: SimulatedNetwork, from node: SimulatedNetwork.Node, since index: Int) -> [Datagram] {
        net.datagrams(from: node, type: 4, since: index).filter { $0.bytes.count == Constants.transportOverhead }
    }

    @Test func dataDuringTheKeepaliveTimerAsksForASecondKeepalive() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(12))  // handshake, data, B's passive keepalive
        let start = net.wire.count
        let t0 = net.now.monotonic
        // Two data packets from A while B's keepalive timer runs, then silence both ways.
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(1))
        net.sendFromTun(a, ping(ipA, ipB, 3))
        net.run(for: .seconds(30))
        let sent = keepalives(net, from: b, since: start)
        #expect(sent.count == 2, "one keepalive 10 s after the first packet, another 10 s later: \(sent.count)")
        if sent.count == 2 {
            #expect(sent[0].sentAt - t0 >= .seconds(10) && sent[0].sentAt - t0 < .milliseconds(10100))
            #expect(sent[1].sentAt - sent[0].sentAt == Constants.keepaliveTimeout)
        }
        #expect(net.datagrams(from: b, since: start).count == 2, "and nothing else")
    }

    @Test func oneDataPacketAsksForOneKeepalive() {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(12))
        let start = net.wire.count
        net.sendFromTun(a, ping(ipA, ipB, 2))
        net.run(for: .seconds(30))
        #expect(keepalives(net, from: b, since: start).count == 1)
    }

    @Test func consumedResponseMovesTheEndpoint() throws {
        // A is configured with an address of B's that B does not answer from (a NAT's or an old one).
        let net = SimulatedNetwork(seed: 7)
        let a = net.addNode(endpoint: Endpoint("192.0.2.1:51820")!)
        let b = net.addNode(endpoint: Endpoint("192.0.2.2:51820")!)
        let configured = Endpoint("198.51.100.2:51820")!
        net.aliases[configured] = b
        net.configure(a, PeerUpdate(publicKey: b.publicKey, endpoint: configured, allowedIPs: [.add(IPPrefix("10.9.0.2/32")!)]))
        net.configure(b, PeerUpdate(publicKey: a.publicKey, endpoint: a.endpoint, allowedIPs: [.add(IPPrefix("10.9.0.1/32")!)]))
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .milliseconds(7))  // the initiation arrives, B responds; the response reaches A at 10 ms
        #expect(a.peerState?.endpoint == configured)
        net.run(for: .milliseconds(4))
        #expect(a.peerState?.endpoint == b.endpoint, "the response is authenticated: A follows it")
        #expect(a.events.contains(.endpointChanged(peer: b.publicKey, to: b.endpoint)))
        let data = try #require(net.datagrams(from: a, type: 4).first)
        #expect(data.to == b.endpoint, "the staged packet goes to where the response came from")
        #expect(data.sentAt == net.datagrams(from: b, type: 2).first?.sentAt.advanced(by: net.faults.latency))
    }

    @Test func initiatorRekeysOnReceiveWhenItSendsNothing() throws {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(12))
        let session = try #require(a.peerState?.keypairs.current)
        #expect(session.isInitiator)
        // From now on B sends only keepalives (persistent, every 20 s: at 12, 32, … 172 s) and A sends nothing
        // at all: no data, so no passive keepalive and no rekey on send. Only receiving can make A rekey.
        net.configure(b, PeerUpdate(publicKey: a.publicKey, persistentKeepalive: 20))
        let start = net.wire.count
        net.run(until: session.created + Constants.rejectAfterTime - .milliseconds(100))
        #expect(net.datagrams(from: a, since: start).count == 2, "A's last-minute initiation and its keepalive")
        let initiation = try #require(net.datagrams(from: a, type: 1, since: start).first)
        #expect(initiation.sentAt - session.created > Constants.lastMinuteRekeyAge)
        #expect(initiation.sentAt - session.created < Constants.lastMinuteRekeyAge + .seconds(21),
                "at the first keepalive received after 165 s")
        #expect(net.datagrams(from: b, type: 1, since: start).isEmpty, "the responder did not have to")
        #expect(try #require(a.peerState?.keypairs.current) !== session, "a new session before the old one expires")
        net.run(for: .seconds(60))
        #expect(net.datagrams(from: a, type: 1, since: start).count == 1, "once")
    }
}

extension Instant {
    func advanced(by d: Duration) -> Instant { self + d }
}
