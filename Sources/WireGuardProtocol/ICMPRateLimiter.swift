// SPDX-License-Identifier: MIT
// The rate limits Linux puts on the ICMP errors it sends (net/ipv4/icmp.c, net/ipv6/icmp.c), applied to
// the destination-unreachable errors the engine returns into the TUN:
// - global (`icmp_global_allow`): net.ipv4.icmp_msgs_per_sec = 1000 credits a second, at most
//   net.ipv4.icmp_msgs_burst = 50 banked, refilled in steps of at least 20 ms; one credit per error (the
//   kernel spends 0–2 at random; here always 1);
// - per destination host (`inet_peer_xrlim_allow`): net.ipv4.icmp_ratelimit = net.ipv6.icmp.ratelimit =
//   1000 ms a token, at most XRLIM_BURST_FACTOR = 6 banked. The kernel skips this step for an error to a
//   local address (its route is loopback); we cannot tell a local sender from one routed through this host,
//   so every destination gets it.
// Fixed memory: destinations live in a direct-mapped table, a colliding one takes the slot over.

import WireGuardModel

/// Token buckets for ICMP errors: one global, one per destination. Allocation-free after `init`.
public struct ICMPRateLimiter: Sendable {
    static let messagesPerSecond: Int64 = 1000
    static let burst: Int64 = 50
    static let refillStep: Duration = .milliseconds(20)
    static let perDestinationInterval: Duration = .seconds(1)
    static let perDestinationBurst: Int64 = 6
    static let slots = 256

    private struct Slot: Sendable {
        var address: IPAddress?
        /// Banked time, in nanoseconds (one token is `perDestinationInterval`).
        var tokens: Int64
        var last: Instant
    }

    private var credit = ICMPRateLimiter.burst
    private var stamp: Instant?
    private var table: [Slot]

    public init() {
        table = [Slot](repeating: Slot(address: nil, tokens: 0, last: Instant(nanoseconds: 0)), count: Self.slots)
    }

    /// True if an ICMP error to `destination` may be sent at `now`; spends its tokens if so.
    public mutating func allow(_ destination: IPAddress, now: Instant) -> Bool {
        let interval = Self.perDestinationInterval.nanoseconds
        let i = Self.slot(of: destination)
        var slot = table[i]
        if slot.address != destination {
            slot = Slot(address: destination, tokens: Self.perDestinationBurst * interval, last: now)
        } else {
            slot.tokens = min(Self.perDestinationBurst * interval, slot.tokens + max(0, (now - slot.last).nanoseconds))
            slot.last = now
        }
        defer { table[i] = slot }
        guard slot.tokens >= interval, allowGlobally(now: now) else { return false }
        slot.tokens -= interval
        return true
    }

    private mutating func allowGlobally(now: Instant) -> Bool {
        let elapsed = stamp.map { min(now - $0, .seconds(1)) } ?? .seconds(1)
        if elapsed >= Self.refillStep {
            let increment = Self.messagesPerSecond * elapsed.nanoseconds / Duration.seconds(1).nanoseconds
            if increment > 0 { stamp = now }
            credit = min(Self.burst, credit + increment)
        }
        guard credit > 0 else { return false }
        credit -= 1
        return true
    }

    private static func slot(of address: IPAddress) -> Int {
        let (hi, lo) = address.wide
        var h = hi ^ (lo &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return Int(truncatingIfNeeded: h & UInt64(slots - 1))
    }
}
