// SPDX-License-Identifier: MIT
// The two locks of the threaded device. `EngineLock` guards the protocol engine (sticky sources included):
// every thread takes it for short, allocation-free bookkeeping (routing, counter reservation, replay
// windows, timers) and never across a system call of the data path or a packet's cryptography.
// `SocketLock` lets the data threads use the UDP sockets while the control thread may replace them
// (a new listen port): readers share it for one batch, the rebind takes it alone. `Condition` wakes the
// handshake worker.

#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex. Not recursive.
final class EngineLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// With the lock held: releases it, sleeps until `condition` is signalled, and takes it again.
    func wait(_ condition: Condition) { pthread_cond_wait(condition.cond, mutex) }
}

/// A pthread condition variable, waited on with an `EngineLock` (the handshake worker's wake-up).
final class Condition: @unchecked Sendable {
    let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        cond = .allocate(capacity: 1)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
    }

    /// Wakes one waiter (none waiting: nothing happens).
    @inline(__always) func signal() { pthread_cond_signal(cond) }
}

/// A pthread read-write lock.
final class SocketLock: @unchecked Sendable {
    private let rw: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        rw = .allocate(capacity: 1)
        pthread_rwlock_init(rw, nil)
    }

    deinit {
        pthread_rwlock_destroy(rw)
        rw.deallocate()
    }

    @inline(__always) func lockShared() { pthread_rwlock_rdlock(rw) }
    @inline(__always) func lockExclusive() { pthread_rwlock_wrlock(rw) }
    @inline(__always) func unlock() { pthread_rwlock_unlock(rw) }
}

/// Starts `body` on a new pthread with the signal mask of the caller (SIGINT and SIGTERM stay blocked, so
/// they keep arriving through the control loop's signalfd). Returns the thread to join.
func startThread(_ body: @escaping () -> Void) -> pthread_t? {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, context)
    guard rc == 0 else {
        Unmanaged<AnyObject>.fromOpaque(context).release()
        return nil
    }
    return thread
}

/// Measures how long the engine lock is held by a sequence of critical sections (a configuration applied in
/// slices): the longest hold is how long the data threads and timers may have waited for one of them. Both
/// the elapsed time and the thread's CPU time are kept: on a loaded machine a thread can be preempted while
/// it holds the lock, and only the CPU time says what the work itself costs.
struct LockHoldMeter {
    /// Number of holds.
    private(set) var count = 0
    /// The longest hold, in nanoseconds of elapsed and of CPU time.
    private(set) var longest: Int64 = 0
    private(set) var longestCPU: Int64 = 0

    private static func clock(_ id: clockid_t) -> Int64 {
        var t = timespec()
        clock_gettime(id, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// Runs `body` with `lock` held and records the hold.
    mutating func hold<R>(_ lock: EngineLock, _ body: () -> R) -> R {
        lock.lock()
        let start = Self.clock(CLOCK_MONOTONIC), startCPU = Self.clock(CLOCK_THREAD_CPUTIME_ID)
        let result = body()
        let held = Self.clock(CLOCK_MONOTONIC) - start, heldCPU = Self.clock(CLOCK_THREAD_CPUTIME_ID) - startCPU
        lock.unlock()
        count += 1
        longest = max(longest, held)
        longestCPU = max(longestCPU, heldCPU)
        return result
    }

    /// "N engine-lock holds, longest engine-lock hold X ms (CPU Y ms)" (the debug log line benchmarks read).
    var summary: String {
        func ms(_ ns: Int64) -> Double { (Double(ns) / 1e3).rounded() / 1e3 }
        return "\(count) engine-lock holds, longest engine-lock hold \(ms(longest)) ms (CPU \(ms(longestCPU)) ms)"
    }
}
