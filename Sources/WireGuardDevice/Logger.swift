// SPDX-License-Identifier: MIT
// Log lines in wireguard-go's shape (`DEBUG: (wg0) 2026/11/21 10:00:00 message` on stdout), at its three
// levels. Lines about rejected packets can be provoked by anyone who can reach the port, so they pass a
// limiter: at most `burst` per second, then one line saying how many were suppressed.

#if canImport(Glibc)
import Glibc
#endif

/// Thread-safe: the data threads and the control thread log through one instance.
public final class Logger: @unchecked Sendable {
    public enum Level: Int, Comparable, Sendable {
        case silent = 0, error = 1, verbose = 2

        /// wireguard-go's `LOG_LEVEL` values: `verbose`/`debug`, `error`, `silent`; anything else is `error`.
        public init(environment value: String?) {
            switch value {
            case "verbose", "debug": self = .verbose
            case "silent": self = .silent
            default: self = .error
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public let level: Level
    private let interface: String
    private let write: (String) -> Void
    private let burst: Int
    private var windowStart: Int64 = 0
    private var windowCount = 0
    private var suppressed = 0
    /// Serialises lines and the limiter's window across threads.
    private let mutex = EngineLock()

    /// Logs for `interface` at `level`; lines go to `write` (standard output by default).
    public init(level: Level, interface: String, burst: Int = 20,
                write: @escaping (String) -> Void = { line in
                    let text = Array(line.utf8)
                    _ = text.withUnsafeBytes { Glibc.write(1, $0.baseAddress!, $0.count) }
                }) {
        self.level = level
        self.interface = interface
        self.burst = burst
        self.write = write
    }

    public func verbose(_ message: @autoclosure () -> String) {
        guard level >= .verbose else { return }
        let text = message()
        mutex.lock()
        emit("DEBUG", text)
        mutex.unlock()
    }

    public func error(_ message: @autoclosure () -> String) {
        guard level >= .error else { return }
        let text = message()
        mutex.lock()
        emit("ERROR", text)
        mutex.unlock()
    }

    /// A verbose line about traffic from the network, limited to `burst` lines per second.
    public func limited(_ message: @autoclosure () -> String, nowSeconds: Int64 = Int64(time(nil))) {
        guard level >= .verbose else { return }
        mutex.lock()
        defer { mutex.unlock() }
        if nowSeconds != windowStart {
            if suppressed > 0 { emit("DEBUG", "\(suppressed) similar messages suppressed") }
            windowStart = nowSeconds
            windowCount = 0
            suppressed = 0
        }
        if windowCount < burst {
            windowCount += 1
            emit("DEBUG", message())
        } else {
            suppressed += 1
        }
    }

    private func emit(_ tag: String, _ message: String) {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let stamp = "\(parts.tm_year + 1900)/\(two(parts.tm_mon + 1))/\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        write("\(tag): (\(interface)) \(stamp) \(message)\n")
    }
}
