// SPDX-License-Identifier: MIT

import WireGuardModel

/// A token bucket per source address for handshake messages while under load: 20 per second with a burst of
/// 5, as the kernel's ratelimiter.c. IPv4 sources are keyed by the full address, IPv6 by their /64 (one
/// host usually owns a whole /64). Stale entries are swept at most once a second.
public struct RateLimiter: Sendable {
    private struct Bucket: Sendable {
        var tokens: Int64
        var last: Instant
    }

    private enum Key: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt64)
    }

    private static let cost = Int64(1_000_000_000) / Int64(Constants.rateLimiterPacketsPerSecond)
    private static let maxTokens = cost * Int64(Constants.rateLimiterBurst)
    private var buckets: [Key: Bucket] = [:]
    private var lastSweep: Instant?

    public init() {}

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
            buckets[key] = Bucket(tokens: RateLimiter.maxTokens - RateLimiter.cost, last: now)
            return true
        }
        bucket.tokens = min(RateLimiter.maxTokens, bucket.tokens + max(0, now.nanoseconds - bucket.last.nanoseconds))
        bucket.last = now
        defer { buckets[key] = bucket }
        if bucket.tokens >= RateLimiter.cost {
            bucket.tokens -= RateLimiter.cost
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
