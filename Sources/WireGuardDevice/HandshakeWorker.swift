// SPDX-License-Identifier: MIT
// The handshake thread (wireguard-go's RoutineHandshake, the kernel's handshake worker): takes admitted
// initiations and responses from the `HandshakeQueue`, priority (valid MAC2) first, and spends the
// Diffie-Hellman on them under the engine lock, one message at a time, so that the receive thread keeps
// draining the socket and transport data keeps flowing while a flood is being answered.

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
            while queue.isEmpty && !stopping {
                waiting = true
                lock.wait(wakeup)
                waiting = false
            }
            guard !stopping, let entry = queue.pop(into: message) else { break }
            effects.removeAll(keepingCapacity: true)
            engine.handleAdmittedHandshake(UnsafeRawBufferPointer(start: message, count: entry.length),
                                           from: entry.source, now: SystemClock.now(), effects: &effects)
            device.learnSource(of: entry.origin, from: entry.source)
            let wake = device.isEarlierThanArmed(engine.nextDeadline)
            lock.unlock()
            if wake { device.wakeControl() }
            if !effects.isEmpty { device.perform(effects) }
            lock.lock()
        }
        lock.unlock()
    }
}
