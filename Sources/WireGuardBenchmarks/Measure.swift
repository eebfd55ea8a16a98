// SPDX-License-Identifier: MIT
// Timing, CPU pinning and number formatting for the benchmarks. Rates are per CPU-second of the measuring
// thread, as `openssl speed` divides by user CPU time: time lost to other processes on a busy machine does
// not count against either side. A figure is the best of several windows (and a reference from `openssl
// speed` the best of several runs), and a figure and its reference are measured in alternating windows, which
// keeps most of the remaining interference (a busy neighbour, cache pressure) out of both sides alike.
// `openssl speed` runs through posix_spawnp, its figure read from the last line of its output.

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

/// CPU-time measurement and CPU pinning.
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

    /// A loop to measure: `body` does `batch` iterations per call.
    struct Loop {
        let batch: Int
        let body: () -> Void
    }

    /// Measures `loops` in alternating windows (`windows` each, `duration / windows` CPU seconds long)
    /// after a short warm-up of each, and returns every loop's fastest window. Alternating gives a figure and
    /// its reference the same share of quiet and busy moments. A window gives up after three times its
    /// length of wall-clock time on a very busy machine.
    static func interleaved(_ duration: Double, _ loops: [Loop]) -> [Measurement] {
        for loop in loops {
            let warmEnd = wallSeconds() + min(0.1, duration / 10)
            while wallSeconds() < warmEnd { loop.body() }
        }
        let window = duration / Double(windows)
        var best = [Measurement?](repeating: nil, count: loops.count)
        for _ in 0..<windows {
            for (i, loop) in loops.enumerated() {
                let start = cpuSeconds(), wallLimit = wallSeconds() + 3 * window
                var n = 0, used = 0.0
                repeat {
                    loop.body()
                    n += loop.batch
                    used = cpuSeconds() - start
                } while used < window && wallSeconds() <= wallLimit
                let m = Measurement(iterations: n, cpuSeconds: used)
                if best[i].map({ m.perSecond > $0.perSecond }) ?? true { best[i] = m }
            }
        }
        return best.map { $0! }
    }

    /// `interleaved` for one loop.
    static func run(_ duration: Double, batch: Int = 256, _ body: @escaping () -> Void) -> Measurement {
        interleaved(duration, [Loop(batch: batch, body: body)])[0]
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

    /// `self` padded with spaces to `n` characters.
    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

/// Reference figures from `openssl speed`, run as a child process on the same core.
enum OpenSSLSpeed {
    /// Runs per figure: the best one counts.
    static let runs = 3

    /// `openssl speed -seconds S -aead -bytes N -evp chacha20-poly1305`, in Gbit/s: the last line is
    /// "ChaCha20-Poly1305  2484257.35k" in thousands of bytes per second.
    static func aead(seconds: Int, bytes: Int) -> (command: String, gbps: Double?) {
        let args = ["speed", "-seconds", "\(seconds)", "-aead", "-bytes", "\(bytes)", "-evp", "chacha20-poly1305"]
        let value = best(args) { Double($0.hasSuffix("k") ? String($0.dropLast()) : $0) }
        return ("openssl " + args.joined(separator: " "), value.map { $0 * 1000 * 8 / 1e9 })
    }

    /// `openssl speed -seconds S ecdhx25519`, in operations per second: the last line is
    /// " 253 bits ecdh (X25519)   0.0000s  40840.5".
    static func x25519(seconds: Int) -> (command: String, perSecond: Double?) {
        let args = ["speed", "-seconds", "\(seconds)", "ecdhx25519"]
        return ("openssl " + args.joined(separator: " "), best(args) { Double($0) })
    }

    /// The largest figure of `runs` runs, read from the last field of the output by `parse`.
    private static func best(_ args: [String], _ parse: (String) -> Double?) -> Double? {
        (0..<runs).compactMap { _ in run(args).flatMap { lastField($0) }.flatMap(parse) }.max()
    }

    /// The last whitespace-separated field of the last non-empty line.
    private static func lastField(_ output: String) -> String? {
        output.split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }?
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).last.map(String.init)
    }

    /// The standard output of `openssl args...` (standard error discarded), or nil if it cannot run or fails.
    private static func run(_ args: [String]) -> String? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        defer { close(fds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = (["openssl"] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, "openssl", &actions, nil, argv, environ) == 0
        close(fds[1])
        guard spawned else { return nil }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { output += chunk[0..<n] } else if n == 0 || errno != EINTR { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED && WEXITSTATUS == 0, spelled out (macros).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
