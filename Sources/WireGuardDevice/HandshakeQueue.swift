// SPDX-License-Identifier: MIT
// The bounded queue between the receive thread, which admits handshake messages (MAC1, cookie decisions:
// `Engine.admitHandshake`), and the handshake worker, which spends the Diffie-Hellman on them (wireguard-go's
// queue.handshake, the kernel's handshake_queue). Two lanes: messages that carried a valid MAC2 go before
// the rest and have room of their own, so a queue full of a flood's initiations never delays or refuses a
// peer that has proven its address. Its depth is what decides "under load".

import CWireGuardLinux
import WireGuardModel
import WireGuardProtocol

/// Handshake messages waiting for the worker, in preallocated slots (no allocation per message). Not
/// thread-safe: the device guards it with its engine lock.
final class HandshakeQueue {
    /// One waiting message's bookkeeping; its bytes are in the lane's slot.
    struct Entry {
        var length: Int
        var source: Endpoint
        /// The datagram it arrived in (for the local address it reached us on; `data` is not used).
        var origin: wg_datagram
    }

    /// One FIFO ring of fixed-size slots.
    private final class Lane {
        let capacity: Int
        let storage: UnsafeMutableRawPointer
        let entries: UnsafeMutablePointer<Entry?>
        var head = 0, count = 0

        init(capacity: Int) {
            self.capacity = capacity
            storage = .allocate(byteCount: capacity * HandshakeQueue.slotSize, alignment: 16)
            entries = .allocate(capacity: capacity)
            entries.initialize(repeating: nil, count: capacity)
        }

        deinit {
            storage.deallocate()
            entries.deinitialize(count: capacity)
            entries.deallocate()
        }

        func push(_ message: UnsafeRawBufferPointer, _ entry: Entry) -> Bool {
            guard count < capacity else { return false }
            let i = (head + count) % capacity
            (storage + i * HandshakeQueue.slotSize).copyMemory(from: message.baseAddress!, byteCount: message.count)
            entries[i] = entry
            count += 1
            return true
        }

        func pop(into buffer: UnsafeMutableRawPointer) -> Entry? {
            guard count > 0, let entry = entries[head] else { return nil }
            buffer.copyMemory(from: storage + head * HandshakeQueue.slotSize, byteCount: entry.length)
            entries[head] = nil
            head = (head + 1) % capacity
            count -= 1
            return entry
        }
    }

    /// Room per message: the largest handshake message (an initiation).
    static let slotSize = MessageType.initiationSize
    /// Messages without a valid MAC2 (wireguard-go's QueueHandshakeSize).
    static let normalCapacity = 1024
    /// Messages with a valid MAC2: under load each source passes the rate limiter (20/s) first.
    static let priorityCapacity = 256

    private let normal: Lane
    private let priority: Lane

    init(normalCapacity: Int = HandshakeQueue.normalCapacity, priorityCapacity: Int = HandshakeQueue.priorityCapacity) {
        normal = Lane(capacity: normalCapacity)
        priority = Lane(capacity: priorityCapacity)
    }

    /// Messages waiting in both lanes: the backlog reported to `Engine.reportHandshakeBacklog`.
    var depth: Int { normal.count + priority.count }

    var isEmpty: Bool { depth == 0 }

    /// Copies `message` (at most `slotSize` bytes) into its lane. False when that lane is full (the message
    /// is dropped, as the kernel and wireguard-go drop handshakes beyond their queue).
    func push(_ message: UnsafeRawBufferPointer, source: Endpoint, origin: wg_datagram, priority isPriority: Bool) -> Bool {
        precondition(message.count <= Self.slotSize)
        let entry = Entry(length: message.count, source: source, origin: origin)
        return (isPriority ? priority : normal).push(message, entry)
    }

    /// Takes the oldest priority message, else the oldest other one, copying its bytes to `buffer`
    /// (`slotSize` bytes of room). Nil when empty.
    func pop(into buffer: UnsafeMutableRawPointer) -> Entry? {
        priority.pop(into: buffer) ?? normal.pop(into: buffer)
    }
}
