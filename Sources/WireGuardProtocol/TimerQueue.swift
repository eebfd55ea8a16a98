// SPDX-License-Identifier: MIT
// Peers ordered by their earliest armed timer: an indexed binary min-heap, so that finding the next deadline
// costs O(1) and running the due timers touches only the peers that are due, however many idle peers the
// device has (the kernel and wireguard-go get the same from the kernel's or Go's timer wheel).
//
// A peer is in the heap exactly while one of its five deadlines is armed. Each deadline property of
// `PeerState` reschedules the peer here when it is assigned (see PeerState.swift), so no event hook or
// expiry handler can forget to.

/// Min-heap of peers keyed by (earliest deadline, creation order). Owned by one `Engine`.
final class TimerQueue {
    private var heap: [PeerState] = []

    /// Number of peers with an armed timer.
    var count: Int { heap.count }

    /// The earliest armed deadline of any peer; nil when none is armed. O(1).
    var earliest: Instant? { heap.first?.queuedDeadline }

    /// Puts `peer` where its current `nextDeadline` belongs: inserts it, moves it, or removes it when no
    /// timer is armed. O(log n); O(1) when the earliest deadline did not change.
    func update(_ peer: PeerState) {
        let deadline = peer.nextDeadline
        let slot = peer.timerSlot
        guard slot >= 0 else {
            guard let deadline else { return }
            peer.queuedDeadline = deadline
            peer.timerSlot = heap.count
            heap.append(peer)
            siftUp(heap.count - 1)
            return
        }
        guard let deadline else {
            remove(at: slot)
            return
        }
        let old = peer.queuedDeadline
        if deadline == old { return }
        peer.queuedDeadline = deadline
        if deadline < old { siftUp(slot) } else { siftDown(slot) }
    }

    /// Removes and returns the peer with the earliest deadline if that deadline is at or before `now`.
    func popDue(_ now: Instant) -> PeerState? {
        guard let first = heap.first, first.queuedDeadline <= now else { return nil }
        remove(at: 0)
        return first
    }

    /// Takes `peer` out of the heap, whatever its deadlines say (a removed peer).
    func remove(_ peer: PeerState) {
        if peer.timerSlot >= 0 { remove(at: peer.timerSlot) }
    }

    /// True when the heap property and every peer's slot hold (tests).
    var isConsistent: Bool {
        for (i, peer) in heap.enumerated() {
            if peer.timerSlot != i || peer.nextDeadline != peer.queuedDeadline { return false }
            if i > 0 && Self.before(peer, heap[(i - 1) / 2]) { return false }
        }
        return true
    }

    // MARK: Heap mechanics

    @inline(__always)
    private static func before(_ a: PeerState, _ b: PeerState) -> Bool {
        a.queuedDeadline != b.queuedDeadline ? a.queuedDeadline < b.queuedDeadline : a.sequence < b.sequence
    }

    private func remove(at slot: Int) {
        let removed = heap[slot]
        removed.timerSlot = -1
        let last = heap.removeLast()
        guard slot < heap.count else { return }
        heap[slot] = last
        last.timerSlot = slot
        if slot > 0 && Self.before(last, heap[(slot - 1) / 2]) { siftUp(slot) } else { siftDown(slot) }
    }

    private func siftUp(_ start: Int) {
        var i = start
        let peer = heap[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(peer, heap[parent]) else { break }
            heap[i] = heap[parent]
            heap[i].timerSlot = i
            i = parent
        }
        heap[i] = peer
        peer.timerSlot = i
    }

    private func siftDown(_ start: Int) {
        var i = start
        let peer = heap[i]
        let n = heap.count
        while true {
            var child = 2 * i + 1
            guard child < n else { break }
            if child + 1 < n && Self.before(heap[child + 1], heap[child]) { child += 1 }
            guard Self.before(heap[child], peer) else { break }
            heap[i] = heap[child]
            heap[i].timerSlot = i
            i = child
        }
        heap[i] = peer
        peer.timerSlot = i
    }
}
