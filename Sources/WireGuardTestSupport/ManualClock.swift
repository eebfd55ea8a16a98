// SPDX-License-Identifier: MIT

import WireGuardModel
import WireGuardProtocol

/// A clock that moves only when told to. Monotonic and wall time advance together.
public final class ManualClock {
    public private(set) var now: Now

    /// Starts at monotonic 1000 s and wall time `wallSeconds` (default 2023-11-14T22:13:20Z).
    public init(wallSeconds: Int64 = 1_700_000_000) {
        now = Now(monotonic: Instant(nanoseconds: 1_000_000_000_000), wall: WallTime(seconds: wallSeconds))
    }

    public func advance(by d: Duration) {
        set(to: now.monotonic + d)
    }

    /// Moves to `instant` (never backwards).
    public func set(to instant: Instant) {
        let delta = max(0, instant.nanoseconds - now.monotonic.nanoseconds)
        let wallNanos = now.wall.nanoseconds + delta
        now = Now(monotonic: Instant(nanoseconds: now.monotonic.nanoseconds + delta),
                  wall: WallTime(seconds: now.wall.seconds + wallNanos / 1_000_000_000,
                                 nanoseconds: wallNanos % 1_000_000_000))
    }
}
