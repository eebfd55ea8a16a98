// SPDX-License-Identifier: MIT
// The peer list keeps insertion order and removes in O(1) amortised: the work of removing peers (one by one,
// or all with replace_peers) is counted in slots moved, which must stay linear in the number of peers.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct PeerListTests {
    let random = SeededRandom(seed: 99)

    func randomKey() -> PublicKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { random.fill($0) }
        return PublicKey(bytes: bytes)!
    }

    func makePeers(_ n: Int) -> [PeerState] {
        (0..<n).map { _ in PeerState(publicKey: randomKey(), identity: nil, now: Instant(nanoseconds: 0)) }
    }

    @Test func orderSurvivesRemovalsAndCompaction() {
        var list = PeerList()
        let peers = makePeers(1000)
        for p in peers { list.append(p) }
        // Remove three peers in four, in a scrambled order.
        let doomed = peers.indices.filter { $0 % 4 != 0 }.sorted { ($0 * 7919) % 1000 < ($1 * 7919) % 1000 }
        for i in doomed { list.remove(peers[i]) }
        let expected = peers.indices.filter { $0 % 4 == 0 }.map { peers[$0] }
        #expect(list.count == expected.count)
        #expect(list.all.map(ObjectIdentifier.init) == expected.map(ObjectIdentifier.init))
        #expect(list.slotsMoved > 0, "compaction ran")
        // Removing a peer twice, or one never added, changes nothing.
        list.remove(peers[1])
        list.remove(makePeers(1)[0])
        #expect(list.count == expected.count)
        let late = makePeers(1)[0]
        list.append(late)
        #expect(list.all.last === late)
    }

    @Test(arguments: ["oldest first", "newest first", "scrambled"])
    func removingEveryPeerOneByOneIsLinear(order: String) {
        let n = 5000
        var list = PeerList()
        let peers = makePeers(n)
        for p in peers { list.append(p) }
        let sequence: [PeerState]
        switch order {
        case "oldest first": sequence = peers
        case "newest first": sequence = peers.reversed()
        default: sequence = peers.indices.sorted { ($0 * 7919) % n < ($1 * 7919) % n }.map { peers[$0] }
        }
        for p in sequence { list.remove(p) }
        #expect(list.isEmpty)
        #expect(list.slotsMoved <= n, "slots moved: \(list.slotsMoved) for \(n) removals")
    }

    @Test func replacePeersAndSyncRemovalsStayLinear() {
        let engine = Engine(random: random)
        let clock = ManualClock()
        var effects: [Effect] = []
        let n = 3000
        let keys = (0..<n).map { _ in randomKey() }
        let blocks = keys.enumerated().map { i, key in
            PeerUpdate(publicKey: key, allowedIPs: [.add(IPPrefix(address: .v4(0x0A00_0000 | UInt32(i)), length: 32)!)])
        }
        engine.apply(DeviceUpdate(peers: blocks), now: clock.now, effects: &effects)
        #expect(engine.peerList.count == n && engine.allowedIPs.count == n)
        // replace_peers clears the list at once: no slot moves at all.
        engine.apply(DeviceUpdate(replacePeers: true, peers: Array(blocks.prefix(n / 2))), now: clock.now, effects: &effects)
        #expect(engine.peerList.count == n / 2 && engine.allowedIPs.count == n / 2)
        #expect(engine.peerList.slotsMoved == 0)
        #expect(engine.status().peers.map(\.publicKey) == Array(keys.prefix(n / 2)))
        // Removing them one block each (as syncconf sends removals): linear.
        engine.apply(DeviceUpdate(peers: keys.prefix(n / 2).map { PeerUpdate(publicKey: $0, remove: true) }),
                     now: clock.now, effects: &effects)
        #expect(engine.peerList.isEmpty && engine.peersByKey.isEmpty && engine.allowedIPs.count == 0)
        #expect(engine.peerList.slotsMoved <= n / 2)
    }
}
