// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel
import WireGuardProtocol

/// The real clocks, read once per event batch: CLOCK_MONOTONIC (also what the timerfd is armed against)
/// and CLOCK_REALTIME.
public enum SystemClock {
    public static func now() -> Now {
        var mono = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &wall)
        return Now(monotonic: Instant(nanoseconds: Int64(mono.tv_sec) * 1_000_000_000 + Int64(mono.tv_nsec)),
                   wall: WallTime(seconds: Int64(wall.tv_sec), nanoseconds: Int64(wall.tv_nsec)))
    }
}
