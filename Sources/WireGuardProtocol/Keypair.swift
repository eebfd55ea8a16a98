// SPDX-License-Identifier: MIT
// Transport keypairs and the previous/current/next rotation (kernel noise.c `noise_keypairs`).

import WireGuardCrypto

/// The keys of one session, ready for the data path. Sealing and opening work in place on caller buffers
/// and allocate nothing.
public final class Keypair {
    /// Seals for the engine (staged packets, keepalives), always under the engine owner's lock.
    private let sender: ChaCha20Poly1305Context
    /// Seals reserved counters for the data plane's send thread, outside the lock: a second context so the
    /// two never share OpenSSL state.
    private let dataSender: ChaCha20Poly1305Context
    /// Opens; used by one receiving thread at a time.
    private let receiver: ChaCha20Poly1305Context
    /// Next counter to send with.
    public internal(set) var sendCounter: UInt64 = 0
    var replayFilter = ReplayFilter()
    public let created: Instant
    public let isInitiator: Bool
    public let localIndex: UInt32
    public let remoteIndex: UInt32
    /// Cleared when our private key changes: the keypair may still receive but never sends again.
    public internal(set) var canSend = true

    convenience init?(keys: SessionKeys, created: Instant) {
        self.init(sendingKey: keys.sending, receivingKey: keys.receiving, isInitiator: keys.isInitiator,
                  localIndex: keys.localIndex, remoteIndex: keys.remoteIndex, created: created)
    }

    /// A keypair from raw transport keys (the handshake makes these; benchmarks and future data-plane
    /// workers build them directly). Nil if a key is not 32 bytes.
    public init?(sendingKey: Secret, receivingKey: Secret, isInitiator: Bool, localIndex: UInt32, remoteIndex: UInt32,
                 created: Instant) {
        guard let s = ChaCha20Poly1305Context(key: sendingKey, sealing: true),
              let d = ChaCha20Poly1305Context(key: sendingKey, sealing: true),
              let r = ChaCha20Poly1305Context(key: receivingKey, sealing: false) else { return nil }
        sender = s
        dataSender = d
        receiver = r
        self.created = created
        self.isInitiator = isInitiator
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
    }

    /// True when this keypair may still encrypt at `now`.
    func isUsableForSending(now: Instant) -> Bool {
        canSend && sendCounter < Constants.rejectAfterMessages && now - created < Constants.rejectAfterTime
    }

    /// True when this keypair may still decrypt at `now`.
    func isUsableForReceiving(now: Instant) -> Bool {
        now - created < Constants.rejectAfterTime
    }

    /// Builds a transport message in place. `packet` points at the 16-byte header room; the plaintext
    /// (already padded) is the `length` bytes after it, and 16 bytes of tailroom must follow for the tag.
    /// Takes the next counter. Returns the message length (`length + 32`), or nil if the counter is exhausted.
    @inline(__always)
    public func seal(packet: UnsafeMutableRawPointer, length: Int) -> Int? {
        let counter = sendCounter
        guard counter < Constants.rejectAfterMessages else { return nil }
        sendCounter = counter + 1
        TransportHeader.write(to: packet, receiverIndex: remoteIndex, counter: counter)
        guard sender.seal(counter: counter, buffer: packet + TransportHeader.contentOffset, count: length) else { return nil }
        return length + Constants.transportOverhead
    }

    /// Reserves `count` consecutive counters and returns the first, or nil when none is left. Fewer than
    /// `count` may remain: the caller uses only those below `Constants.rejectAfterMessages`.
    @inline(__always)
    func reserveCounters(_ count: Int) -> UInt64? {
        let first = sendCounter
        guard first < Constants.rejectAfterMessages else { return nil }
        sendCounter = min(first + UInt64(count), Constants.rejectAfterMessages)
        return first
    }

    /// Zero-pads and seals, with a counter from a `SendReservation`, the `length`-byte inner packet at
    /// `packet + 16`, on the data-plane context (one send thread; no engine state touched). The caller
    /// provides 16 bytes of headroom and tailroom for the padding and the tag. Returns the message length.
    @inline(__always)
    public func seal(packet: UnsafeMutableRawPointer, length: Int, counter: UInt64, mtu: Int) -> Int? {
        let padding = IPPacket.padding(length: length, mtu: mtu)
        (packet + TransportHeader.contentOffset + length).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
        TransportHeader.write(to: packet, receiverIndex: remoteIndex, counter: counter)
        guard dataSender.seal(counter: counter, buffer: packet + TransportHeader.contentOffset, count: length + padding) else { return nil }
        return length + padding + Constants.transportOverhead
    }

    /// Zero-pads the `length`-byte inner packet at `packet + 16` for `mtu` (IPPacket.padding), then seals it
    /// as `seal` does. The caller provides 16 bytes of headroom, and tailroom for the padding and the tag.
    /// Returns the message length, or nil if the counter is exhausted.
    @inline(__always)
    public func sealPadded(packet: UnsafeMutableRawPointer, length: Int, mtu: Int) -> Int? {
        let padding = IPPacket.padding(length: length, mtu: mtu)
        (packet + TransportHeader.contentOffset + length).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
        return seal(packet: packet, length: length + padding)
    }

    /// Decrypts a transport message in place (header at `message`). Returns the plaintext length (at
    /// `message + 16`) and the counter, or nil if it does not authenticate. Does not touch the replay window.
    @inline(__always)
    public func open(message: UnsafeMutableRawPointer, length: Int) -> (plaintextLength: Int, counter: UInt64)? {
        guard length >= Constants.transportOverhead else { return nil }
        let counter = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: TransportHeader.counterOffset, as: UInt64.self))
        let n = length - Constants.transportOverhead
        guard receiver.open(counter: counter, buffer: message + TransportHeader.contentOffset, count: n) else { return nil }
        return (n, counter)
    }
}

/// A peer's three keypair slots.
///
///     previous <- current <- next
///
/// `current` is the only one used for sending. An initiator's new keypair becomes `current` at once; a
/// responder's waits in `next` until the first packet authenticates with it, proving the initiator derived
/// the same keys (a responder must not send on keys its peer may not have).
struct KeypairSlots {
    var previous: Keypair?
    var current: Keypair?
    var next: Keypair?

    /// Installs a new session and returns the keypairs it displaced (to be unregistered and wiped).
    mutating func install(_ keypair: Keypair) -> [Keypair] {
        var dropped: [Keypair] = []
        if keypair.isInitiator {
            if let n = next {
                // An unconfirmed responder keypair becomes `previous` so packets still in flight decrypt.
                if let p = previous { dropped.append(p) }
                if let c = current { dropped.append(c) }
                previous = n
                next = nil
            } else {
                if let p = previous { dropped.append(p) }
                previous = current
            }
            current = keypair
        } else {
            if let n = next { dropped.append(n) }
            if let p = previous { dropped.append(p) }
            previous = nil
            next = keypair
        }
        return dropped
    }

    /// Called when `keypair` authenticated a packet. If it is `next`, promotes it and returns the dropped
    /// `previous`; returns nil when nothing rotated.
    mutating func received(with keypair: Keypair) -> (rotated: Bool, dropped: Keypair?) {
        guard let n = next, n === keypair else { return (false, nil) }
        let dropped = previous
        previous = current
        current = n
        next = nil
        return (true, dropped)
    }

    /// Empties every slot, returning what was there.
    mutating func clear() -> [Keypair] {
        let all = [previous, current, next].compactMap { $0 }
        previous = nil
        current = nil
        next = nil
        return all
    }
}
