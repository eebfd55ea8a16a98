// SPDX-License-Identifier: MIT
// The engine's data-plane entry points (Engine+DataPlane.swift): counters reserved per run and sealed
// outside the engine, transport messages looked up, opened and accepted in runs. They must leave the same
// state and produce the same packets as the one-packet path.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct DataPlaneTests {
    /// A and B with a confirmed session both ways.
    func establishedPair() -> (SimulatedNetwork, SimulatedNetwork.Node, SimulatedNetwork.Node) {
        let (net, a, b) = makePair()
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        net.sendFromTun(b, ping(ipB, ipA))
        net.run(for: .seconds(1))
        return (net, a, b)
    }

    /// Seals `packets` through `reserveSend` and `Keypair.seal(packet:length:counter:mtu:)`, as the send thread
    /// does; returns the datagrams.
    func sealRun(_ engine: Engine, _ packets: [[UInt8]], now: Now) throws -> [[UInt8]] {
        var effects: [Effect] = []
        let destination = try #require(IPPacket.destination(packets[0], length: packets[0].count))
        let r = try #require(engine.reserveSend(to: destination, count: packets.count, now: now, effects: &effects,
                                                length: { packets[$0].count }))
        #expect(r.count == packets.count)
        return try packets.enumerated().map { i, p in
            var buffer = [UInt8](repeating: 0, count: 16 + p.count + 32)
            buffer.replaceSubrange(16..<(16 + p.count), with: p)
            let n = try #require(buffer.withUnsafeMutableBytes {
                r.keypair.seal(packet: $0.baseAddress!, length: p.count, counter: r.firstCounter + UInt64(i), mtu: r.mtu)
            })
            return Array(buffer[0..<n])
        }
    }

    @Test func reservedCountersAreConsecutiveAndTheRunDecryptsInOrder() throws {
        let (net, a, b) = establishedPair()
        // 49-byte packets: each is padded to 64 on the wire.
        let packets = (1...5).map {
            PacketBuilder.ping(from: ipA, to: ipB, sequence: UInt16($0), payload: [UInt8](repeating: 1, count: 21))
        }
        let before = try #require(a.peerState).txBytes
        let sealed = try sealRun(a.engine, packets, now: net.clock.now)
        let counters = sealed.map { d in d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) } }
        #expect(counters == Array(counters[0]..<(counters[0] + 5)), "one counter per packet, in order")
        #expect(try #require(a.peerState).txBytes == before + UInt64(sealed.reduce(0) { $0 + $1.count }),
                "the run's wire bytes are counted once, exactly")
        for d in sealed { net.inject(d, to: b, from: a.endpoint) }
        #expect(Array(b.tunOutput.suffix(5)) == packets)
    }

    /// Copies datagrams into separately allocated messages (room for the tag behind) and opens them.
    func open(_ sealed: [[UInt8]], with session: TransportSession) throws
        -> ([UnsafeMutableRawPointer], [(plaintextLength: Int, counter: UInt64)]) {
        let messages = sealed.map { d -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: d.count + 16, alignment: 16)
            p.copyMemory(from: d, byteCount: d.count)
            return p
        }
        let opened = try sealed.indices.map { try #require(session.keypair.open(message: messages[$0], length: sealed[$0].count)) }
        return (messages, opened)
    }

    @Test func acceptTransportsChecksEveryPacketOfTheRun() throws {
        let (net, a, b) = establishedPair()
        let stranger = IPAddress("10.9.9.9")!
        let packets = [ping(ipA, ipB, 7), ping(ipA, ipB, 8), ping(ipA, ipB, 9), ping(stranger, ipB, 10)]
        var sealed = try sealRun(a.engine, packets, now: net.clock.now)
        sealed.insert(sealed[0], at: 3)  // a replay of the first
        let now = net.clock.now
        let session = try #require(b.engine.lookupTransport(sealed[0], count: sealed[0].count, now: now))
        let (messages, opened) = try open(sealed, with: session)
        defer { messages.forEach { $0.deallocate() } }
        var results = [Range<Int>?](repeating: 0..<1, count: sealed.count)
        var effects: [Effect] = []
        let rxBefore = try #require(b.peerState).rxBytes
        b.engine.acceptTransports(session, count: sealed.count, messages: messages, opened: opened,
                                  wireLengths: sealed.map(\.count), results: &results, from: a.endpoint, now: now,
                                  effects: &effects)
        for i in 0..<3 {
            #expect(results[i] == 16..<(16 + packets[i].count), "packet \(i) delivered, padding trimmed")
            #expect(Array(UnsafeRawBufferPointer(start: messages[i] + 16, count: packets[i].count)) == packets[i])
        }
        #expect(results[3] == nil, "a replayed counter is dropped")
        #expect(results[4] == nil, "an inner source the peer may not use is dropped")
        #expect(effects.contains { if case .event(.rejected(.disallowedSource(stranger), _, _)) = $0 { true } else { false } })
        let fresh = sealed.enumerated().filter { $0.offset != 3 }.reduce(0) { $0 + $1.element.count }
        #expect(try #require(b.peerState).rxBytes == rxBefore + UInt64(fresh), "fresh messages counted, the replay not")
    }

    @Test func reserveSendDeclinesWithoutASessionAndTheEngineStages() throws {
        let (net, a, _) = makePair()
        var effects: [Effect] = []
        #expect(a.engine.reserveSend(to: ipB, count: 3, now: net.clock.now, effects: &effects, length: { _ in 40 }) == nil)
        #expect(a.engine.reserveSend(to: IPAddress("10.1.1.1")!, count: 1, now: net.clock.now, effects: &effects,
                                     length: { _ in 40 }) == nil, "no peer routes it")
        net.sendFromTun(a, ping(ipA, ipB))
        #expect(try #require(a.peerState).staged.count == 1)
        // While packets are staged the fast path must wait: order is kept.
        #expect(a.engine.reserveSend(to: ipB, count: 1, now: net.clock.now, effects: &effects, length: { _ in 40 }) == nil)
    }

    @Test func aSecondDataPacketInARunAsksForAnotherKeepalive() throws {
        let (net, a, b) = establishedPair()
        net.run(for: .seconds(20))  // let every keepalive timer run out
        let sealed = try sealRun(a.engine, [ping(ipA, ipB, 1), ping(ipA, ipB, 2)], now: net.clock.now)
        let session = try #require(b.engine.lookupTransport(sealed[0], count: sealed[0].count, now: net.clock.now))
        let (messages, opened) = try open(sealed, with: session)
        defer { messages.forEach { $0.deallocate() } }
        var results = [Range<Int>?](repeating: nil, count: 2)
        var effects: [Effect] = []
        let peer = try #require(b.peerState)
        #expect(peer.sendKeepaliveDeadline == nil && !peer.needAnotherKeepalive)
        b.engine.acceptTransports(session, count: 2, messages: messages, opened: opened, wireLengths: sealed.map(\.count),
                                  results: &results, from: a.endpoint, now: net.clock.now, effects: &effects)
        #expect(peer.sendKeepaliveDeadline != nil && peer.needAnotherKeepalive, "as two one-packet receipts would leave it")
    }
}
