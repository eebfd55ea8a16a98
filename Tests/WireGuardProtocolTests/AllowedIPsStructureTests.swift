// SPDX-License-Identifier: MIT
// What configuration changes cost the trie, counted in nodes touched (never timed): resending an owner's
// unchanged list is free, removal gives every node back, and freed nodes are reused.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct AllowedIPsStructureTests {
    let random = SeededRandom(seed: 31)

    func randomPrefixes(_ n: Int) -> [IPPrefix] {
        var seen = Set<IPPrefix>()
        while seen.count < n {
            let v6 = random.next() % 2 == 0
            let address: IPAddress = v6 ? .v6(hi: 0xfd00_0000_0000_0000 | (random.next() & 0xFFFF_FFFF), lo: random.next())
                                        : .v4(0x0A00_0000 | UInt32(truncatingIfNeeded: random.next() & 0xFF_FFFF))
            seen.insert(IPPrefix(address: address, length: v6 ? [48, 64, 128][Int(random.next() % 3)] : [16, 24, 32][Int(random.next() % 3)])!)
        }
        return Array(seen)
    }

    @Test func removingEveryOwnerFreesEveryNodeAndNodesAreReused() {
        var table = AllowedIPs<Tag>()
        let owners = (0..<10).map { Tag("o\($0)") }
        let prefixes = randomPrefixes(2000)
        for (i, p) in prefixes.enumerated() { table.insert(p, owners[i % 10]) }
        let used = table.nodeCount
        #expect(table.count == 2000 && used >= 2000)
        for o in owners { table.removeAll(ownedBy: o) }
        #expect(table.count == 0 && table.nodeCount == 0, "\(table.nodeCount) nodes left")
        for p in prefixes { #expect(table.lookup(p.address) == nil) }
        // The same prefixes again fit in the nodes freed.
        for (i, p) in prefixes.enumerated() { table.insert(p, owners[i % 10]) }
        #expect(table.nodeCount == used)
        for (i, p) in prefixes.enumerated() { #expect(table.lookup(p.address) === owners[i % 10] || table.prefixes(ownedBy: owners[i % 10]).contains(p)) }
    }

    @Test func resendingAnUnchangedListTouchesNothing() {
        let engine = Engine(random: random)
        let clock = ManualClock()
        var effects: [Effect] = []
        let key = PublicKey(bytes: [UInt8](repeating: 7, count: 32))!
        let prefixes = randomPrefixes(13)
        let block = PeerUpdate(publicKey: key, replaceAllowedIPs: true, allowedIPs: prefixes.map { .add($0) })
        engine.apply(DeviceUpdate(peers: [block]), now: clock.now, effects: &effects)
        let touched = engine.allowedIPs.nodeChanges
        // What `wg syncconf` sends for a peer whose list did not change.
        engine.apply(DeviceUpdate(peers: [block]), now: clock.now, effects: &effects)
        #expect(engine.allowedIPs.nodeChanges == touched, "the trie was rebuilt for an unchanged list")
        #expect(engine.status().peers[0].allowedIPs == prefixes)
        // Another order is a change (the order is what `get` reports).
        let reordered = PeerUpdate(publicKey: key, replaceAllowedIPs: true, allowedIPs: prefixes.reversed().map { .add($0) })
        engine.apply(DeviceUpdate(peers: [reordered]), now: clock.now, effects: &effects)
        #expect(engine.allowedIPs.nodeChanges > touched)
        #expect(engine.status().peers[0].allowedIPs == prefixes.reversed())
        // So is a list with one prefix less, or one removal.
        let shorter = PeerUpdate(publicKey: key, replaceAllowedIPs: true, allowedIPs: prefixes.dropLast().map { .add($0) })
        engine.apply(DeviceUpdate(peers: [shorter]), now: clock.now, effects: &effects)
        #expect(engine.status().peers[0].allowedIPs == Array(prefixes.dropLast()))
        let removal = PeerUpdate(publicKey: key, replaceAllowedIPs: true, allowedIPs: prefixes.dropLast().map { .add($0) } + [.remove(prefixes[0])])
        engine.apply(DeviceUpdate(peers: [removal]), now: clock.now, effects: &effects)
        #expect(engine.status().peers[0].allowedIPs == Array(prefixes.dropLast().dropFirst()))
        // An empty list replacing an empty list.
        let bare = PeerUpdate(publicKey: PublicKey(bytes: [UInt8](repeating: 8, count: 32))!, replaceAllowedIPs: true)
        engine.apply(DeviceUpdate(peers: [bare, bare]), now: clock.now, effects: &effects)
        #expect(engine.status().peers.count == 2)
    }
}
