// SPDX-License-Identifier: MIT

import WireGuardModel

/// A token bucket per source address: for handshake messages while under load 20 per second with a burst of
/// 5, as the kernel's ratelimiter.c (and, at its own rate, for the cookie replies we send). IPv4 sources are
/// keyed by the full address, IPv6 by their /64 (one host usually owns a whole /64). Stale entries are swept at most once a second. At most `maxSources` sources
/// are tracked: a new source beyond that is refused until the sweep makes room (the kernel's table limit), so
/// spoofed sources cannot grow it without bound.
public struct RateLimiter: Sendable {
    private struct Bucket: Sendable {
        var tokens: Int64
        var last: Instant
    }

    private enum Key: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt64)
    }

    /// Nanoseconds of tokens one packet costs, and the bucket's size (the burst).
    private let cost: Int64
    private let maxTokens: Int64
    private var buckets: [Key: Bucket] = [:]
    private var lastSweep: Instant?
    /// The most sources tracked at once.
    public let maxSources: Int

    /// A limiter letting `perSecond` packets a second through per source after a burst of `burst`.
    public init(perSecond: UInt64 = Constants.rateLimiterPacketsPerSecond, burst: UInt64 = Constants.rateLimiterBurst,
                maxSources: Int = Constants.rateLimiterMaxSources) {
        cost = Int64(1_000_000_000) / Int64(perSecond)
        maxTokens = cost * Int64(burst)
        self.maxSources = maxSources
    }

    /// Number of sources tracked (for tests).
    public var trackedSources: Int { buckets.count }

    /// True if a handshake from `source` may be processed now; spends one token if so.
    public mutating func allow(_ source: IPAddress, now: Instant) -> Bool {
        sweep(now)
        let key: Key
        switch source {
        case .v4(let a): key = .v4(a)
        case .v6(let hi, _): key = .v6(hi)
        }
        guard var bucket = buckets[key] else {
            guard buckets.count < maxSources else { return false }
            buckets[key] = Bucket(tokens: maxTokens - cost, last: now)
            return true
        }
        bucket.tokens = min(maxTokens, bucket.tokens + max(0, now.nanoseconds - bucket.last.nanoseconds))
        bucket.last = now
        defer { buckets[key] = bucket }
        if bucket.tokens >= cost {
            bucket.tokens -= cost
            return true
        }
        return false
    }

    private mutating func sweep(_ now: Instant) {
        if let last = lastSweep, now - last < .seconds(1) { return }
        lastSweep = now
        buckets = buckets.filter { now - $0.value.last < .seconds(1) }
    }
}
