// SPDX-License-Identifier: MIT
// The queue between admission and the handshake worker: valid-MAC2 messages first, with room of their own.

import CWireGuardLinux
import Testing
import WireGuardModel
@testable import WireGuardDevice

@Suite struct HandshakeQueueTests {
    let source = Endpoint("192.0.2.1:51820")!

    func message(_ tag: UInt8) -> [UInt8] {
        var m = [UInt8](repeating: tag, count: 148)
        m[0] = 1
        return m
    }

    func push(_ q: HandshakeQueue, _ tag: UInt8, priority: Bool) -> Bool {
        message(tag).withUnsafeBytes { q.push($0, source: source, origin: wg_datagram(), priority: priority) }
    }

    /// Pops everything, returning each message's tag byte.
    func drain(_ q: HandshakeQueue) -> [UInt8] {
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: HandshakeQueue.slotSize, alignment: 16)
        defer { buffer.deallocate() }
        while let entry = q.pop(into: buffer) {
            #expect(entry.length == 148 && entry.source == source)
            out.append(buffer.load(fromByteOffset: 1, as: UInt8.self))
        }
        return out
    }

    @Test func validMAC2MessagesComeOutFirst() {
        let q = HandshakeQueue(normalCapacity: 8, priorityCapacity: 4)
        for t: UInt8 in [1, 2, 3] { #expect(push(q, t, priority: false)) }
        #expect(push(q, 10, priority: true))
        #expect(push(q, 4, priority: false))
        #expect(push(q, 11, priority: true))
        #expect(q.depth == 6)
        #expect(drain(q) == [10, 11, 1, 2, 3, 4], "priority in order, then the rest in order")
        #expect(q.isEmpty)
    }

    @Test func aFullQueueOfTheRestStillTakesValidMAC2() {
        let q = HandshakeQueue(normalCapacity: 4, priorityCapacity: 2)
        for t: UInt8 in 1...4 { #expect(push(q, t, priority: false)) }
        #expect(!push(q, 5, priority: false), "the flood's lane is full: dropped")
        #expect(push(q, 20, priority: true), "a proven source has room of its own")
        #expect(push(q, 21, priority: true))
        #expect(!push(q, 22, priority: true), "bounded too")
        #expect(q.depth == 6, "both lanes count towards the backlog")
        #expect(drain(q) == [20, 21, 1, 2, 3, 4])
        // The rings wrap around.
        for round: UInt8 in 0..<3 {
            #expect(push(q, 30 + round, priority: false))
            #expect(drain(q) == [30 + round])
        }
    }
}
