// SPDX-License-Identifier: MIT

import WireGuardModel

/// A point on a monotonic clock, in nanoseconds from an arbitrary origin. The core never reads a clock:
/// every entry point receives the current `Now`.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    @inline(__always)
    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds) }
    @inline(__always)
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &- d.nanoseconds) }
    /// The time from `b` to `a`.
    @inline(__always)
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds &- b.nanoseconds) }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

/// The two clocks the protocol needs: monotonic for timers, wall-clock for TAI64N timestamps and the
/// reported time of the last handshake.
public struct Now: Sendable {
    public var monotonic: Instant
    public var wall: WallTime

    public init(monotonic: Instant, wall: WallTime) {
        self.monotonic = monotonic
        self.wall = wall
    }
}
