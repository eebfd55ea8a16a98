// SPDX-License-Identifier: MIT
// The receive thread opens transport messages without the engine lock; the sessions of those that do not
// authenticate are kept here (preallocated, no allocation per packet) and counted on their peers under the
// lock once per batch, only when there were any (and whenever the room is full, which only a flood of
// forgeries with valid receiver indices does).

import WireGuardProtocol

final class AuthenticationFailures {
    private let sessions: UnsafeMutablePointer<TransportSession?>
    private let capacity: Int
    private var count = 0

    /// Room for `capacity` failures before a flush.
    init(capacity: Int) {
        self.capacity = capacity
        sessions = .allocate(capacity: capacity)
        sessions.initialize(repeating: nil, count: capacity)
    }

    deinit {
        sessions.deinitialize(count: capacity)
        sessions.deallocate()
    }

    /// Notes one message of `session` that did not authenticate (flushing first when the room is full).
    @inline(__always)
    func add(_ session: TransportSession, engine: Engine, lock: EngineLock) {
        if count == capacity { flush(into: engine, lock: lock) }
        sessions[count] = session
        count += 1
    }

    /// Counts the noted failures on their peers (taking `lock` only if there are any) and forgets them.
    func flush(into engine: Engine, lock: EngineLock) {
        guard count > 0 else { return }
        lock.lock()
        engine.countAuthenticationFailures(sessions, count: count)
        lock.unlock()
        for i in 0..<count { sessions[i] = nil }  // release the keypairs outside the lock
        count = 0
    }
}
