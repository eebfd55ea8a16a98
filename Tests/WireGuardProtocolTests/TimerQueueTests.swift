// SPDX-License-Identifier: MIT
// The timer heap: deadlines come out in order, rescheduling and removal keep it consistent, and the work of
// one wake-up follows the due peers, not the idle ones.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct TimerQueueTests {
    let random = SeededRandom(seed: 2024)

    func randomKey() -> PublicKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { random.fill($0) }
        return PublicKey(bytes: bytes)!
    }

    /// Peers filed in `queue`, created in order (sequence 1, 2, …).
    func peers(_ n: Int, in queue: TimerQueue) -> [PeerState] {
        (1...n).map { i in
            let p = PeerState(publicKey: randomKey(), identity: nil, now: Instant(nanoseconds: 0))
            p.sequence = i
            p.timerQueue = queue
            return p
        }
    }

    func at(_ seconds: Int64) -> Instant { Instant(nanoseconds: seconds * 1_000_000_000) }

    @Test func deadlinesComeOutInOrderWithTiesByCreation() {
        let queue = TimerQueue()
        let all = peers(200, in: queue)
        for (i, p) in all.enumerated() {
            // Several deadlines per peer; many equal across peers.
            p.zeroKeyMaterialDeadline = at(Int64(1000 + (i * 37) % 50))
            p.sendKeepaliveDeadline = at(Int64(500 + (i * 11) % 40))
            if i % 3 == 0 { p.persistentKeepaliveDeadline = at(Int64(10 + i % 7)) }
        }
        #expect(queue.count == 200 && queue.isConsistent)
        var out: [PeerState] = []
        while let p = queue.popDue(at(10_000)) { out.append(p) }
        let expected = all.sorted { ($0.nextDeadline!, $0.sequence) < ($1.nextDeadline!, $1.sequence) }
        #expect(out.map(\.sequence) == expected.map(\.sequence))
        #expect(queue.count == 0 && queue.earliest == nil)
    }

    @Test func popDueStopsAtNow() {
        let queue = TimerQueue()
        let all = peers(5, in: queue)
        for (i, p) in all.enumerated() { p.newHandshakeDeadline = at(Int64(10 * (i + 1))) }
        var due: [Int] = []
        while let p = queue.popDue(at(30)) { due.append(p.sequence) }
        #expect(due == [1, 2, 3])
        #expect(queue.earliest == at(40) && queue.count == 2)
    }

    @Test func reschedulingAndRemovalKeepTheHeapConsistent() {
        let queue = TimerQueue()
        let all = peers(300, in: queue)
        for (i, p) in all.enumerated() { p.retransmitHandshakeDeadline = at(Int64(100 + i)) }
        #expect(queue.earliest == at(100))
        // Move some earlier, some later, clear some, arm a second timer on others.
        for (i, p) in all.enumerated() {
            switch i % 4 {
            case 0: p.retransmitHandshakeDeadline = at(Int64(50 + i % 13))
            case 1: p.retransmitHandshakeDeadline = at(Int64(5000 - i))
            case 2: p.retransmitHandshakeDeadline = nil
            default: p.zeroKeyMaterialDeadline = at(Int64(20 + i % 5))
            }
            #expect(queue.isConsistent)
        }
        #expect(queue.count == 225)
        #expect(queue.earliest == all.compactMap(\.nextDeadline).min())
        // A peer with no armed timer leaves the heap; stopping every timer empties it.
        all[3].timersStop()
        #expect(all[3].timerSlot == -1 && queue.count == 224 && queue.isConsistent)
        for p in all { p.timersStop() }
        #expect(queue.count == 0 && queue.earliest == nil)
    }

    /// An engine with a private key, `idle` peers that never arm a timer, and one peer (10.77.0.2) with an
    /// endpoint that starts a handshake nobody answers.
    func engineWithIdlePeers(_ idle: Int) -> (Engine, ManualClock, PeerState) {
        let engine = Engine(random: random)
        let clock = ManualClock()
        var effects: [Effect] = []
        var update = DeviceUpdate(privateKey: PrivateKey.generate(using: random))
        for i in 0..<idle {
            update.peers.append(PeerUpdate(publicKey: randomKey(), allowedIPs: [
                .add(IPPrefix(address: .v4(0x0A00_0000 | UInt32(i)), length: 32)!)]))
        }
        let active = randomKey()
        update.peers.append(PeerUpdate(publicKey: active, endpoint: Endpoint("192.0.2.9:51820")!,
                                       allowedIPs: [.add(IPPrefix("10.77.0.2/32")!)]))
        engine.apply(update, now: clock.now, effects: &effects)
        return (engine, clock, engine.peer(active)!)
    }

    @Test func wakeUpWorkDoesNotGrowWithIdlePeers() throws {
        for idle in [0, 2000] {
            let (engine, clock, active) = engineWithIdlePeers(idle)
            var effects: [Effect] = []
            engine.handleTunPacket(ping(IPAddress("10.77.0.1")!, IPAddress("10.77.0.2")!), now: clock.now, effects: &effects)
            #expect(engine.timers.count == 1, "only the active peer has a timer")
            for retry in 1...3 {
                let due = try #require(engine.nextDeadline)
                #expect(due == active.nextDeadline)
                clock.set(to: due)
                effects.removeAll()
                let before = engine.timerPeersVisited
                engine.handleTimers(now: clock.now, effects: &effects)
                #expect(engine.timerPeersVisited - before == 1, "retry \(retry) with \(idle) idle peers")
                #expect(effects.contains { if case .sendDatagram = $0 { true } else { false } }, "initiation resent")
            }
        }
    }

    @Test func dueTimersFireInDeadlineOrderAcrossPeers() throws {
        let engine = Engine(random: random)
        let clock = ManualClock()
        var effects: [Effect] = []
        // Peers created 3, 2, 1; handshakes started 1, 2, 3, a second apart (jitter is under 334 ms).
        var update = DeviceUpdate(privateKey: PrivateKey.generate(using: random))
        for n in [3, 2, 1] {
            update.peers.append(PeerUpdate(publicKey: randomKey(), endpoint: Endpoint("192.0.2.\(n):51820")!,
                                           allowedIPs: [.add(IPPrefix("10.78.0.\(n)/32")!)]))
        }
        engine.apply(update, now: clock.now, effects: &effects)
        for n in 1...3 {
            engine.handleTunPacket(ping(IPAddress("10.78.0.100")!, IPAddress("10.78.0.\(n)")!), now: clock.now, effects: &effects)
            clock.advance(by: .seconds(1))
        }
        // One late wake-up with all three retransmissions due: earliest deadline first.
        clock.advance(by: .seconds(5))
        effects.removeAll()
        engine.handleTimers(now: clock.now, effects: &effects)
        let destinations = effects.compactMap { effect -> String? in
            if case .sendDatagram(_, let to, _) = effect { return "\(to)" }
            return nil
        }
        #expect(destinations == ["192.0.2.1:51820", "192.0.2.2:51820", "192.0.2.3:51820"])
        #expect(engine.timers.isConsistent && engine.timers.count == 3)
        #expect(try #require(engine.nextDeadline) > clock.now.monotonic)
    }

    @Test func removedPeerLeavesTheHeap() throws {
        let (engine, clock, active) = engineWithIdlePeers(10)
        var effects: [Effect] = []
        engine.handleTunPacket(ping(IPAddress("10.77.0.1")!, IPAddress("10.77.0.2")!), now: clock.now, effects: &effects)
        #expect(engine.nextDeadline != nil)
        engine.apply(DeviceUpdate(peers: [PeerUpdate(publicKey: active.publicKey, remove: true)]), now: clock.now, effects: &effects)
        #expect(engine.nextDeadline == nil && engine.timers.count == 0 && active.timerQueue == nil)
        // Nothing fires later for the removed peer.
        clock.advance(by: .seconds(600))
        effects.removeAll()
        engine.handleTimers(now: clock.now, effects: &effects)
        #expect(effects.isEmpty)
    }
}
