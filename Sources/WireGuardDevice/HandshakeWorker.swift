// SPDX-License-Identifier: MIT
// The handshake thread (wireguard-go's RoutineHandshake, the kernel's handshake worker): takes admitted
// initiations and responses from the `HandshakeQueue`, priority (valid MAC2) first, one at a time. An
// initiation's first Diffie-Hellman (`es`, which tells who sent it) runs without the engine lock, with the
// worker's own copy of our static identity: a flood from unknown keys never holds the lock, so the receive
// thread keeps draining the socket and transport data keeps flowing while it is being answered.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardModel
import WireGuardProtocol

final class HandshakeWorker {
    private unowned(unsafe) let device: Device  // the device joins this thread before it goes
    /// Guarded by the device's lock, as everything below.
    let queue = HandshakeQueue()
    private let wakeup = Condition()
    private var waiting = false
    private var stopping = false
    private let message = UnsafeMutableRawPointer.allocate(byteCount: HandshakeQueue.slotSize, alignment: 16)
    private var effects: [Effect] = []
    /// The engine's identity when last seen, and the worker's copy of it (only while there is work).
    private var identity: (engine: StaticIdentity, own: StaticIdentity)?

    init(device: Device) {
        self.device = device
        effects.reserveCapacity(16)
    }

    deinit { message.deallocate() }

    /// Under the device's lock, after pushing to `queue`: wakes the worker if it sleeps (no system call when
    /// it is already busy).
    @inline(__always)
    func notify() {
        if waiting { wakeup.signal() }
    }

    /// Makes `run` return (any thread, without the lock).
    func stop() {
        device.lock.lock()
        stopping = true
        wakeup.signal()
        device.lock.unlock()
    }

    /// The thread's loop.
    func run() {
        let lock = device.lock, engine = device.engine
        lock.lock()
        while true {
            // Idle, the worker keeps no copy of our key (a replaced key is freed, and wiped, at once).
            if queue.isEmpty { identity = nil }
            while queue.isEmpty && !stopping {
                waiting = true
                lock.wait(wakeup)
                waiting = false
            }
            guard !stopping, let entry = queue.pop(into: message) else { break }
            effects.removeAll(keepingCapacity: true)
            let bytes = UnsafeRawBufferPointer(start: message, count: entry.length)
            if MessageType.classify(bytes) == .initiation, let current = engine.staticIdentity, let own = ownIdentity(current) {
                lock.unlock()
                let half = Engine.beginInitiation(bytes, identity: own)
                lock.lock()
                if let half {
                    engine.finishInitiation(half, bytes, from: entry.source, local: entry.origin.localSource,
                                            now: SystemClock.now(), effects: &effects)
                }
            } else {
                engine.handleAdmittedHandshake(bytes, from: entry.source, local: entry.origin.localSource,
                                               now: SystemClock.now(), effects: &effects)
            }
            let wake = device.isEarlierThanArmed(engine.nextDeadline)
            lock.unlock()
            if wake { device.wakeControl() }
            if !effects.isEmpty { device.perform(effects) }
            lock.lock()
        }
        lock.unlock()
    }

    /// The worker's copy of the engine's `current` identity, made again when the key changes.
    private func ownIdentity(_ current: StaticIdentity) -> StaticIdentity? {
        if let identity, identity.engine === current { return identity.own }
        guard let own = StaticIdentity(copying: current) else { return nil }
        identity = (current, own)
        return own
    }
}
