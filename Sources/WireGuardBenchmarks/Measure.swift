// SPDX-License-Identifier: MIT
// Timing, CPU pinning and number formatting for the benchmarks. Rates are per CPU-second of the measuring
// thread, as `openssl speed` divides by user CPU time: time lost to other processes on a busy machine does
// not count against either side. A figure is the best of several windows (and a reference from `openssl
// speed` the best of several runs), which keeps most of the remaining interference (a busy sibling
// hyperthread, cache pressure) out of both sides, so our figures and the reference figures stay comparable.

#if canImport(Glibc)
import Glibc
#endif

/// Iterations done and the CPU time they took.
struct Measurement {
    let iterations: Int
    let cpuSeconds: Double

    var perSecond: Double { Double(iterations) / cpuSeconds }

    /// Throughput in Gbit/s for `bytes` per iteration.
    func gbps(bytes: Int) -> Double { perSecond * Double(bytes) * 8 / 1e9 }
}

enum Measure {
    /// Monotonic wall-clock seconds.
    static func wallSeconds() -> Double { seconds(CLOCK_MONOTONIC) }

    /// CPU seconds used by the calling thread (user + system).
    static func cpuSeconds() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Windows per figure: the best one counts.
    static let windows = 5

    /// Runs `body` (which does `batch` iterations) for `windows` windows of `duration / windows` CPU seconds
    /// each, after a short warm-up, and returns the fastest window. A window gives up after three times its
    /// length of wall-clock time on a very busy machine.
    static func run(_ duration: Double, batch: Int = 256, _ body: () -> Void) -> Measurement {
        let warmEnd = wallSeconds() + min(0.25, duration / 4)
        while wallSeconds() < warmEnd { body() }
        let window = duration / Double(windows)
        var best: Measurement?
        for _ in 0..<windows {
            let start = cpuSeconds(), wallLimit = wallSeconds() + 3 * window
            var n = 0
            var used = 0.0
            repeat {
                body()
                n += batch
                used = cpuSeconds() - start
            } while used < window && wallSeconds() <= wallLimit
            let m = Measurement(iterations: n, cpuSeconds: used)
            if best.map({ m.perSecond > $0.perSecond }) ?? true { best = m }
        }
        return best!
    }

    /// Pins the process to the CPU it runs on, so that every figure, and the `openssl` processes spawned for
    /// the reference figures (they inherit the mask), come from the same core. Returns that CPU, or nil.
    static func pinToCurrentCPU() -> Int? {
        // sched_getcpu and sched_setaffinity are GNU extensions the Glibc module does not import: look them up.
        typealias GetCPU = @convention(c) () -> Int32
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let getSym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getcpu"),
              let setSym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else { return nil }
        let cpu = Int(unsafeBitCast(getSym, to: GetCPU.self)())
        let maskBytes = 128  // sizeof(cpu_set_t): 1024 CPUs
        guard cpu >= 0, cpu < 8 * maskBytes else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: maskBytes, alignment: 8) { mask in
            mask.initializeMemory(as: UInt8.self, repeating: 0)
            mask[cpu / 8] = UInt8(1) << UInt8(cpu % 8)  // CPU_SET
            return unsafeBitCast(setSym, to: SetAffinity.self)(0, maskBytes, UnsafeRawPointer(mask.baseAddress!)) == 0 ? cpu : nil
        }
    }
}

extension String {
    /// `v` with one decimal.
    init(format1 v: Double) {
        let scaled = (v * 10).rounded() / 10
        self = "\(scaled)"
    }

    /// `v` rounded, with thousands separators.
    init(grouped v: Double) {
        var digits = String(Int(v.rounded()))
        var out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        self = digits + out
    }

    /// `part / whole` as a whole percentage, "?" when `whole` is unknown.
    init(percent part: Double, of whole: Double?) {
        guard let whole, whole > 0 else {
            self = "?%"
            return
        }
        self = "\(Int((100 * part / whole).rounded()))%"
    }

    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
