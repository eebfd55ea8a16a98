// SPDX-License-Identifier: MIT
// The sliding anti-replay window of RFC 6479 as the kernel and wireguard-go size it: 8192 bits in a ring of
// 64-bit words, of which 8128 are usable (one word is always being recycled).

/// Accepts each transport counter at most once, and none older than the window. Used only after a packet
/// authenticated, so an attacker cannot move the window.
public struct ReplayFilter: Sendable {
    public static let ringWords = 128
    public static let windowSize: UInt64 = UInt64(ringWords - 1) * 64  // 8128

    private var last: UInt64 = 0
    private var ring = [UInt64](repeating: 0, count: ReplayFilter.ringWords)

    public init() {}

    /// Returns true and records `counter` if it is new, inside the window and below `limit`.
    public mutating func validate(_ counter: UInt64, limit: UInt64 = Constants.rejectAfterMessages) -> Bool {
        guard counter < limit else { return false }
        let mask = UInt64(ReplayFilter.ringWords - 1)
        let block = counter >> 6
        if counter > last {
            let current = last >> 6
            let diff = min(block - current, UInt64(ReplayFilter.ringWords))
            var i: UInt64 = 1
            while i <= diff {
                ring[Int((current + i) & mask)] = 0
                i += 1
            }
            last = counter
        } else if last - counter > ReplayFilter.windowSize {
            return false
        }
        let index = Int(block & mask)
        let bit = UInt64(1) << (counter & 63)
        if ring[index] & bit != 0 { return false }
        ring[index] |= bit
        return true
    }
}
