// SPDX-License-Identifier: MIT
// Every timer and limit in one place, named as in the whitepaper, the kernel's messages.h and
// wireguard-go's constants.go.

/// Protocol constants.
public enum Constants {
    // MARK: Specification
    public static let rekeyAfterMessages: UInt64 = 1 << 60
    /// 2^64 - 2^13 - 1, the whitepaper's value (as wireguard-go).
    public static let rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    public static let rekeyAfterTime: Duration = .seconds(120)
    public static let rejectAfterTime: Duration = .seconds(180)
    public static let rekeyAttemptTime: Duration = .seconds(90)
    public static let rekeyTimeout: Duration = .seconds(5)
    /// Jitter added to handshake retransmissions: uniform in 0..<334 ms.
    public static let rekeyTimeoutJitterMaxMilliseconds: UInt64 = 334
    public static let keepaliveTimeout: Duration = .seconds(10)
    public static let maxTimerHandshakes = 18  // rekeyAttemptTime / rekeyTimeout
    public static let cookieRefreshTime: Duration = .seconds(120)
    /// A sender stops using a cookie slightly before the responder rotates its secret (kernel: 120 - 5 s).
    public static let cookieSenderLifetime: Duration = .seconds(115)
    /// Minimum spacing of accepted initiations from one peer (1 s / 50).
    public static let handshakeInitiationRate: Duration = .milliseconds(20)
    public static let paddingMultiple = 16

    // MARK: Derived timer values
    /// Key material is wiped this long after the last session was derived.
    public static var zeroKeyMaterialDelay: Duration { rejectAfterTime * 3 }
    /// An initiator that only receives rekeys at this age so a new session exists before rejectAfterTime.
    public static var lastMinuteRekeyAge: Duration { rejectAfterTime - keepaliveTimeout - rekeyTimeout }
    public static var newHandshakeDelay: Duration { keepaliveTimeout + rekeyTimeout }

    // MARK: Implementation
    /// Packets staged per peer while a handshake is in flight; the oldest is dropped beyond this.
    public static let maxStagedPackets = 128
    /// Queued handshake messages at which the device declares itself under load (wireguard-go: 1024 / 8).
    public static let underLoadQueueThreshold = 128
    /// How long "under load" lasts after the threshold was last seen.
    public static let underLoadAfterTime: Duration = .seconds(1)
    /// Per-source token bucket for handshakes while under load.
    public static let rateLimiterPacketsPerSecond: UInt64 = 20
    public static let rateLimiterBurst: UInt64 = 5
    /// Sources a rate limiter tracks at most (the kernel's table holds 8192 entries on small machines).
    public static let rateLimiterMaxSources = 8192
    /// Cookie replies per source while under load: a token bucket of this rate and burst per source address
    /// (IPv6: per /64), so that a flood cannot make us spend a core answering it. An honest initiator needs
    /// one reply per retry (every 5 s).
    public static let cookieReplyRatePerSecond: UInt64 = 10
    public static let cookieReplyBurst: UInt64 = 5
    public static let maxPeers = 1 << 20
    /// Room the data path needs around an inner packet: header before, padding and tag after.
    public static let transportHeaderSize = 16
    public static let transportTagSize = 16
    public static let transportOverhead = 32
    public static let defaultMTU = 1420
    public static let maxContentSize = 65535 - 32
}

extension Duration {
    /// Whole nanoseconds (durations here are always non-negative and far below 2^63 ns).
    @inline(__always)
    public var nanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
