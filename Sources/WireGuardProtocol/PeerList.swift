// SPDX-License-Identifier: MIT
// The engine's peers in the order they were added (the kernel's `peer_list`, which `get` reports in that
// order), with O(1) append and removal: a removed peer leaves a hole that later compaction closes, so
// removing every peer, or many one by one (`replace_peers`, `wg syncconf`), stays linear.

/// Insertion-ordered peers with constant-time removal.
struct PeerList {
    private var slots: [PeerState?] = []
    /// Number of peers (holes excluded).
    private(set) var count = 0
    /// Slots moved by compaction since creation (tests: compaction work is linear in removals).
    private(set) var slotsMoved = 0

    /// Holes are closed once they outnumber peers and this many slots.
    private static let compactionThreshold = 64

    var isEmpty: Bool { count == 0 }

    /// The peers, oldest first.
    var all: [PeerState] { slots.compactMap { $0 } }

    /// Adds `peer` at the end.
    mutating func append(_ peer: PeerState) {
        peer.listSlot = slots.count
        slots.append(peer)
        count += 1
    }

    /// Removes `peer` (no-op if it is not in the list).
    mutating func remove(_ peer: PeerState) {
        let slot = peer.listSlot
        guard slot >= 0, slot < slots.count, slots[slot] === peer else { return }
        slots[slot] = nil
        peer.listSlot = -1
        count -= 1
        let holes = slots.count - count
        if holes > Self.compactionThreshold && holes > count { compact() }
    }

    /// Removes every peer and returns them, oldest first.
    mutating func removeAll() -> [PeerState] {
        let removed = all
        for peer in removed { peer.listSlot = -1 }
        slots.removeAll()
        count = 0
        return removed
    }

    /// Calls `body` on each peer, oldest first. `body` must not add or remove peers.
    func forEach(_ body: (PeerState) -> Void) {
        for case let peer? in slots { body(peer) }
    }

    private mutating func compact() {
        var kept: [PeerState?] = []
        kept.reserveCapacity(count)
        for case let peer? in slots {
            peer.listSlot = kept.count
            kept.append(peer)
        }
        slotsMoved += kept.count
        slots = kept
    }
}
